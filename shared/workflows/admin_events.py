"""Admin actions on events (create, update, copy, list, delete): the logic. The input models live
in event_fields.py; rewriting an unreadable event in event_repair.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.domain.errors import DuplicateEvent, NotFound, Unavailable, ValidationFailed
from shared.domain.models import Event, EventStatus
from shared.domain.timefmt import date_in_words
from shared.stores.events import EventStore
from shared.stores.registrations import RegistrationStore
from shared.stores.title_days import title_day_key
from shared.stores.unreadable import Unreadable
from shared.workflows.event_fields import CopyEvent as CopyEvent
from shared.workflows.event_fields import CreateEvent as CreateEvent
from shared.workflows.event_fields import ListEvents as ListEvents
from shared.workflows.event_fields import UpdateEvent as UpdateEvent
from shared.workflows.event_fields import slug, times
from shared.workflows.event_repair import repaired


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
        starts_at, ends_at = times(request, zone, None, now)
        new = Event(
            id="new",
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
        return self._store_new(new, duplicate_allowed=request.allow_duplicate)

    def copy_event(self, request: CopyEvent, now: datetime) -> Event:
        """A new event like `request.event_id` at the given start (next month's, usually)."""
        source = self.events.get_stored(request.event_id)
        if source is None:
            raise NotFound(f"There is no event with id {request.event_id!r} that can be copied.")
        if isinstance(source, Unreadable):
            words = (
                f"The event {request.event_id!r} cannot be read, so it cannot be copied: rewrite it "
                "with update_event (give starts_at and any other field), then copy it."
            )
            raise ValidationFailed(
                words, fields={"event_id": "names an event whose stored record cannot be read"}
            )
        given = request.model_fields_set
        zone = request.timezone or source.timezone
        # The source's duration stands unless ends_at or duration_minutes is given.
        starts_at, ends_at = times(request, zone, source, now)
        new = Event(
            id="new",
            title=request.title if "title" in given and request.title else source.title,
            description=(request.description or "") if "description" in given else source.description,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=zone,
            capacity=request.capacity if "capacity" in given else source.capacity,
            # A new meeting each month, as Zoom makes them: last month's is never carried over.
            zoom_join_url=request.zoom_join_url or "",
            zoom_meeting_id=request.zoom_meeting_id or "",
            zoom_passcode=request.zoom_passcode or "",
            zoom_dial_in=request.zoom_dial_in or "",
            created_at=now,
            updated_at=now,
        )
        return self._store_new(new, duplicate_allowed=request.allow_duplicate)

    def _store_new(self, new: Event, *, duplicate_allowed: bool) -> Event:
        """Store `new` under the first free id made from its day and title (its `id` is ignored)."""
        base_id = f"{new.local_start.date().isoformat()}-{slug(new.title)}"
        for n in range(1, 50):
            event = new.model_copy(update={"id": base_id if n == 1 else f"{base_id}-{n}"})
            outcome = self.events.create(event, duplicate_allowed=duplicate_allowed)
            if outcome == "created":
                return event
            if outcome == "duplicate":
                raise self._duplicate(event)
        raise Unavailable("Could not find a free id for the event.")

    def _duplicate(self, event: Event) -> DuplicateEvent:
        others = [i for i in self.events.title_day_holders(event) if i != event.id]
        named = f" ({', '.join(others)})" if others else ""
        return DuplicateEvent(
            f'There is already an event called "{event.title}" on {date_in_words(event.local_start)}'
            f'{named}. If you do want two, send this again with "allow_duplicate": true.',
            fields={"title": "is the title of another event on that day"},
        )

    def update_event(self, request: UpdateEvent, now: datetime) -> Event:
        """Apply the given fields, if nobody changed the event meanwhile (else read and apply again).
        An event whose stored item cannot be read is overwritten whole (see `_repaired`)."""
        for _attempt in range(5):
            previous = self.events.get_stored(request.event_id)
            if previous is None:
                raise NotFound(f"There is no event with id {request.event_id!r}.")
            if isinstance(previous, Unreadable):
                event = repaired(request, previous, self.registrations, now)
                rewritten = self.events.overwrite(
                    event, previous.fields.get("updated_at"), duplicate_allowed=request.allow_duplicate
                )
                if rewritten == "duplicate":
                    raise self._duplicate(event)
                if rewritten == "saved":
                    return event
                continue
            changes = _changes(request, previous, now)
            event = previous.model_copy(update=changes)
            lowered = _places(event.capacity) < _places(previous.capacity)
            moved = previous.status is EventStatus.scheduled and title_day_key(event) != title_day_key(
                previous
            )
            outcome = self.events.save_fields(
                event,
                set(changes),
                previous.updated_at,
                registered_at_most=event.capacity if lowered else None,
                title_day=(previous, request.allow_duplicate) if moved else None,
            )
            if outcome == "duplicate":
                raise self._duplicate(event)
            if outcome == "saved":
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
        stored = self.events.get_stored(event_id)
        if stored is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        if self.registrations.of_event(event_id):
            raise ValidationFailed(
                "That event has registrations: cancel it instead (cancel_event), so people are told.",
                fields={"event_id": "has registrations"},
            )
        self.events.delete(event_id, stored if isinstance(stored, Event) else None)


def _changes(request: UpdateEvent, previous: Event, now: datetime) -> dict[str, object]:
    given = request.model_fields_set
    zone = request.timezone or previous.timezone
    starts_at, ends_at = (
        times(request, zone, previous, now)
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
