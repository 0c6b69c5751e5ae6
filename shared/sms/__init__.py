"""Text messages (issue 12): the SNS transport. The words of a text are shared/domain/sms_text.py."""
