"""Calendar files (.ics): one event, or the subscribable feed of every upcoming event.

The only module that imports icalendar (import time is cold-start time). Output is a pure
function of the input: the same events give the same bytes, so ETags stay stable. DTSTAMP comes
from the event's own `updated_at` (or `created_at`) unless the caller passes one.

Files are `METHOD:PUBLISH` with no ORGANIZER and no ATTENDEE: calendars add them as events of
their own rather than as invitations awaiting a reply. The UID is the event's for ever
(`<event.id>@<uid_domain>`), so a changed or cancelled event, with its higher SEQUENCE, updates
the copy people already have. Zoom details never go in: public files carry the public page, and
emailed files carry the person's own `/join/` link, which redirects to Zoom on the day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vDuration
from icalendar import Event as CalendarEvent

from shared.domain.models import Event, EventStatus

PRODID = "-//Expert Link//Conversations on Co-production//EN"
CALENDAR_NAME = "Conversations on Co-production"
CALENDAR_DESCRIPTION = "Free monthly online conversations on co-production. All are welcome."
# How often subscribed calendars should look again: a change of time or a cancellation reaches
# them within this (answers carry ETags, so a look that finds nothing new costs little).
REFRESH = timedelta(hours=1)
# Used only when an event has no created_at/updated_at (never stored yet): fixed, so still stable.
_FALLBACK_DTSTAMP = datetime(2000, 1, 1, tzinfo=UTC)


def event_calendar(
    event: Event,
    *,
    uid_domain: str,
    url: str,
    details_url: str | None = None,
    cancelled: bool = False,
    dtstamp: datetime | None = None,
) -> bytes:
    """One event as an .ics file.

    `url` becomes the event's URL: the public event page for the public file, or the person's
    personal join link for an emailed one. For an emailed file, pass the public page as
    `details_url`: the description then gives both links, each saying what it is. The file says
    `STATUS:CANCELLED` when `cancelled` is true or the event is cancelled.
    """
    calendar = _new_calendar()
    calendar.add_component(
        _vevent(
            event,
            uid_domain=uid_domain,
            url=url,
            details_url=details_url,
            cancelled=cancelled,
            dtstamp=dtstamp,
        )
    )
    _add_timezones(calendar, [event])
    return bytes(calendar.to_ical())


def calendar_feed(
    events: Iterable[Event],
    *,
    uid_domain: str,
    url_for: Callable[[Event], str],
    dtstamp: datetime | None = None,
) -> bytes:
    """Every given event in one subscribable calendar, soonest first, each zone's VTIMEZONE once.

    `url_for(event)` gives each event's public page. Which events to include is the caller's
    choice; a cancelled one is marked `STATUS:CANCELLED`, so subscribers see it go.
    """
    ordered = sorted(events, key=lambda event: (event.starts_at, event.id))
    calendar = _new_calendar()
    calendar.add("NAME", CALENDAR_NAME)
    calendar.add("X-WR-CALNAME", CALENDAR_NAME)
    calendar.add("DESCRIPTION", CALENDAR_DESCRIPTION)
    calendar.add("X-WR-CALDESC", CALENDAR_DESCRIPTION)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for event in ordered:
        calendar.add_component(
            _vevent(
                event,
                uid_domain=uid_domain,
                url=url_for(event),
                details_url=None,
                cancelled=False,
                dtstamp=dtstamp,
            )
        )
    _add_timezones(calendar, ordered)
    return bytes(calendar.to_ical())


def event_uid(event: Event, uid_domain: str) -> str:
    """The UID every copy of this event shares, public or emailed, before and after any change."""
    return f"{event.id}@{uid_domain}"


def _new_calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    return calendar


def _add_timezones(calendar: Calendar, events: list[Event]) -> None:
    """One VTIMEZONE per zone the events use, ahead of the events, in name order (stable bytes).

    icalendar builds them from zoneinfo. Each covers 1 January of the first event's year to
    1 January after the last one ends, so the rules for those years are spelt out (and clients
    that ignore RDATE still get the first year right). UTC needs none: it is written `...Z`.
    """
    needed = calendar.get_missing_tzids()
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.timezone not in needed:
            continue
        start_year, end_year = event.local_start.year, event.local_end.year
        first, last = years.get(event.timezone, (start_year, end_year))
        years[event.timezone] = (min(first, start_year), max(last, end_year))
    for position, tzid in enumerate(sorted(years)):
        first, last = years[tzid]
        timezone = Timezone.from_tzid(tzid, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1))
        calendar.subcomponents.insert(position, timezone)


def _vevent(
    event: Event,
    *,
    uid_domain: str,
    url: str,
    details_url: str | None,
    cancelled: bool,
    dtstamp: datetime | None,
) -> CalendarEvent:
    zone = ZoneInfo(event.timezone)
    stamp = dtstamp or event.updated_at or event.created_at or _FALLBACK_DTSTAMP
    is_cancelled = cancelled or event.status is EventStatus.cancelled

    vevent = CalendarEvent()
    vevent.add("UID", event_uid(event, uid_domain))
    vevent.add("DTSTAMP", stamp.astimezone(UTC))
    if event.updated_at is not None:
        vevent.add("LAST-MODIFIED", event.updated_at.astimezone(UTC))
    vevent.add("DTSTART", event.starts_at.astimezone(zone))
    vevent.add("DTEND", event.ends_at.astimezone(zone))
    vevent.add("SUMMARY", event.title)
    vevent.add("DESCRIPTION", _description(event, url=url, details_url=details_url, cancelled=is_cancelled))
    vevent.add("LOCATION", "Online, on Zoom")
    vevent.add("URL", url)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("STATUS", "CANCELLED" if is_cancelled else "CONFIRMED")
    vevent.add("TRANSP", "OPAQUE")
    vevent.add("CLASS", "PUBLIC")
    return vevent


def _description(event: Event, *, url: str, details_url: str | None, cancelled: bool) -> str:
    parts = []
    if cancelled:
        parts.append("This conversation has been cancelled.")
    if event.description.strip():
        parts.append(event.description.strip())
    if details_url is None:
        parts.append(f"Details: {url}" if cancelled else f"Details and sign-up: {url}")
    else:
        if not cancelled:
            parts.append(f"Your personal link to join (it works from the morning of the conversation): {url}")
        parts.append(f"Details: {details_url}")
    return "\n\n".join(parts)
