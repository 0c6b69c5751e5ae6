"""Events: `EVENT#<event_id>` / `EVENT`, listed by start through the EventsByStart index
(`GSI1PK` EVENTS, `GSI1SK` `<starts_at>#<event_id>`).

An event item also carries counters that sign-ups move concurrently (`registered_count`,
`waitlisted_count`, `counts` by status and role, `links_opened`): they are written only by
conditional ADDs in the registration store's transactions, never by `save_fields`. The notice
store keeps its own bookkeeping on the same item (`notices`, `told_*`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from shared.domain.errors import Unavailable
from shared.domain.models import Event, EventStatus, RegistrationStatus, Role
from shared.domain.stored_time import UnreadableTime, from_stored
from shared.stores import title_days
from shared.stores.table import Item, Key, Table, Write, iso
from shared.stores.unreadable import RecordUnreadable, Unreadable, note

EVENTS_INDEX = "EventsByStart"
_COUNTERS = ("capacity", "registered_count", "waitlisted_count", "sequence", "links_opened", "attended")
_TIMES = ("starts_at", "ends_at", "created_at", "updated_at")


def event_key(event_id: str) -> Key:
    return f"EVENT#{event_id}", "EVENT"


def event_partition(event_id: str) -> str:
    return f"EVENT#{event_id}"


def event_item(event: Event) -> Item:
    values = event.model_dump(mode="python")
    values.update(
        PK=f"EVENT#{event.id}",
        SK="EVENT",
        GSI1PK="EVENTS",
        GSI1SK=f"{iso(event.starts_at)}#{event.id}",
        starts_at=iso(event.starts_at),
        ends_at=iso(event.ends_at),
        created_at=iso(event.created_at),
        updated_at=iso(event.updated_at),
        status=event.status.value,
    )
    return values


def event_from(item: Item) -> Event:
    """The event stored as `item`; `RecordUnreadable` naming every field that cannot be read."""
    values = dict(item)
    problems: dict[str, str] = {}
    for name in _TIMES:
        if values.get(name) is not None:
            try:
                values[name] = from_stored(values[name])
            except UnreadableTime as error:
                problems[name] = str(error)
    for name in _COUNTERS:
        if values.get(name) is not None:
            try:
                values[name] = int(values[name])
            except (TypeError, ValueError):
                problems[name] = "is not a whole number"
    try:
        values["counts"] = {str(k): int(v) for k, v in values.get("counts", {}).items()}
    except (AttributeError, TypeError, ValueError):
        problems["counts"] = "is not a map of whole numbers"
    try:
        ZoneInfo(str(values.get("timezone", "Europe/London")))
    except (ValueError, ZoneInfoNotFoundError):
        problems["timezone"] = "is not a known IANA time zone"
    if problems:
        raise RecordUnreadable(problems)
    try:
        return Event.model_validate(values)
    except ValidationError as error:
        raise RecordUnreadable.of(error) from None


def event_id_of(item: Item) -> str:
    return str(item.get("PK", "")).removeprefix("EVENT#")


def read_event(item: Item) -> Event | Unreadable:
    """The event, or (logged and counted) what admins are shown of an item that cannot be read."""
    try:
        return event_from(item)
    except RecordUnreadable as error:
        return note("event", event_id_of(item), item, error)


def count_write(
    event: Event,
    changes: dict[tuple[RegistrationStatus, Role], int],
    *,
    now: datetime,
    require_open: bool,
    require_space: bool,
) -> Write:
    """Move the event's counters (part of a registration's transaction); optionally only while
    it is open and, for a new place, not full."""
    names = {"#counts": "counts"}
    values: Item = {":zero": 0}
    adds = []
    for status, attribute in (
        (RegistrationStatus.registered, "registered_count"),
        (RegistrationStatus.waitlisted, "waitlisted_count"),
    ):
        delta = sum(n for (s, _role), n in changes.items() if s is status)
        if delta:
            adds.append(f"{attribute} :{attribute}")
            values[f":{attribute}"] = delta
    sets = []
    for n, ((status, role), delta) in enumerate(sorted(changes.items())):
        names[f"#c{n}"] = f"{status.value}#{role.value}"
        values[f":c{n}"] = delta
        # Counters live in a map: each key from its current value (or 0) plus the change.
        sets.append(f"#counts.#c{n} = if_not_exists(#counts.#c{n}, :zero) + :c{n}")
    conditions = ["attribute_exists(PK)"]
    if require_open:
        conditions.append("#status = :scheduled AND ends_at > :now")
        names["#status"] = "status"
        values.update({":scheduled": EventStatus.scheduled.value, ":now": iso(now)})
    if require_space and event.capacity is not None:
        conditions.append("registered_count < #capacity")
        names["#capacity"] = "capacity"
    expression = ("SET " + ", ".join(sets) + " " if sets else "") + ("ADD " + ", ".join(adds) if adds else "")
    return Write(
        label=f"event:{event.id}",
        key=event_key(event.id),
        update=expression.strip(),
        condition=" AND ".join(conditions),
        names=names,
        values=values,
    )


def opened_write(event_id: str, counter: str = "links_opened") -> Write:
    """Count one more first open of a join link on the event (`links_opened`), or one more person
    who opened it while the event was on (`attended`): kept for reports."""
    return Write(
        label=f"event:{event_id}",
        key=event_key(event_id),
        update=f"ADD {counter} :one",
        values={":one": 1},
    )


class EventStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, event_id: str, *, consistent: bool = False) -> Event | None:
        """The event; None when there is none, or when it cannot be read (logged and counted)."""
        found = self.get_stored(event_id, consistent=consistent)
        return found if isinstance(found, Event) else None

    def get_stored(self, event_id: str, *, consistent: bool = False) -> Event | Unreadable | None:
        """The event, or what admins are shown of it when it cannot be read, or None."""
        item = self.table.get(event_key(event_id), consistent=consistent)
        return read_event(item) if item else None

    def get_many(self, event_ids: Iterable[str]) -> dict[str, Event]:
        """The events that exist and can be read (the others are logged and counted)."""
        found = (read_event(item) for item in self.table.get_many(event_key(e) for e in event_ids))
        return {event.id: event for event in found if isinstance(event, Event)}

    def by_start(
        self,
        *,
        ended_before: datetime | None = None,
        ending_after: datetime | None = None,
        descending: bool = False,
    ) -> list[Event]:
        """Events by start time. The index holds every event; filtering on the end happens here.
        Items that cannot be read are left out (logged and counted)."""
        events, _unreadable = self.by_start_with_unreadable(
            ended_before=ended_before, ending_after=ending_after, descending=descending
        )
        return events

    def by_start_with_unreadable(
        self,
        *,
        ended_before: datetime | None = None,
        ending_after: datetime | None = None,
        descending: bool = False,
    ) -> tuple[list[Event], list[Unreadable]]:
        """`by_start`, and every indexed item that cannot be read (whatever its dates: they are
        what cannot be read), for admins."""
        found = [
            read_event(item) for item in self.table.query("EVENTS", index=EVENTS_INDEX, descending=descending)
        ]
        events = [e for e in found if isinstance(e, Event)]
        if ending_after is not None:
            events = [e for e in events if e.ends_at > ending_after]
        if ended_before is not None:
            events = [e for e in events if e.ends_at <= ended_before]
        return events, [e for e in found if isinstance(e, Unreadable)]

    def create(
        self, event: Event, *, duplicate_allowed: bool = False
    ) -> Literal["created", "id_taken", "duplicate"]:
        """Store a new event with its claim on its title and day (title_days.py), in one
        transaction: "id_taken" if its id is, "duplicate" if another event holds its title and day
        and `duplicate_allowed` is false."""
        put = Write(label="event", item=event_item(event), condition="attribute_not_exists(PK)")
        for _attempt in range(5):
            refusal = self.table.transact([put, title_days.claim_write(event, alone=not duplicate_allowed)])
            if not refusal:
                return "created"
            if "event" in refusal.failed:
                return "id_taken"
            if title_days.LABEL in refusal.failed and not self.release_stale_claims(event):
                return "duplicate"
        raise Unavailable()

    def release_stale_claims(self, event: Event) -> bool:
        """Take off `event`'s title and day every other holder that no longer stands on them
        (title_days.stands_on); an unreadable holder may, and stays. True if any was taken off."""
        key = title_days.title_day_key(event)
        stale = []
        for holder in title_days.holders(self.table, event):
            held = self.get_stored(holder, consistent=True) if holder != event.id else event
            if not isinstance(held, Unreadable) and not title_days.stands_on(held, key):
                stale.append(holder)
        for holder in stale:
            self.table.write(title_days.release_from(key, holder))
        return bool(stale)

    def title_day_holders(self, event: Event) -> list[str]:
        return title_days.holders(self.table, event)

    def save_fields(
        self,
        event: Event,
        fields: set[str],
        expected_updated_at: datetime | None,
        *,
        registered_at_most: int | None = None,
        title_day: tuple[Event, bool] | None = None,
    ) -> Literal["saved", "changed", "duplicate"]:
        """Write only the named fields of `event` (never its counters), if nobody else changed the
        event since it was read (optimistic lock on `updated_at`) and, with `registered_at_most`, if
        no more than that many people are registered (a lowered capacity, against racing sign-ups).
        With `title_day` (the event as it was, and whether a duplicate is allowed) its claim moves to
        the new title and day in the same transaction. "changed": somebody changed it meanwhile."""
        item = event_item(event)
        wanted = set(fields) | {"updated_at"}
        if "starts_at" in wanted:
            wanted.add("GSI1SK")
        names: dict[str, str] = {}
        values: Item = {}
        sets, removes = [], []
        for n, name in enumerate(sorted(wanted)):
            names[f"#f{n}"] = name
            if item.get(name) is None:
                removes.append(f"#f{n}")
            else:
                sets.append(f"#f{n} = :f{n}")
                values[f":f{n}"] = item[name]
        condition = "attribute_exists(PK)"
        if expected_updated_at is not None:
            condition += " AND updated_at = :expected"
            values[":expected"] = iso(expected_updated_at)
        if registered_at_most is not None:
            condition += " AND (attribute_not_exists(registered_count) OR registered_count <= :most)"
            values[":most"] = registered_at_most
        expression = ("SET " + ", ".join(sets) if sets else "") + (
            " REMOVE " + ", ".join(removes) if removes else ""
        )
        write = Write(
            label="event",
            key=event_key(event.id),
            update=expression.strip(),
            condition=condition,
            names=names,
            values=values,
        )
        if title_day is None:
            return "saved" if self.table.write(write) else "changed"
        was, duplicate_allowed = title_day
        moving = [
            write,
            title_days.release_write(was),
            title_days.claim_write(event, alone=not duplicate_allowed),
        ]
        return self._with_claim(moving, event)

    def _with_claim(self, writes: list[Write], event: Event) -> Literal["saved", "changed", "duplicate"]:
        """`writes`, one of them `event`'s claim on its title and day, in one transaction; tried
        again once if stale holders were in the way."""
        for _attempt in range(2):
            refusal = self.table.transact(writes)
            if not refusal:
                return "saved"
            if title_days.LABEL not in refusal.failed:
                return "changed"
            if not self.release_stale_claims(event):
                return "duplicate"
        return "duplicate"

    def overwrite(
        self, event: Event, stored_updated_at: object, *, duplicate_allowed: bool = False
    ) -> Literal["saved", "changed", "duplicate"]:
        """Write every field of `event`, counters included, over an item that could not be read, if
        nobody changed it since (its stored `updated_at` text, when it has one). What registrants were
        last told goes too: it was about times that could not be read. A scheduled event claims its
        title and day in the same transaction (the day it held before could not be read: that claim
        is taken off when it is next in anyone's way, `release_stale_claims`)."""
        item = event_item(event)
        names: dict[str, str] = {}
        values: Item = {}
        sets = []
        for n, name in enumerate(
            sorted(k for k, v in item.items() if k not in ("PK", "SK") and v is not None)
        ):
            names[f"#f{n}"] = name
            values[f":f{n}"] = item[name]
            sets.append(f"#f{n} = :f{n}")
        condition = "attribute_exists(PK)"
        if stored_updated_at is not None:
            condition += " AND updated_at = :expected"
            values[":expected"] = stored_updated_at
        write = Write(
            label="event",
            key=event_key(event.id),
            update="SET " + ", ".join(sets) + " REMOVE told_starts_at, told_ends_at, told_zoom",
            condition=condition,
            names=names,
            values=values,
        )
        if event.status is not EventStatus.scheduled:
            return "saved" if self.table.write(write) else "changed"
        return self._with_claim([write, title_days.claim_write(event, alone=not duplicate_allowed)], event)

    def set_status(self, event_id: str, status: EventStatus) -> None:
        """Set the status of an event that may not be readable (an admin cancelling one)."""
        self.table.write(
            Write(
                label="event",
                key=event_key(event_id),
                update="SET #status = :status",
                condition="attribute_exists(PK)",
                names={"#status": "status"},
                values={":status": status.value},
            )
        )

    def delete(self, event_id: str, event: Event | None = None) -> None:
        """Delete an event and everything kept under it (batches, notices, locks), and release its
        title and day (`event`, when it can be read). Callers make sure nobody is registered first."""
        if event is not None:
            self.table.write(title_days.release_write(event))
        for item in self.table.query(event_partition(event_id), keys_only=True):
            self.table.delete((str(item["PK"]), str(item["SK"])))
