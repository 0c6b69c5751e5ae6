"""Links that add an event to Google Calendar or Outlook on the web.

Times go in UTC (the `Z` form), so each person's calendar shows them in their own zone. The
links carry the title, a short description and the public details link: never a Zoom detail,
because these links appear on public pages too. A personal join link may be passed for the
copies in a person's own email.

Kept free of icalendar and jinja2: the public API builds these for every event it lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from shared.domain.stored_time import to_stored

if TYPE_CHECKING:
    from shared.domain.models import Event

GOOGLE_BASE = "https://calendar.google.com/calendar/render"
OUTLOOK_BASE = "https://outlook.live.com/calendar/0/deeplink/compose"
LOCATION = "Online, on Zoom"
# Long URLs are hard to read in plain-text email and break in some clients: the description is
# trimmed, the details page has it all.
_MAX_DESCRIPTION = 200
# Characters a query value may carry as they are (RFC 3986): keeps the links shorter and readable.
_SAFE = "/:,"


def google_calendar_url(event: Event, details_url: str, *, join_url: str | None = None) -> str:
    """A Google Calendar "new event" link, prefilled."""
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_compact_utc(event.starts_at)}/{_compact_utc(event.ends_at)}",
        "details": calendar_details(event, details_url, join_url=join_url),
        "location": LOCATION,
    }
    return f"{GOOGLE_BASE}?{urlencode(params, quote_via=quote, safe=_SAFE)}"


def outlook_calendar_url(event: Event, details_url: str, *, join_url: str | None = None) -> str:
    """An Outlook on the web (outlook.live.com) "new event" deeplink, prefilled."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _iso_utc(event.starts_at),
        "enddt": _iso_utc(event.ends_at),
        "body": calendar_details(event, details_url, join_url=join_url),
        "location": LOCATION,
    }
    return f"{OUTLOOK_BASE}?{urlencode(params, quote_via=quote, safe=_SAFE)}"


def calendar_details(event: Event, details_url: str, *, join_url: str | None = None) -> str:
    """The text a calendar entry carries: a short description, the join link if personal, the details link."""
    parts = []
    description = " ".join(event.description.split())
    if len(description) > _MAX_DESCRIPTION:
        description = description[: _MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    if description:
        parts.append(description)
    if join_url:
        parts.append(f"Your link to join on the day: {join_url}")
    parts.append(f"Details: {details_url}")
    return "\n\n".join(parts)


def _compact_utc(moment: datetime) -> str:
    return _iso_utc(moment).replace("-", "").replace(":", "")


def _iso_utc(moment: datetime) -> str:
    # Not strftime's %Y, which writes a year below 1000 with fewer than four digits.
    return to_stored(moment)
