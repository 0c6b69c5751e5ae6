"""Change and cancellation notices, as values: what registrants were last told, and who a notice
concerns. The workflow (shared/workflows/notices.py) decides when to make one; the store keeps them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.people import Registration
from shared.domain.schedule import Schedule

NoticeKind = Literal["change", "cancellation"]


def zoom_fingerprint(event: Event) -> str:
    """A short digest of the Zoom details, to notice a change without keeping a second copy."""
    details = (event.zoom_join_url, event.zoom_meeting_id, event.zoom_passcode, event.zoom_dial_in)
    return hashlib.sha256("\x1f".join(d.strip() for d in details).encode()).hexdigest()[:24]


def links_out(registration: Registration, event: Event, schedule: Schedule) -> bool:
    """Did this person's join link (with the Zoom details) go out for the event's send moment?"""
    return registration.link_sent_for is not None and registration.link_sent_for == schedule.send_moment(
        event
    )


@dataclass(frozen=True)
class Told:
    """What registrants were last told of an event: its time and a fingerprint of its Zoom details."""

    starts_at: datetime
    ends_at: datetime
    zoom: str

    @classmethod
    def now(cls, event: Event) -> Told:
        return cls(event.starts_at, event.ends_at, zoom_fingerprint(event))


@dataclass(frozen=True)
class NoticeState:
    """The notice bookkeeping kept on an event: how many notices so far, and what people were
    last told (None until first recorded)."""

    notices: int = 0
    told: Told | None = None


@dataclass(frozen=True)
class Notice:
    event_id: str
    number: int
    kind: NoticeKind
    created_at: datetime
    time_changed: bool = False
    zoom_changed: bool = False
    old_starts_at: datetime | None = None
    old_ends_at: datetime | None = None
    message: str = ""
    planned: bool = False

    def concerns(self, registration: Registration, event: Event, schedule: Schedule) -> bool:
        """Is this registration in the notice's audience? (Asked when its batches are written.)"""
        if self.kind == "cancellation":
            return registration.status in (RegistrationStatus.registered, RegistrationStatus.waitlisted)
        if registration.status is not RegistrationStatus.registered:
            return False
        if registration.registered_at > self.created_at:
            return False  # signed up (or promoted) after the change: their email had it already
        return self.time_changed or links_out(registration, event, schedule)

    def still_news(self, event: Event, now: datetime) -> bool:
        """A change of an event since cancelled or ended is no longer worth an email."""
        if self.kind == "cancellation":
            return event.status is EventStatus.cancelled
        return event.status is EventStatus.scheduled and not event.has_ended(now)
