"""Stores: one per aggregate, each the only code that knows its keys and attributes, all on one
DynamoDB table (template.yaml `Table`) through the private helper in `table.py`.

| store | items |
|---|---|
| `events.EventStore` | `EVENT#<id>` / `EVENT` (and the counters sign-ups move) |
| `registrations.RegistrationStore` | `EVENT#<id>` / `REG#<person_id>`; the sign-up transaction |
| `people.PersonStore` | `PERSON#<person_id>` / `PROFILE` |
| `batches.BatchStore` | `EVENT#<id>` / `BATCH#...`, `NOTICEBATCH#...`, `LOCK#...` |
| `bulletins.BulletinStore` | `EVENT#<id>` / `MESSAGE#<key>`, and each registration's `messages_*` marks |
| `notices.NoticeStore` | `EVENT#<id>` / `NOTICE#<n>`, and `notices`, `told_*` on the event |
| `join_codes.JoinCodeStore` | `JCODE#<code>` / `JCODE`: short join links (made by `services`) |
| `limits.RateLimitStore`, `limits.HeartbeatStore` | `RATE#...`, `DISPATCH` / `RUN#<date>` |
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # each store is imported when first used: a function imports only its own
    from shared.stores.batches import BatchStore
    from shared.stores.bulletins import BulletinStore
    from shared.stores.events import EventStore
    from shared.stores.limits import HeartbeatStore, RateLimitStore
    from shared.stores.notices import NoticeStore
    from shared.stores.people import PersonStore
    from shared.stores.registrations import RegistrationStore
    from shared.stores.table import Table


class Stores:
    """Every store, on one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @cached_property
    def events(self) -> EventStore:
        from shared.stores.events import EventStore

        return EventStore(self.table)

    @cached_property
    def registrations(self) -> RegistrationStore:
        from shared.stores.registrations import RegistrationStore

        return RegistrationStore(self.table)

    @cached_property
    def people(self) -> PersonStore:
        from shared.stores.people import PersonStore

        return PersonStore(self.table)

    @cached_property
    def batches(self) -> BatchStore:
        from shared.stores.batches import BatchStore

        return BatchStore(self.table)

    @cached_property
    def bulletins(self) -> BulletinStore:
        from shared.stores.bulletins import BulletinStore

        return BulletinStore(self.table)

    @cached_property
    def notices(self) -> NoticeStore:
        from shared.stores.notices import NoticeStore

        return NoticeStore(self.table)

    @cached_property
    def rate_limits(self) -> RateLimitStore:
        from shared.stores.limits import RateLimitStore

        return RateLimitStore(self.table)

    @cached_property
    def heartbeats(self) -> HeartbeatStore:
        from shared.stores.limits import HeartbeatStore

        return HeartbeatStore(self.table)
