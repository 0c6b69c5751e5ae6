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

from shared.domain.people import FailureReason
from shared.mail.headers import mailbox
from shared.mail.render import RenderedEmail

# SES's answers that mean "slow down": retried after a pause.
THROTTLING_CODES = ("TooManyRequestsException", "Throttling", "ThrottlingException")
# SES's own faults, whatever HTTP status they came with: retried.
SERVER_CODES = ("InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException")
# SES's answers that mean "nothing more will go for now": stop cleanly and raise the alarm.
STOPPING_CODES = ("SendingPausedException", "AccountSendingPausedException", "LimitExceededException")
# SES's answers that mean "nothing will go from this account or setup" (not one recipient's
# fault): stop cleanly and raise the alarm, like the stopping codes.
SYSTEMIC_CODES = (
    "AccessDeniedException",
    "AccessDenied",
    "AccountSuspendedException",
    "MailFromDomainNotVerifiedException",
    "NotFoundException",  # the configuration set is gone
)
# SES refused this one message (an address it will not send to): mark it failed, go on.
REJECTED = "MessageRejected"
REJECTED_CODES = (REJECTED, "BadRequestException", "InvalidParameterValue")


class SendFailed(Exception):
    """SES did not accept the message. `code` is SES's error code, when it gave one;
    `retryable` when trying again later may work (throttling, a timeout, SES's own 5xx)."""

    def __init__(self, code: str, *, retryable: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable or code in THROTTLING_CODES

    @property
    def stopping(self) -> bool:
        """SES will not send for anyone now (paused, quota used, our own setup): stop the batch."""
        return self.code in STOPPING_CODES or self.code in SYSTEMIC_CODES

    @property
    def recipient_reason(self) -> FailureReason | None:
        """Why this message alone failed (`rejected`, `send_error`), or None when the fault is not
        the recipient's (retryable, stopping or systemic): then nobody is marked failed."""
        if self.retryable or self.stopping:
            return None
        return "rejected" if self.code in REJECTED_CODES else "send_error"


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
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            code = error.response.get("Error", {}).get("Code", "Unknown")
            raise SendFailed(code, retryable=status >= 500 or code in SERVER_CODES) from None
        except BotoCoreError as error:
            # Connection failures and timeouts: nothing reached SES, or its answer was lost.
            raise SendFailed(type(error).__name__, retryable=True) from None
