"""Times in words, as people read them: "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)".

Every time shown to a person is in the event's own zone, and the zone is named, so that someone
joining from elsewhere can work out their own time. Month and day names are spelled out here
rather than taken from the locale (`%A`/`%B`), so the words never depend on the machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from shared.domain.models import Event

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Zones whose clocks are the UK's: named "UK time" rather than after a city.
_UK_ZONES = frozenset({"Europe/London", "Europe/Belfast", "GB", "GB-Eire"})
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


def date_in_words(moment: datetime) -> str:
    """`Wednesday 9 December 2026`, for a moment already in the zone it should be read in."""
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def day_in_words(moment: datetime) -> str:
    """`9 December 2026`."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def time_in_words(moment: datetime) -> str:
    """`2:00pm`, `9:30am`; `midday` and `midnight` rather than the easily confused 12am/12pm."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "midday"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def abbreviation_in_words(moment: datetime) -> str:
    """The zone's abbreviation at that moment (`GMT`, `BST`, `CET`), or `UTC+4` where tzdata has only
    a number (`+04`)."""
    name = moment.tzname() or ""
    if name and name[0] in "+-" and name[1:].isdigit():
        return _offset_in_words(moment.utcoffset() or timedelta(0))
    return name or _offset_in_words(moment.utcoffset() or timedelta(0))


def zone_in_words(timezone: str, start: datetime, end: datetime | None = None) -> str:
    """`UK time (GMT)`, `Paris time (CET)`, `New York time (EST)`, `UTC`.

    `start` and `end` are moments in that zone; when the clocks change between them both
    abbreviations are named: `UK time (BST, then GMT)`.
    """
    if timezone in _UTC_ZONES:
        return "UTC"
    if timezone.startswith("Etc/"):
        # Etc/GMT+5 and friends have no place name; the offset is the clearest name they have.
        return _offset_in_words(start.utcoffset() or timedelta(0))
    place = "UK" if timezone in _UK_ZONES else timezone.rsplit("/", 1)[-1].replace("_", " ")
    first = abbreviation_in_words(start)
    last = abbreviation_in_words(end) if end is not None else first
    names = first if first == last else f"{first}, then {last}"
    return f"{place} time ({names})"


def span_in_words(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """A start and end (aware, any zone) in words, in `timezone`, with the zone named.

    An event that crosses midnight names both days; one that ends exactly at midnight ends
    "to midnight" on the day it started, as people would say it.
    """
    zone = ZoneInfo(timezone)
    start = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    end_day = (end - timedelta(microseconds=1)).date() if end > start else end.date()
    if end_day == start.date():
        span = f"{date_in_words(start)}, {time_in_words(start)} to {time_in_words(end)}"
    else:
        span = f"{date_in_words(start)}, {time_in_words(start)} to {date_in_words(end)}, {time_in_words(end)}"
    return f"{span} {zone_in_words(timezone, start, end)}"


def when_in_words(event: Event) -> str:
    """The event's time in its own zone: `Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)`."""
    return span_in_words(event.starts_at, event.ends_at, event.timezone)


def start_in_words(event: Event) -> str:
    """Just the start, for short lines: `Wednesday 9 December 2026 at 2:00pm UK time (GMT)`."""
    start = event.local_start
    return f"{date_in_words(start)} at {time_in_words(start)} {zone_in_words(event.timezone, start)}"


def _offset_in_words(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
