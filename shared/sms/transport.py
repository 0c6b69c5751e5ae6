"""SNS as the text-message transport: one number and body in, SNS's message id out.

Every text leaves through `SnsTransport.send` (SNS Publish to a phone number, Transactional, from
the configured origination number or sender ID). A refusal is `SmsFailed`, classified as
shared/mail/transport.py's `SendFailed` is, so that the batch runner treats both alike:
- `recipient_reason` "rejected": SNS refused this number alone (not a number it can text, opted
  out): mark that person failed and go on;
- `retryable`: throttling, a timeout, SNS's own fault: pause and try again;
- `stopping`: nothing will go from this account or setup (no permission, the KMS key of the
  SMS settings unusable): stop the batch cleanly, give it back, raise the alarm; nobody is marked.

SNS's monthly SMS spend limit is not an error here: Publish still answers with a message id, and
SNS drops the text later ("No quota left for account" in the SMS delivery logs). docs/decisions.md
says how that is watched instead.

Neither the number nor the body is ever logged or put in an exception: SNS's own error messages
can quote the number, so only the error code is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.people import FailureReason

SMS_TYPE = "Transactional"
# SNS's answers that mean "slow down": retried after a pause.
THROTTLING_CODES = (
    "Throttled",
    "ThrottledException",
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "KMSThrottling",
)
# SNS's own faults, whatever HTTP status they came with: retried.
SERVER_CODES = ("InternalError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException")
# Nothing will go from this account or setup, whoever the recipient: stop cleanly, raise the alarm.
SYSTEMIC_CODES = (
    "AuthorizationError",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidSecurity",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "OptInRequired",
    "KMSAccessDenied",
    "KMSDisabled",
    "KMSInvalidState",
    "KMSNotFound",
    "KMSOptInRequired",
    # An InvalidParameter that is not about the phone number: our own attributes (a sender ID or
    # origination number SNS will not use) fail every text alike.
    "InvalidParameter:setup",
)
# SNS refused this number alone: mark that person failed, go on.
PHONE_CODES = ("InvalidParameter", "ParameterValueInvalid", "InvalidParameterValue")
REJECTED_CODES = ("OptedOut", "OptedOutException", "EndpointDisabled")


class SmsFailed(Exception):
    """SNS did not accept the text. `code` is SNS's error code (or the client's error name for a
    timeout); `recipient_reason` why this text alone failed (`rejected`, `send_error`), None when
    the fault is not the recipient's: then `stopping` (stop the batch) or `retryable`."""

    def __init__(self, code: str, recipient_reason: FailureReason | None, *, stopping: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.recipient_reason = recipient_reason
        self.stopping = stopping

    @property
    def retryable(self) -> bool:
        return self.recipient_reason is None and not self.stopping


def classify(code: str, message: str = "", status: int = 0) -> SmsFailed:
    """SNS's error code (with its message and HTTP status) as an SmsFailed. The message is read
    only to tell a refused phone number from a refused attribute; it is never kept."""
    if code in THROTTLING_CODES or code in SERVER_CODES or status >= 500:
        return SmsFailed(code, None)
    if code in SYSTEMIC_CODES:
        return SmsFailed(code, None, stopping=True)
    if code in PHONE_CODES:
        if "phone" in message.lower():
            return SmsFailed(code, "rejected")
        return SmsFailed(f"{code}:setup", None, stopping=True)
    if code in REJECTED_CODES:
        return SmsFailed(code, "rejected")
    return SmsFailed(code, "send_error")


class SnsTransport:
    def __init__(
        self,
        client: Callable[[], Any],
        *,
        sender_id: str,
        origination_number: str,
        sms_type: str = SMS_TYPE,
    ) -> None:
        self._client = client
        self.sender_id = sender_id
        self.origination_number = origination_number
        self.sms_type = sms_type

    def attributes(self) -> dict[str, dict[str, str]]:
        """The Publish MessageAttributes: the origination number when set, else the sender ID when
        set (a number and a sender ID together would leave SNS to choose), and the SMS type."""
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self.sms_type}}
        if self.origination_number:
            attributes["AWS.SNS.SMS.OriginationNumber"] = {
                "DataType": "String",
                "StringValue": self.origination_number,
            }
        elif self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        return attributes

    def send(self, to_e164: str, body: str) -> str:
        """One SNS Publish to the number. Returns SNS's message id; SmsFailed if SNS refused it."""
        return str(
            self._call(
                "publish",
                PhoneNumber=to_e164,
                Message=body,
                MessageAttributes=self.attributes(),
            )["MessageId"]
        )

    def opted_out(self, to: str) -> bool:
        """Whether the number has replied STOP to this account (SNS keeps that list itself and
        drops texts to it). SmsFailed as for `send`."""
        return bool(self._call("check_if_phone_number_is_opted_out", phoneNumber=to)["isOptedOut"])

    def _call(self, operation: str, **request: Any) -> Any:
        failure: SmsFailed | None = None
        try:
            return getattr(self._client(), operation)(**request)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            details = error.response.get("Error", {})
            failure = classify(str(details.get("Code", "Unknown")), str(details.get("Message", "")), status)
        except BotoCoreError as error:
            # Connection failures and timeouts: nothing reached SNS, or its answer was lost.
            failure = SmsFailed(type(error).__name__, None)
        # Raised outside the except blocks, so no traceback carries SNS's message (and the number).
        raise failure
