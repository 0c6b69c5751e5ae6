"""The one source of time. Everything that asks "what time is it?" asks `now()`.

The local stack's `PUT /_local/clock` freezes it (handlers run in-process there); tests inject a
fixed time the same way. Lambda never freezes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("a frozen time must carry its offset")
    global _frozen
    _frozen = moment.astimezone(UTC)


def unfreeze() -> None:
    global _frozen
    _frozen = None


def is_frozen() -> bool:
    return _frozen is not None
