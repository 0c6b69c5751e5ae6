"""What SES allows this account: its maximum send rate, asked once per container.

SES v2 `GetAccount` answers it in AWS. Where it cannot be asked (moto has no GetAccount; an
account call refused), the configured fallback `SES_MAX_SEND_RATE` stands in for it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="sender")


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
