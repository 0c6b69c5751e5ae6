"""The local text-message inbox: every text the functions sent through SNS, read from moto's SNS
back end.

An SNS Publish to a phone number lands in moto's `sns_backends[account_id][region].sms_messages`
(message id -> (number, body), in send order; moto keeps a second copy in `sms_message_objects`
for its own API). moto runs in this process (server mode on a thread), so the list is read
directly, as the email outbox reads moto's SES.
"""

from __future__ import annotations

from typing import Any


class SmsInbox:
    """The texts SNS accepted in this local stack, in send order."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def _backend(self) -> Any:
        from moto.sns.models import sns_backends

        return sns_backends[self.account_id][self.region]

    def messages(self) -> list[dict[str, str]]:
        sent = list(self._backend().sms_messages.values())  # a copy: sends may arrive meanwhile
        return [{"to": to, "body": body} for to, body in sent]

    def clear(self) -> int:
        backend = self._backend()
        ids = list(backend.sms_messages)
        for message_id in ids:
            backend.sms_messages.pop(message_id, None)
            backend.sms_message_objects.pop(message_id, None)
        return len(ids)

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.messages()}
