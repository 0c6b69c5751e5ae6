"""The personal join link, `/join/<token>`: where it leads, and when.

From the event's send moment until 30 minutes after its end it redirects to the event's current
Zoom URL (so an admin's change of Zoom URL reaches every link already sent); before, it says when
it will work; after, or when the event or the place is cancelled, it is gone. A stored Zoom URL
that does not lead to an allowed meeting host (shared/domain/join_urls.py) is never redirected to:
the page says the link is not ready, and the API counts it (`JoinUrlRefused`) for the alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.config import join_hosts
from shared.domain.attendance import counts_as_joining
from shared.domain.join_urls import JoinUrlRefused, check_join_url
from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.schedule import Schedule
from shared.stores.events import EventStore
from shared.stores.registrations import RegistrationStore

GRACE_AFTER_END = timedelta(minutes=30)


@dataclass
class JoinAnswer:
    kind: Literal["redirect", "early", "not_ready", "waitlisted", "gone", "unknown"]
    event: Event | None = None
    opens_at: datetime | None = None
    url: str = ""
    first_open: bool = False  # this request recorded the link's first open


def resolve_join(
    events: EventStore,
    registrations: RegistrationStore,
    schedule: Schedule,
    event_id: str,
    person_id: str,
    now: datetime,
) -> JoinAnswer:
    event = events.get(event_id)
    registration = registrations.get(event_id, person_id) if event else None
    if event is None or registration is None:
        return JoinAnswer("unknown")
    if event.status is EventStatus.cancelled or registration.status is RegistrationStatus.cancelled:
        return JoinAnswer("gone", event)
    if now > event.ends_at + GRACE_AFTER_END:
        return JoinAnswer("gone", event)
    if registration.status is RegistrationStatus.waitlisted:
        return JoinAnswer("waitlisted", event)
    opens_at = schedule.send_moment(event)
    if now < opens_at or not event.zoom_join_url:
        return JoinAnswer("early", event, opens_at=opens_at)
    try:
        # Checked again on every use: a value stored by older code or by hand is never followed.
        url = check_join_url(event.zoom_join_url, join_hosts())
    except JoinUrlRefused:
        return JoinAnswer("not_ready", event)
    # Approximate by design: mail scanners open links too (on delivery, before the join window).
    first_open = registration.opened_at is None and registrations.record_first_open(event_id, person_id, now)
    if registration.joined_at is None and counts_as_joining(event, now):
        registrations.record_join(event_id, person_id, now)
    return JoinAnswer("redirect", event, url=url, first_open=first_open)
