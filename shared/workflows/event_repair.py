"""Rewriting an event whose stored item cannot be read (update_event on it): the request's fields,
else the stored ones that can be read, else defaults; counters counted again."""

from __future__ import annotations

from datetime import datetime

from shared.config import join_hosts
from shared.domain.errors import ValidationFailed
from shared.domain.join_urls import JoinUrlRefused, check_join_url
from shared.domain.models import Event, EventStatus, has_control_characters
from shared.domain.stored_time import UnreadableTime, from_stored
from shared.stores.registrations import RegistrationStore
from shared.stores.unreadable import Unreadable
from shared.workflows.event_fields import UpdateEvent, times, zone_of


def _stored_zone(text: str | None) -> str | None:
    try:
        return zone_of(text).key if text else None
    except ValueError:
        return None


def _stored_time(text: str | None) -> datetime | None:
    try:
        return from_stored(text)
    except UnreadableTime:
        return None


def _stored_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def repaired(
    request: UpdateEvent, stored: Unreadable, registrations: RegistrationStore, now: datetime
) -> Event:
    """The whole event to write over an item that cannot be read: the request's fields, else the
    stored ones that can be read, else defaults; counters counted again from the registrations.
    `starts_at` must be given, since the stored times are what most often cannot be read."""
    raw = stored.fields
    if request.starts_at is None:
        raise ValidationFailed(
            "This event's stored record cannot be read: give starts_at (and any other field) to rewrite it.",
            fields={"starts_at": "is needed to rewrite an event whose stored record cannot be read"},
        )
    zone = request.timezone or _stored_zone(raw.get("timezone")) or "Europe/London"
    starts_at, ends_at = times(request, zone, None, now)
    given = request.model_fields_set
    title = request.title if "title" in given and request.title else raw.get("title", "").strip()
    if not title or len(title) > 200 or has_control_characters(title):
        raise ValidationFailed(
            "Give this event a title.", fields={"title": "is needed to rewrite this event"}
        )

    def text(name: str) -> str:
        value = getattr(request, name) if name in given else raw.get(name, "")
        return str(value or "")

    stored_url = raw.get("zoom_join_url", "")
    try:
        stored_url = check_join_url(stored_url, join_hosts()) if stored_url else ""
    except JoinUrlRefused:
        stored_url = ""
    places = registrations.of_event(stored.id)
    counts: dict[str, int] = {}
    for place in places:
        key = f"{place.status.value}#{place.role.value}"
        counts[key] = counts.get(key, 0) + 1
    return Event(
        id=stored.id,
        title=title,
        description=text("description")[:5000],
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone,
        status=EventStatus.cancelled if raw.get("status") == "cancelled" else EventStatus.scheduled,
        capacity=request.capacity if "capacity" in given else _stored_int(raw.get("capacity")),
        registered_count=sum(1 for p in places if p.status.value == "registered"),
        waitlisted_count=sum(1 for p in places if p.status.value == "waitlisted"),
        counts=counts,
        links_opened=sum(1 for p in places if p.opened_at is not None),
        attended=sum(1 for p in places if p.joined_at is not None),
        zoom_join_url=(request.zoom_join_url or "") if "zoom_join_url" in given else stored_url,
        zoom_meeting_id=text("zoom_meeting_id")[:50],
        zoom_passcode=text("zoom_passcode")[:50],
        zoom_dial_in=text("zoom_dial_in")[:2000],
        sequence=(_stored_int(raw.get("sequence")) or 0) + 1,
        created_at=_stored_time(raw.get("created_at")) or now,
        updated_at=now,
    )
