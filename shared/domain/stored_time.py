"""The one form a moment is stored in, and the one way it is read back.

Every time written to the table (events, registrations, batches, notices, profiles, rate limits,
heartbeats) is UTC, to the second, with a four-digit year and a `Z`: `2026-12-09T14:00:00Z`. Text in
that form sorts as time does, which the keys and conditions rely on. `strftime("%Y")` writes year
999 as `999` on Linux, which nothing reads back: the year here is always written with four digits,
and a moment outside years 1 to 9999 in UTC is refused rather than stored.

Reading is strict: anything else (a three- or five-digit year, an offset other than `Z`, a
fraction, garbage) is `UnreadableTime`, which the stores turn into an unreadable record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_STORED = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z", re.ASCII)


class UnreadableTime(ValueError):
    """Stored text that is not a moment in the stored form."""


def to_stored(moment: datetime) -> str:
    """`2026-12-09T14:00:00Z` for any aware moment (a naive one is refused)."""
    if moment.tzinfo is None:
        raise ValueError("stored times must carry an offset")
    u = moment.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def from_stored(text: object) -> datetime:
    """The moment stored as `text`, in UTC; `UnreadableTime` if it is not in the stored form."""
    match = _STORED.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise UnreadableTime("is not a stored time (YYYY-MM-DDTHH:MM:SSZ)")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise UnreadableTime("is not a real date and time") from None
