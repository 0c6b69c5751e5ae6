"""Stores: one per aggregate, each the only code that knows its keys and attributes, all on one
DynamoDB table (template.yaml `Table`) through the private helper in `table.py`.

| store | items |
|---|---|
| `events.EventStore` | `EVENT#<id>` / `EVENT` (and the counters sign-ups move) |
| `registrations.RegistrationStore` | `EVENT#<id>` / `REG#<person_id>`; the sign-up transaction |
| `people.PersonStore` | `PERSON#<person_id>` / `PROFILE` |
| `batches.BatchStore` | `EVENT#<id>` / `BATCH#...`, `NOTICEBATCH#...`, `LOCK#...` |
| `notices.NoticeStore` | `EVENT#<id>` / `NOTICE#<n>`, and `notices`, `told_*` on the event |
| `limits.RateLimitStore`, `limits.HeartbeatStore` | `RATE#...`, `DISPATCH` / `RUN#<date>` |
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.stores.batches import BatchStore
from shared.stores.events import EventStore
from shared.stores.limits import HeartbeatStore, RateLimitStore
from shared.stores.notices import NoticeStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore
from shared.stores.table import Table


@dataclass(frozen=True)
class Stores:
    events: EventStore
    registrations: RegistrationStore
    people: PersonStore
    batches: BatchStore
    notices: NoticeStore
    rate_limits: RateLimitStore
    heartbeats: HeartbeatStore

    @classmethod
    def on(cls, table: Table) -> Stores:
        return cls(
            events=EventStore(table),
            registrations=RegistrationStore(table),
            people=PersonStore(table),
            batches=BatchStore(table),
            notices=NoticeStore(table),
            rate_limits=RateLimitStore(table),
            heartbeats=HeartbeatStore(table),
        )
