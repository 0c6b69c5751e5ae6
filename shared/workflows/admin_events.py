"""Admin actions on events (create, update, list, delete): validated input models and the logic."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from shared.domain.errors import NotFound, Unavailable, ValidationFailed
from shared.domain.models import Event, EventStatus, has_control_characters
from shared.stores.events import EventStore
from shared.stores.registrations import RegistrationStore

DEFAULT_DURATION = 90


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a known IANA time zone, like Europe/London") from None


class EventFields(BaseModel):
    """Fields an admin may set. Naive times are in `timezone`; aware ones keep their offset."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    timezone: str | None = None
    zoom_join_url: str | None = Field(default=None, max_length=500, pattern=r"^(https://\S+)?$")
    zoom_meeting_id: str | None = Field(default=None, max_length=50)
    zoom_passcode: str | None = Field(default=None, max_length=50)
    zoom_dial_in: str | None = Field(default=None, max_length=2000)
    capacity: int | None = Field(default=None, ge=1, le=100000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _zone(value)
        return value

    @field_validator("title")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value

    @model_validator(mode="after")
    def _one_end(self) -> EventFields:
        if self.ends_at is not None and self.duration_minutes is not None:
            raise ValueError("give ends_at or duration_minutes, not both")
        return self


class CreateEvent(EventFields):
    action: Literal["create_event"] = "create_event"
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime


class UpdateEvent(EventFields):
    action: Literal["update_event"] = "update_event"
    event_id: str = Field(min_length=1, max_length=100)
    notify: bool = True
    # An explicit null clears the capacity (unlimited places).
    capacity: int | None = Field(default=None, ge=1, le=100000)


class ListEvents(BaseModel):
    model_config = {"extra": "forbid"}
    action: Literal["list_events"] = "list_events"
    when: Literal["upcoming", "past"] = "upcoming"


def _localise(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=_zone(zone)) if moment.tzinfo is None else moment


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-") or "event"


def _times(fields: EventFields, zone: str, previous: Event | None) -> tuple[datetime, datetime]:
    starts_at = (
        _localise(fields.starts_at, zone) if fields.starts_at else previous.starts_at if previous else None
    )
    assert starts_at is not None
    if fields.ends_at is not None:
        ends_at = _localise(fields.ends_at, zone)
    elif fields.duration_minutes is not None:
        ends_at = starts_at + timedelta(minutes=fields.duration_minutes)
    elif previous is not None:
        ends_at = starts_at + (previous.ends_at - previous.starts_at)
    else:
        ends_at = starts_at + timedelta(minutes=DEFAULT_DURATION)
    if ends_at <= starts_at:
        raise ValidationFailed(
            "The event must end after it starts.", fields={"ends_at": "must be after starts_at"}
        )
    return starts_at, ends_at


class EventAdmin:
    def __init__(self, events: EventStore, registrations: RegistrationStore) -> None:
        self.events = events
        self.registrations = registrations

    def create_event(self, request: CreateEvent, now: datetime) -> Event:
        zone = request.timezone or "Europe/London"
        starts_at, ends_at = _times(request, zone, None)
        base_id = f"{starts_at.astimezone(_zone(zone)).date().isoformat()}-{slug(request.title)}"
        for n in range(1, 50):
            event = Event(
                id=base_id if n == 1 else f"{base_id}-{n}",
                title=request.title,
                description=request.description or "",
                starts_at=starts_at,
                ends_at=ends_at,
                timezone=zone,
                capacity=request.capacity,
                zoom_join_url=request.zoom_join_url or "",
                zoom_meeting_id=request.zoom_meeting_id or "",
                zoom_passcode=request.zoom_passcode or "",
                zoom_dial_in=request.zoom_dial_in or "",
                created_at=now,
                updated_at=now,
            )
            if self.events.create(event):
                return event
        raise Unavailable("Could not find a free id for the event.")

    def update_event(self, request: UpdateEvent, now: datetime) -> Event:
        """Apply the given fields, if nobody changed the event meanwhile (else read and apply again)."""
        for _attempt in range(5):
            previous = self.events.get(request.event_id)
            if previous is None:
                raise NotFound(f"There is no event with id {request.event_id!r}.")
            changes = _changes(request, previous, now)
            event = previous.model_copy(update=changes)
            if self.events.save_fields(event, set(changes), previous.updated_at):
                return event
        raise Unavailable("The event kept changing while we updated it. Please try again.")

    def list_events(self, request: ListEvents, now: datetime) -> list[Event]:
        if request.when == "past":
            return self.events.by_start(ended_before=now, descending=True)
        return self.events.by_start(ending_after=now)

    def delete_event(self, event_id: str) -> None:
        """Delete an event nobody registered for; one with registrations must be cancelled."""
        if self.events.get(event_id) is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        if self.registrations.of_event(event_id):
            raise ValidationFailed(
                "That event has registrations: cancel it instead (cancel_event), so people are told.",
                fields={"event_id": "has registrations"},
            )
        self.events.delete(event_id)


def _changes(request: UpdateEvent, previous: Event, now: datetime) -> dict[str, object]:
    given = request.model_fields_set
    zone = request.timezone or previous.timezone
    starts_at, ends_at = (
        _times(request, zone, previous)
        if given & {"starts_at", "ends_at", "duration_minutes", "timezone"}
        else (previous.starts_at, previous.ends_at)
    )
    changes: dict[str, object] = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": zone,
        "updated_at": now,
    }
    for name in ("title", "description", "zoom_join_url", "zoom_meeting_id", "zoom_passcode", "zoom_dial_in"):
        if name in given:
            changes[name] = getattr(request, name) or ""
    if "capacity" in given:
        changes["capacity"] = request.capacity
    time_changed = (starts_at, ends_at) != (previous.starts_at, previous.ends_at)
    if time_changed or ("title" in given and request.title != previous.title):
        changes["sequence"] = previous.sequence + 1
    if previous.status is EventStatus.cancelled and time_changed:
        raise ValidationFailed("A cancelled event cannot be moved.", fields={"event_id": "is cancelled"})
    return changes
