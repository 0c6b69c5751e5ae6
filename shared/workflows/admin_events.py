"""Admin actions on events (create, update, list, delete): validated input models and the logic."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from shared.config import join_hosts
from shared.domain.errors import NotFound, Unavailable, ValidationFailed
from shared.domain.join_urls import JoinUrlRefused, check_join_url
from shared.domain.models import Event, EventStatus, has_control_characters
from shared.domain.stored_time import UnreadableTime, from_stored
from shared.domain.timefmt import day_in_words
from shared.stores.events import EventStore
from shared.stores.registrations import RegistrationStore
from shared.stores.unreadable import Unreadable

DEFAULT_DURATION = 90
# The dates an admin may give: none before the series could have begun, none further ahead than
# anyone plans (and nothing near the calendar's end, where arithmetic on a date overflows).
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
DAYS_AHEAD = 5 * 365 + 1
LONGEST = timedelta(hours=24)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # OSError: a name too long for a file name, or a folder of zones ("Europe"), found by fuzzing
    except (ZoneInfoNotFoundError, ValueError, OSError):
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
    zoom_join_url: str | None = Field(default=None, max_length=500)
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

    @field_validator("starts_at", "ends_at", mode="wrap")
    @classmethod
    def _a_date(cls, value: object, handler: ValidatorFunctionWrapHandler) -> datetime | None:
        try:
            moment: datetime | None = handler(value)
        except ValidationError:
            # In words, not pydantic's (a year 10000 would read "invalid date separator").
            raise ValueError(
                "must be a date and time like 2026-12-09T14:00:00 (an offset such as +01:00 is optional)"
            ) from None
        return moment

    @field_validator("zoom_join_url")
    @classmethod
    def _meeting_link(cls, value: str | None) -> str | None:
        if not value:
            return value  # empty: no link yet
        try:
            return check_join_url(value, join_hosts())
        except JoinUrlRefused as error:
            raise ValueError(str(error)) from None

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


def _in_range(name: str, moment: datetime, now: datetime) -> datetime:
    """`moment` if it lies between EARLIEST and DAYS_AHEAD from now; else a plain refusal naming
    the field. The year is compared first, so no arithmetic is done on a date near year 1 or 9999."""
    latest = now + timedelta(days=DAYS_AHEAD)
    if EARLIEST.year <= moment.year <= latest.year and EARLIEST <= moment <= latest:
        return moment
    words = f"Give a date between {day_in_words(EARLIEST)} and {day_in_words(latest)}."
    raise ValidationFailed(words, fields={name: words})


def _times(
    fields: EventFields, zone: str, previous: Event | None, now: datetime
) -> tuple[datetime, datetime]:
    starts_at = (
        _in_range("starts_at", _localise(fields.starts_at, zone), now)
        if fields.starts_at
        else previous.starts_at
        if previous
        else None
    )
    assert starts_at is not None
    if fields.ends_at is not None:
        ends_at = _in_range("ends_at", _localise(fields.ends_at, zone), now)
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
    if ends_at - starts_at > LONGEST:
        raise ValidationFailed(
            "An event lasts at most 24 hours.", fields={"ends_at": "must be at most 24 hours after starts_at"}
        )
    return starts_at, ends_at


class EventAdmin:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        promote: Callable[[str, datetime], list[str]] | None = None,
    ) -> None:
        self.events = events
        self.registrations = registrations
        # Offers free places to the waiting list, in its order, each person told (Registrations).
        self.promote = promote

    def create_event(self, request: CreateEvent, now: datetime) -> Event:
        zone = request.timezone or "Europe/London"
        starts_at, ends_at = _times(request, zone, None, now)
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
        """Apply the given fields, if nobody changed the event meanwhile (else read and apply again).
        An event whose stored item cannot be read is overwritten whole (see `_repaired`)."""
        for _attempt in range(5):
            previous = self.events.get_stored(request.event_id)
            if previous is None:
                raise NotFound(f"There is no event with id {request.event_id!r}.")
            if isinstance(previous, Unreadable):
                event = _repaired(request, previous, self.registrations, now)
                if self.events.overwrite(event, previous.fields.get("updated_at")):
                    return event
                continue
            changes = _changes(request, previous, now)
            event = previous.model_copy(update=changes)
            lowered = _places(event.capacity) < _places(previous.capacity)
            if self.events.save_fields(
                event,
                set(changes),
                previous.updated_at,
                registered_at_most=event.capacity if lowered else None,
            ):
                if _places(event.capacity) > _places(previous.capacity) and self.promote is not None:
                    # More places: they go to the waiting list in its order, not to the next sign-up.
                    self.promote(event.id, now)
                    event = self.events.get(event.id) or event
                return event
        raise Unavailable("The event kept changing while we updated it. Please try again.")

    def list_events(self, request: ListEvents, now: datetime) -> tuple[list[Event], list[Unreadable]]:
        """The events, and every event item that cannot be read (in either list: its dates are
        what cannot be read), for an admin to repair, cancel or delete."""
        if request.when == "past":
            return self.events.by_start_with_unreadable(ended_before=now, descending=True)
        return self.events.by_start_with_unreadable(ending_after=now)

    def cancel_unreadable(self, event_id: str, *, dry_run: bool) -> Unreadable | None:
        """Cancel an event that cannot be read (nobody can be told: its dates cannot be written in
        an email); None when the event can be read, for the ordinary cancellation."""
        stored = self.events.get_stored(event_id)
        if not isinstance(stored, Unreadable):
            return None
        if not dry_run:
            self.events.set_status(event_id, EventStatus.cancelled)
        return stored

    def delete_event(self, event_id: str) -> None:
        """Delete an event nobody registered for; one with registrations must be cancelled."""
        if self.events.get_stored(event_id) is None:
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
        _times(request, zone, previous, now)
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
        if request.capacity is not None and request.capacity < previous.registered_count:
            n = previous.registered_count
            raise ValidationFailed(
                f"{n} people already have a place, so the capacity cannot be lower than {n}. "
                "Cancel places first (cancel_registration) if you must have fewer.",
                fields={"capacity": f"must be at least {n}, the number of people already registered"},
            )
        changes["capacity"] = request.capacity
    time_changed = (starts_at, ends_at) != (previous.starts_at, previous.ends_at)
    if time_changed or ("title" in given and request.title != previous.title):
        changes["sequence"] = previous.sequence + 1
    if previous.status is EventStatus.cancelled and time_changed:
        raise ValidationFailed("A cancelled event cannot be moved.", fields={"event_id": "is cancelled"})
    return changes


def _places(capacity: int | None) -> float:
    """A capacity as a number of places (no capacity: unlimited)."""
    return float("inf") if capacity is None else capacity


def _stored_zone(text: str | None) -> str | None:
    try:
        return _zone(text).key if text else None
    except ValueError:
        return None


def _stored_time(text: str | None) -> datetime | None:
    try:
        return from_stored(text)
    except UnreadableTime:
        return None


def _stored_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _repaired(
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
    starts_at, ends_at = _times(request, zone, None, now)
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
