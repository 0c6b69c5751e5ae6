"""Change and cancellation notices, and their bookkeeping on the event.

  notice  `EVENT#<event_id>` / `NOTICE#<n>`   n = 00001, 00002, ... per event
  on the event item: `notices` (how many so far) and `told_starts_at`, `told_ends_at`,
  `told_zoom` (what registrants were last told).
A notice is created in one transaction with the event's bookkeeping moving on, conditional on
the bookkeeping being what the caller read: two admins racing create one notice.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain.bulk import BATCH_RETENTION
from shared.domain.models import Event, EventStatus
from shared.domain.notices import Notice, NoticeState, Told
from shared.domain.stored_time import UnreadableTime
from shared.stores.events import event_from, event_key, event_partition
from shared.stores.table import Item, Table, Write, epoch, iso, parse_iso
from shared.stores.title_days import release_write
from shared.stores.unreadable import RecordUnreadable, note


def _notice_sk(number: int) -> str:
    return f"NOTICE#{number:05d}"


def _state(item: Item) -> NoticeState:
    starts, ends = parse_iso(item.get("told_starts_at")), parse_iso(item.get("told_ends_at"))
    told = Told(starts, ends, str(item.get("told_zoom", ""))) if starts and ends else None
    return NoticeState(notices=int(item.get("notices", 0)), told=told)


def _notice_from(event_id: str, item: Item) -> Notice:
    created_at = parse_iso(item.get("created_at"))
    assert created_at is not None
    return Notice(
        event_id=event_id,
        number=int(str(item["SK"]).removeprefix("NOTICE#")),
        kind="cancellation" if item.get("kind") == "cancellation" else "change",
        created_at=created_at,
        time_changed=bool(item.get("time_changed")),
        zoom_changed=bool(item.get("zoom_changed")),
        old_starts_at=parse_iso(item.get("old_starts_at")),
        old_ends_at=parse_iso(item.get("old_ends_at")),
        message=str(item.get("message") or ""),
        planned=bool(item.get("planned")),
    )


def _notice_write(notice: Notice, event: Event) -> Write:
    return Write(
        label="notice",
        item={
            "PK": event_partition(notice.event_id),
            "SK": _notice_sk(notice.number),
            "kind": notice.kind,
            "created_at": iso(notice.created_at),
            "time_changed": notice.time_changed,
            "zoom_changed": notice.zoom_changed,
            "old_starts_at": iso(notice.old_starts_at),
            "old_ends_at": iso(notice.old_ends_at),
            "message": notice.message or None,
            "planned": False,
            "expires_at": epoch(event.ends_at + BATCH_RETENTION),
        },
        condition="attribute_not_exists(PK)",
    )


def _as_read(expected: NoticeState, values: Item) -> str:
    """A condition: the event's bookkeeping still says what `expected` says."""
    parts = []
    told = expected.told
    for name, was in (
        ("told_starts_at", iso(told.starts_at) if told else None),
        ("told_ends_at", iso(told.ends_at) if told else None),
        ("told_zoom", told.zoom if told else None),
    ):
        if was is None:
            parts.append(f"attribute_not_exists({name})")
        else:
            parts.append(f"{name} = :was_{name}")
            values[f":was_{name}"] = was
    parts.append(_notices_were(expected.notices, values))
    return " AND ".join(parts)


def _notices_were(count: int, values: Item) -> str:
    values[":was_notices"] = count
    return (
        "(attribute_not_exists(notices) OR notices = :was_notices)"
        if count == 0
        else "notices = :was_notices"
    )


def _told_values(told: Told) -> Item:
    return {":s": iso(told.starts_at), ":e": iso(told.ends_at), ":z": told.zoom}


class NoticeStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def state(self, event_id: str) -> tuple[Event, NoticeState] | None:
        """The event (read consistently) and its notice bookkeeping; None when there is no event or
        it cannot be read (logged and counted: admins repair it with update_event)."""
        item = self.table.get(event_key(event_id), consistent=True)
        if item is None:
            return None
        try:
            return event_from(item), _state(item)
        except UnreadableTime as error:
            note("event", event_id, item, RecordUnreadable({"told": str(error)}))
        except RecordUnreadable as error:
            note("event", event_id, item, error)
        return None

    def record_baseline(self, event: Event) -> None:
        """First record of what registrants know (the event as it stands), if none is recorded yet."""
        told = Told.now(event)
        self.table.write(
            Write(
                label="event",
                key=event_key(event.id),
                update="SET told_starts_at = if_not_exists(told_starts_at, :s), "
                "told_ends_at = if_not_exists(told_ends_at, :e), told_zoom = if_not_exists(told_zoom, :z)",
                condition="attribute_exists(PK)",
                values=_told_values(told),
            )
        )

    def record_told(self, event_id: str, told: Told, expected: NoticeState) -> bool:
        """Registrants may now be taken to know `told`, without an email (a silent change).
        False if the bookkeeping moved since `expected` was read."""
        values = _told_values(told)
        condition = "attribute_exists(PK) AND " + _as_read(expected, values)
        write = Write(
            label="event",
            key=event_key(event_id),
            update="SET told_starts_at = :s, told_ends_at = :e, told_zoom = :z",
            condition=condition,
            values=values,
        )
        return bool(self.table.write(write))

    def create_change(self, notice: Notice, event: Event, told: Told, expected: NoticeState) -> bool:
        """One transaction: the notice, and the event's bookkeeping moved on, only if nobody else
        did so first and the event is still scheduled."""
        values = {**_told_values(told), ":n": notice.number, ":scheduled": EventStatus.scheduled.value}
        condition = "attribute_exists(PK) AND #status = :scheduled AND " + _as_read(expected, values)
        moving = Write(
            label="event",
            key=event_key(event.id),
            update="SET told_starts_at = :s, told_ends_at = :e, told_zoom = :z, notices = :n",
            condition=condition,
            names={"#status": "status"},
            values=values,
        )
        return not self.table.transact([moving, _notice_write(notice, event)])

    def cancel_event(self, notice: Notice, event: Event, now: datetime) -> bool:
        """One transaction: the event cancelled (its calendar sequence raised) and its cancellation
        notice stored; False if it was no longer scheduled, or another notice won."""
        values: Item = {
            ":cancelled": EventStatus.cancelled.value,
            ":scheduled": EventStatus.scheduled.value,
            ":now": iso(now),
            ":one": 1,
            ":zero": 0,
            ":n": notice.number,
        }
        condition = "attribute_exists(PK) AND #status = :scheduled AND " + _notices_were(
            notice.number - 1, values
        )
        cancelling = Write(
            label="event",
            key=event_key(event.id),
            update="SET #status = :cancelled, updated_at = :now, "
            "#sequence = if_not_exists(#sequence, :zero) + :one, notices = :n",
            condition=condition,
            names={"#status": "status", "#sequence": "sequence"},
            values=values,
        )
        # A cancelled event no longer holds its title and day (stores/title_days.py).
        return not self.table.transact([cancelling, _notice_write(notice, event), release_write(event)])

    def of_event(self, event_id: str) -> list[Notice]:
        """Every notice of an event, oldest first."""
        items = self.table.query(event_partition(event_id), "NOTICE#", consistent=True)
        return [_notice_from(event_id, item) for item in items]

    def get(self, event_id: str, number: int) -> Notice | None:
        item = self.table.get((event_partition(event_id), _notice_sk(number)), consistent=True)
        return _notice_from(event_id, item) if item else None

    def mark_planned(self, event_id: str, number: int) -> None:
        """Every batch of the notice is written and was queued once."""
        self.table.write(
            Write(
                label="notice",
                key=(event_partition(event_id), _notice_sk(number)),
                update="SET planned = :yes",
                condition="attribute_exists(PK)",
                values={":yes": True},
            )
        )
