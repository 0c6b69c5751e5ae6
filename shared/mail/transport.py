"""SES v2 as the transport: one rendered message in, SES's message id out.

Every email leaves through `SesTransport.send` (raw MIME, From = the configured sender, the
configuration set whose events reach SesEventsFunction). A refusal is `SendFailed` with SES's
error code; what to do about it (queue it, retry it, mark the person failed) is the caller's
business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.mail.headers import mailbox
from shared.mail.render import RenderedEmail

# SES's answers that mean "slow down": retried after a pause.
THROTTLING_CODES = ("TooManyRequestsException", "Throttling", "ThrottlingException")
# SES's answers that mean "nothing more will go for now": stop cleanly and raise the alarm.
STOPPING_CODES = ("SendingPausedException", "AccountSendingPausedException", "LimitExceededException")
# SES refused this one message (an address it will not send to): mark it failed, go on.
REJECTED = "MessageRejected"


class SendFailed(Exception):
    """SES did not accept the message. `code` is SES's error code, when it gave one."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SesTransport:
    def __init__(
        self,
        client: Callable[[], Any],
        *,
        sender_name: str,
        sender_address: str,
        configuration_set: str = "",
    ) -> None:
        self._client = client
        self.sender = " ".join(mailbox(sender_name, sender_address))  # as the From header writes it
        self.configuration_set = configuration_set

    def send(self, email: RenderedEmail) -> str:
        """One SES v2 SendEmail with the raw MIME. Returns SES's message id."""
        request: dict[str, object] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Raw": {"Data": email.raw}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            return str(self._client().send_email(**request)["MessageId"])
        except ClientError as error:
            raise SendFailed(error.response.get("Error", {}).get("Code", "Unknown")) from None
        except BotoCoreError as error:
            raise SendFailed(type(error).__name__) from None
