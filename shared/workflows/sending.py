"""Sending a batch of a bulk send (shared/domain/bulk.py): one runner for every kind.

The runner leases the batch (one conditional write), hands it to the kind's own work, and
finishes it: done, or given back when SES stops sending or the invocation is about to time out
(the next delivery of its message resumes it). The work sends each email through `send`, which
paces this instance to its share of SES's maximum rate and retries throttling; then the work
makes one conditional write per recipient. So duplicate deliveries, retries and a crashed
sender's successor send nobody twice, except a message SES accepted just before a crash, before
its write: that person may get one duplicate, never a missed email.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.domain.bulk import Batch
from shared.mail.render import RenderedEmail
from shared.mail.transport import STOPPING_CODES, THROTTLING_CODES, SendFailed, SesTransport
from shared.stores.batches import BatchStore

THROTTLE_RETRIES = 6
# Stop starting new sends when less than this is left of the invocation (a send, its write, and
# giving the lease back fit well inside it).
TIME_MARGIN_SECONDS = 10.0


class SendingStopped(Exception):
    """SES will not send for now (account paused, daily quota used): stop, resume later."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class OutOfTime(Exception):
    """The invocation is about to time out: give the batch back; it is resumed on redelivery."""


class BatchBusy(Exception):
    """Another sender holds this batch's lease: try the message again later."""


@dataclass(frozen=True)
class Deadline:
    """The invocation's time left (Lambda's context), checked before each send."""

    remaining_seconds: Callable[[], float] = lambda: float("inf")

    def check(self) -> None:
        if self.remaining_seconds() < TIME_MARGIN_SECONDS:
            raise OutOfTime()


class Pacer:
    """Spaces sends so that this instance stays within its share of SES's maximum send rate."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate_per_second
        self.monotonic = monotonic
        self.sleep = sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        current = self.monotonic()
        if self.next_at is not None and current < self.next_at:
            self.sleep(self.next_at - current)
            current = self.next_at
        self.next_at = current + self.interval


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    rejected: int = 0
    done: bool = False
    stopped: str | None = None
    sent_ids: list[str] = field(default_factory=list)


Work = Callable[[Batch, BatchResult], None]


class BatchRunner:
    def __init__(
        self,
        batches: BatchStore,
        transport: SesTransport,
        pacer: Pacer,
        *,
        lease: timedelta,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.batches = batches
        self.transport = transport
        self.pacer = pacer
        self.lease = lease
        self.sleep = sleep

    def run(
        self, event_id: str, batch_key: str, now: datetime, deadline: Deadline, work: Work
    ) -> BatchResult:
        """Lease the batch, do `work` on it, and finish it."""
        deadline.check()
        batch = self.batches.lease(event_id, batch_key, now, now + self.lease)
        if batch is None:
            existing = self.batches.get(event_id, batch_key)
            if existing is None or existing.done:
                return BatchResult(done=True)  # a duplicate delivery of finished work
            raise BatchBusy(batch_key)
        result = BatchResult()
        try:
            work(batch, result)
        except SendingStopped as stopped:
            result.stopped = stopped.code
            self.batches.finish(event_id, batch_key, done=False)
            raise
        except OutOfTime:
            self.batches.finish(event_id, batch_key, done=False)
            raise
        result.done = True
        self.batches.finish(event_id, batch_key, done=True)
        return result

    def send_each(
        self,
        person_ids: list[str],
        deadline: Deadline,
        result: BatchResult,
        *,
        email_for: Callable[[str], RenderedEmail | None],
        sent: Callable[[str], object],
        refused: Callable[[str], object],
    ) -> None:
        """Each person's email in turn (None: skip them), checking the deadline before each; after
        SES accepts one, `sent(person_id)` (the one conditional write that makes it exactly once);
        when SES rejects it, `refused(person_id)`, and the rest go on."""
        for person_id in person_ids:
            deadline.check()
            email = email_for(person_id)
            if email is None:
                result.skipped += 1
            elif self.send(email):
                result.sent += 1
                result.sent_ids.append(person_id)
                sent(person_id)
            else:
                result.rejected += 1
                refused(person_id)

    def send(self, email: RenderedEmail) -> bool:
        """Send one email of a batch, paced, retrying throttling. False when SES rejected this
        message (mark the recipient failed and go on); SendingStopped when SES stops sending."""
        delay = 0.5
        for attempt in range(THROTTLE_RETRIES):
            self.pacer.wait()
            try:
                self.transport.send(email)
                return True
            except SendFailed as failure:
                if failure.code == "MessageRejected":
                    return False
                if failure.code in STOPPING_CODES:
                    raise SendingStopped(failure.code) from None
                if failure.code not in THROTTLING_CODES:
                    raise
                if attempt == THROTTLE_RETRIES - 1:
                    raise SendingStopped(failure.code) from None
                self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover
