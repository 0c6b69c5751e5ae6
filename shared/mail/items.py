"""One event as it stands in one person's email (`EventItem`), and the view of it every template
shows: its time in words, its links, its calendar file, and (only when the item says so) the
personal join link with the meeting ID, passcode and dial-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from shared.domain.calendar_links import google_calendar_url, outlook_calendar_url
from shared.domain.links import Links
from shared.domain.models import Event
from shared.domain.timefmt import when_in_words

ItemStatus = Literal["registered", "waitlisted", "already_registered"]
_STATUSES = ("registered", "waitlisted", "already_registered")
Context = dict[str, object]  # what a template is filled with


def clean(text: str) -> str:
    """One line, no control characters: for headers, names and titles (no header injection).
    Zero-width joiners stay: an emoji sequence is held together by them, and they break no line."""
    return " ".join("".join(ch if ch.isprintable() or ch in "\u200c\u200d" else " " for ch in text).split())


def require_absolute(url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"email links must be absolute http(s) URLs, not {url[:40]!r}")


@dataclass(frozen=True)
class EventItem:
    """One event in an email, as it stands for this person.

    `event_url` is the public page for the event; `join_url` the person's own `/join/<token>`
    link (it goes in the .ics, and in the text when `include_join_details`). Both absolute.
    """

    event: Event
    event_url: str
    join_url: str
    status: ItemStatus = "registered"
    include_join_details: bool = False

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {', '.join(_STATUSES)}, not {self.status!r}")
        require_absolute(self.event_url)
        require_absolute(self.join_url)

    @classmethod
    def of(
        cls, event: Event, person_id: str, links: Links, status: ItemStatus = "registered", join: bool = False
    ) -> EventItem:
        return cls(event, links.event_page(event.id), links.join(event, person_id), status, join)

    @property
    def has_place(self) -> bool:
        return self.status != "waitlisted"

    def require_personal_join_link(self) -> None:
        """The raw Zoom URL must never go out by email: only the `/join/` link that redirects to it."""
        raw_zoom = self.event.zoom_join_url.strip()
        if (raw_zoom and raw_zoom in self.join_url) or "/join/" not in urlsplit(self.join_url).path:
            raise ValueError("join_url must be the personal /join/ link, never the Zoom URL")


def item_views(items: Sequence[EventItem], *, uid_domain: str) -> list[Context]:
    from shared.mail.ics import event_calendar  # icalendar only when a message is actually rendered

    views: list[Context] = []
    used_names: set[str] = set()
    for item in items:
        event = item.event
        view: Context = {
            "title": clean(event.title),
            "when": when_in_words(event),
            "starts_iso": event.local_start.isoformat(),
            "description": event.description.strip(),
            "status": item.status,
            "has_place": item.has_place,
            "event_url": item.event_url,
            "join": None,
            "ics": None,
            "ics_filename": None,
            "google_url": None,
            "outlook_url": None,
        }
        if item.has_place:
            view["google_url"] = google_calendar_url(event, item.event_url, join_url=item.join_url)
            view["outlook_url"] = outlook_calendar_url(event, item.event_url, join_url=item.join_url)
            view["ics"] = event_calendar(
                event, uid_domain=uid_domain, url=item.join_url, details_url=item.event_url
            )
            view["ics_filename"] = _unique_filename(f"conversation-{event.local_start:%Y-%m-%d}", used_names)
            if item.include_join_details:
                view["join"] = {
                    "url": item.join_url,
                    "meeting_id": event.zoom_meeting_id.strip(),
                    "passcode": event.zoom_passcode.strip(),
                    "dial_in": [line.strip() for line in event.zoom_dial_in.splitlines() if line.strip()],
                }
        views.append(view)
    return views


def ics_of(view: Context) -> list[tuple[str, bytes]]:
    ics = view["ics"]
    return [(str(view["ics_filename"]), ics)] if isinstance(ics, bytes) else []


def _unique_filename(stem: str, used: set[str]) -> str:
    name, number = f"{stem}.ics", 1
    while name in used:
        number += 1
        name = f"{stem}-{number}.ics"
    used.add(name)
    return name
