"""Notices to the admins (SNS topic `AdminNoticesTopic`): what needs their attention, never who.

A sign-up whose access needs were kept (given with their own consent) is announced once: here,
at once, when its event starts before the next morning's digest (shared/domain/notice_digest.py),
naming the events and the console action that shows the needs (`list_registrations`); otherwise
in that digest (shared/workflows/notice_digest.py), which DispatchFunction publishes here too.
Neither holds a name, address, role, organisation or the needs themselves: SNS delivers them as
plain email to whoever subscribed, outside the stack's access controls.

A single notice is best effort: the sign-up has already been stored and confirmed, so a failure
here is logged (its type only) and the person's answer is unchanged. The digest's publishing
raises instead, and its sign-ups wait for the retry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared import aws
from shared.domain.models import Event
from shared.domain.timefmt import date_in_words
from shared.observability import logger_for

SUBJECT = "Conversations on Co-production: a sign-up with access needs"
# Below this much of the invocation left, the notice is skipped rather than risk the sign-up's
# answer: one SNS attempt takes at most aws.CONNECT_TIMEOUT + aws.READ_TIMEOUT seconds.
MIN_REMAINING_MS = (aws.CONNECT_TIMEOUT + aws.READ_TIMEOUT + 1) * 1000

# The API's logger (the same one functions/api/web.py configures): only ApiFunction sends notices.
logger = logger_for("api")


def _event_phrase(event: Event) -> str:
    return f"“{event.title}” on {date_in_words(event.local_start)}"


def _and_join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def access_needs_message(events: Sequence[Event]) -> str:
    """`A new sign-up for “Title” on Wednesday 9 December 2026 includes access needs. See
    list_registrations for <event_id>.` One sentence for any number of events."""
    return (
        f"A new sign-up for {_and_join([_event_phrase(e) for e in events])} includes access needs. "
        f"See list_registrations for {_and_join([e.id for e in events])}."
    )


class AdminNotices:
    """Publishes to the admins' topic; without a topic (`ADMIN_NOTICES_TOPIC_ARN` unset), nothing."""

    def __init__(self, sns: Callable[[], Any], topic_arn: str) -> None:
        self._sns = sns
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str) -> bool:
        """Publish one message (the morning's digest); True when SNS accepted it, False without a
        topic. Raises when SNS fails: the digest's sign-ups then wait for the next attempt."""
        if not self.topic_arn:
            return False
        self._sns().publish(TopicArn=self.topic_arn, Subject=subject, Message=message)
        return True

    def access_needs(self, events: Sequence[Event], *, remaining_ms: int | None = None) -> bool:
        """Publish one notice for a sign-up with access needs; True when SNS accepted it.

        Never raises. Without a topic or events, nothing is sent; with too little of the
        invocation left (`remaining_ms`), the notice is skipped."""
        if not self.topic_arn or not events:
            return False
        if remaining_ms is not None and remaining_ms < MIN_REMAINING_MS:
            logger.warning("admin notice skipped: too little time left", extra={"remaining_ms": remaining_ms})
            return False
        try:
            message = access_needs_message(events)
            self._sns().publish(TopicArn=self.topic_arn, Subject=SUBJECT, Message=message)
        except Exception as error:  # best effort: a notice never fails a sign-up
            logger.warning("admin notice not published", extra={"error_type": type(error).__name__})
            return False
        logger.info("admin notice published", extra={"kind": "access_needs", "events": len(events)})
        return True
