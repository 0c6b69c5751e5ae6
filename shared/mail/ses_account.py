"""SES's account-level calls: the maximum send rate, and the account's suppression list.

SES v2 `GetAccount` answers the rate in AWS. Where it cannot be asked (moto has no GetAccount; an
account call refused), the configured fallback `SES_MAX_SEND_RATE` stands in for it. The
suppression list (`GetSuppressedDestination` / `DeleteSuppressedDestination`) serves
data-protection requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import Unavailable
from shared.observability import logger_for

logger = logger_for("sender")


def max_send_rate(ses: Any, fallback: float) -> float:
    try:
        rate = float(ses.get_account()["SendQuota"]["MaxSendRate"])
    except Exception as error:  # any failure here means "use the configured rate"
        logger.warning(
            "SES GetAccount unavailable; using the configured send rate",
            extra={"error_type": type(error).__name__, "rate": fallback},
        )
        return fallback
    return rate if rate > 0 else fallback


# --- the account's suppression list ----------------------------------------------------------------

Listing = Literal["listed", "not_listed", "unknown"]
Removal = Literal["removed", "not_listed", "unsupported"]

# What an endpoint without these account calls answers (moto lacks them; in server mode an
# unknown route is an HTML 404): treated as "nothing to remove here", and said so.
_UNSUPPORTED_CODES = {"404", "NotImplemented", "InvalidAction", "UnknownOperationException"}


@dataclass(frozen=True)
class SesListing:
    state: Listing
    reason: str | None = None  # SES's reason: "BOUNCE" or "COMPLAINT"


class SesSuppressionList:
    """SES v2 `GetSuppressedDestination` / `DeleteSuppressedDestination`, through one adapter:
    NotFound means not listed; an endpoint that lacks the calls (the local stack's moto) means
    nothing to remove, reported as `unsupported`/`unknown`; any other failure is Unavailable,
    so the caller stops before changing anything else."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def _code(error: ClientError) -> str:
        return str(error.response.get("Error", {}).get("Code", ""))

    def _failed(self, error: Exception) -> Unavailable:
        code = self._code(error) if isinstance(error, ClientError) else type(error).__name__
        logger_for("privacy").warning("SES suppression list call failed", extra={"error_code": code})
        return Unavailable(
            f"SES's suppression list could not be asked or changed ({code}): nothing was changed. "
            "Please try again in a minute, or check AdminFunction's permissions."
        )

    def lookup(self, address: str) -> SesListing:
        try:
            answer = self.client.get_suppressed_destination(EmailAddress=address)
        except NotImplementedError:
            return SesListing("unknown")
        except ClientError as error:
            code = self._code(error)
            if code == "NotFoundException":
                return SesListing("not_listed")
            if code in _UNSUPPORTED_CODES:
                return SesListing("unknown")
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        reason = answer.get("SuppressedDestination", {}).get("Reason")
        return SesListing("listed", str(reason) if reason else None)

    def remove(self, address: str) -> Removal:
        try:
            self.client.delete_suppressed_destination(EmailAddress=address)
        except NotImplementedError:
            return "unsupported"
        except ClientError as error:
            code = self._code(error)
            if code == "NotFoundException":
                return "not_listed"
            if code in _UNSUPPORTED_CODES:
                return "unsupported"
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        return "removed"
