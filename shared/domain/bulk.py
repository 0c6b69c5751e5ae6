"""Bulk sends: one email to each of many people about one event, in batches.

A bulk send is the morning send of an event for one send moment, one of its change or
cancellation notices, or an admin's message to its registrants or its follow-up. Its recipients
are written into batches of up to BATCH_SIZE person ids
(never an address: addresses are read when each email is sent), and one queue message names
each batch. A sender leases a batch, sends, marks each person, and finishes the batch; a batch
whose message was lost is queued again by whoever next plans that send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

BATCH_SIZE = 100
# A batch not finished this long after it was queued, and held by no sender, lost its message.
REQUEUE_AFTER = timedelta(minutes=10)
# Batches, locks and notices are kept this long after their event ends (then DynamoDB's TTL).
BATCH_RETENTION = timedelta(days=35)


@dataclass(frozen=True)
class MorningSend:
    """The join-link emails of an event for one send moment."""

    send_moment: datetime


@dataclass(frozen=True)
class NoticeSend:
    """The emails of an event's change or cancellation notice number `number`."""

    number: int


@dataclass(frozen=True)
class MessageSend:
    """The emails of an admin's message or an event's follow-up, named by its key
    (shared/domain/bulletins.py)."""

    key: str


BulkSend = MorningSend | NoticeSend | MessageSend


class Batch(BaseModel):
    """One batch of a bulk send. `key` is opaque: it names the batch in queue messages."""

    event_id: str
    key: str
    recipients: list[str]  # person ids
    done: bool = False
    attempts: int = 0
    lease_until: datetime | None = None
    queued_at: datetime | None = None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now

    def lost(self, now: datetime) -> bool:
        """Unfinished, held by no sender, and queued long ago: its message died with a run or went
        to the dead-letter queue. Queuing it again is harmless (the lease; a finished batch is
        never sent again)."""
        queued_at = self.queued_at or now
        return not self.done and not self.leased(now) and queued_at <= now - REQUEUE_AFTER


def in_batches(person_ids: list[str]) -> list[list[str]]:
    """Groups of at most BATCH_SIZE (read at each call, so a test can make batches small)."""
    size = BATCH_SIZE
    return [person_ids[start : start + size] for start in range(0, len(person_ids), size)]
