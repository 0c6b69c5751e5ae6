"""Batches of bulk sends, and the planning lock of each send (shared/domain/bulk.py says why).

  morning-send batch   `EVENT#<event_id>` / `BATCH#<send moment>#<k>`
                       (a late sign-up's text: `BATCH#<send moment>#late-<person_id>`)
  notice batch         `EVENT#<event_id>` / `NOTICEBATCH#<n>#<k>`      (n = 00001, 00002, ...)
  message batch        `EVENT#<event_id>` / `MSGBATCH#<send key>#<k>`  (messages, the follow-up)
  planning lock        `EVENT#<event_id>` / `LOCK#<batch prefix>`
A batch holds `recipients` (person ids), `status` (queued or done), `attempts`, `lease_until`
and `queued_at`; everything expires through TTL a while after the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.domain.bulk import Batch, BulkSend, MessageSend, MorningSend, NoticeSend
from shared.stores.events import event_partition
from shared.stores.table import Item, Key, Table, Write, epoch, iso, parse_iso

DONE = "done"
_KIND_PREFIX = {"morning": "BATCH#", "notice": "NOTICEBATCH#", "message": "MSGBATCH#"}
BatchKind = Literal["morning", "notice", "message"]


def _prefix(send: BulkSend) -> str:
    if isinstance(send, MorningSend):
        return f"BATCH#{iso(send.send_moment)}#"
    if isinstance(send, MessageSend):
        return f"MSGBATCH#{send.key}#"
    return f"NOTICEBATCH#{send.number:05d}#"


def _batch_from(item: Item) -> Batch:
    return Batch(
        event_id=str(item["PK"]).removeprefix("EVENT#"),
        key=str(item["SK"]),
        recipients=[_person_id(r) for r in item.get("recipients", [])],
        done=item.get("status") == DONE,
        attempts=int(item.get("attempts", 0)),
        lease_until=parse_iso(item.get("lease_until")),
        queued_at=parse_iso(item.get("queued_at")),
    )


def _person_id(recipient: object) -> str:
    """A recipient as batches hold them (a person id), or as morning-send batches written before
    ids-only batches held them (a map with the person id, address and name)."""
    if isinstance(recipient, dict):
        return str(recipient.get("person_id", ""))
    return str(recipient)


def notice_number(batch: Batch) -> int | None:
    """The notice a notice batch belongs to (None for a morning-send batch)."""
    if not batch.key.startswith("NOTICEBATCH#"):
        return None
    return int(batch.key.split("#")[1])


class BatchStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, event_id: str, batch_key: str) -> Key:
        return event_partition(event_id), batch_key

    def of_send(self, event_id: str, send: BulkSend, *, consistent: bool = False) -> list[Batch]:
        items = self.table.query(event_partition(event_id), _prefix(send), consistent=consistent)
        return [_batch_from(item) for item in items]

    def of_event(self, event_id: str, kind: BatchKind) -> list[Batch]:
        """Every batch of one kind of an event, whatever its send moment or notice."""
        return [_batch_from(item) for item in self.table.query(event_partition(event_id), _KIND_PREFIX[kind])]

    def get(self, event_id: str, batch_key: str) -> Batch | None:
        item = self.table.get(self._key(event_id, batch_key))
        return _batch_from(item) if item else None

    def add(
        self,
        event_id: str,
        send: BulkSend,
        groups: list[list[str]],
        *,
        existing: int,
        now: datetime,
        expires_at: datetime,
    ) -> list[Batch]:
        """Write one batch per group of person ids, numbered after the `existing` ones."""
        prefix = _prefix(send)
        items: list[Item] = [
            {
                "PK": event_partition(event_id),
                "SK": f"{prefix}{existing + n:05d}",
                "status": "queued",
                "attempts": 0,
                "queued_at": iso(now),
                "recipients": group,
                "expires_at": epoch(expires_at),
            }
            for n, group in enumerate(groups)
        ]
        self.table.put_many(items)
        return [_batch_from(item) for item in items]

    def add_late(
        self, event_id: str, send: MorningSend, person_id: str, *, now: datetime, expires_at: datetime
    ) -> Batch:
        """A morning-send batch of one person who signed up after the send moment: their morning
        text goes through the same runner as everyone's (their email carried the link already).
        Its key names the person, so signing up twice writes one batch."""
        item: Item = {
            "PK": event_partition(event_id),
            "SK": f"{_prefix(send)}late-{person_id}",
            "status": "queued",
            "attempts": 0,
            "queued_at": iso(now),
            "recipients": [person_id],
            "expires_at": epoch(expires_at),
        }
        self.table.write(Write(label="batch", item=item, condition="attribute_not_exists(PK)"))
        return _batch_from(item)

    def requeue(self, batch: Batch, now: datetime) -> bool:
        """Claim the queuing again of a lost batch (two callers must not both queue it)."""
        return bool(
            self.table.write(
                Write(
                    label="batch",
                    key=self._key(batch.event_id, batch.key),
                    update="SET queued_at = :now",
                    condition="queued_at = :was",
                    values={":now": iso(now), ":was": iso(batch.queued_at) or ""},
                )
            )
        )

    def lease(self, event_id: str, batch_key: str, now: datetime, until: datetime) -> Batch | None:
        """Take the batch for one sender: None if it is done, gone or held by another sender."""
        leased = self.table.write(
            Write(
                label="batch",
                key=self._key(event_id, batch_key),
                update="SET lease_until = :until ADD attempts :one",
                condition="attribute_exists(PK) AND #status <> :done AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                names={"#status": "status"},
                values={":until": iso(until), ":now": iso(now), ":done": DONE, ":one": 1},
            ),
            returning=True,
        )
        return _batch_from(leased) if isinstance(leased, dict) else None

    def finish(self, event_id: str, batch_key: str, *, done: bool) -> None:
        """Done: never sent again. Not done: the lease is given back for the next attempt."""
        self.table.write(
            Write(
                label="batch",
                key=self._key(event_id, batch_key),
                update="SET #status = :done REMOVE lease_until" if done else "REMOVE lease_until",
                names={"#status": "status"} if done else {},
                values={":done": DONE} if done else {},
            )
        )

    def remove_recipient(self, batch: Batch, index: int, person_id: str) -> bool:
        """Take one recipient out of a batch, only if it is still at that index."""
        at = f"recipients[{int(index)}]"
        return bool(
            self.table.write(
                Write(
                    label="batch",
                    key=self._key(batch.event_id, batch.key),
                    update=f"REMOVE {at}",
                    condition=f"{at} = :person OR {at}.person_id = :person",
                    values={":person": person_id},
                )
            )
        )

    # --- the planning lock of a send ---------------------------------------------------------------

    def lock(
        self, event_id: str, send: BulkSend, now: datetime, until: datetime, expires_at: datetime
    ) -> bool:
        """Only one caller at a time decides a send's batches (two runs started together)."""
        return bool(
            self.table.write(
                Write(
                    label="lock",
                    key=self._key(event_id, f"LOCK#{_prefix(send)}"),
                    update="SET lock_until = :until, expires_at = :expires",
                    condition="attribute_not_exists(lock_until) OR lock_until < :now",
                    values={":until": iso(until), ":now": iso(now), ":expires": epoch(expires_at)},
                )
            )
        )

    def unlock(self, event_id: str, send: BulkSend) -> None:
        self.table.write(
            Write(label="lock", key=self._key(event_id, f"LOCK#{_prefix(send)}"), update="REMOVE lock_until")
        )


__all__ = ["BatchStore", "MorningSend", "NoticeSend", "notice_number"]
