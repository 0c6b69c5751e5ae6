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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from shared.domain.bulk import Batch
from shared.domain.errors import Unavailable
from shared.domain.people import FailureReason
from shared.mail.render import RenderedEmail
from shared.mail.transport import SendFailed, SesTransport
from shared.observability import logger_for
from shared.sms.transport import SmsFailed
from shared.stores.batches import BatchStore

THROTTLE_RETRIES = 6
# A recipient's mark (sent, failed) is tried this often while the table throttles it.
MARK_ATTEMPTS = 5
# This many failures in a row before any email of the batch has gone: the fault is not theirs.
SYSTEMIC_AFTER = 5
# Stop starting new sends when less than this is left of the invocation (a send, its write, and
# giving the lease back fit well inside it).
TIME_MARGIN_SECONDS = 10.0


_log = logger_for("sender")
M = TypeVar("M")  # a message of some channel: an email, a text


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
    rejected: int = 0  # recipients marked failed, whatever the reason (`failed` by reason)
    done: bool = False
    stopped: str | None = None
    sent_ids: list[str] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    unmarked: int = 0  # recipients whose mark could not be written (the table kept refusing)
    texts: BatchResult | None = None  # the morning send's texts, after its emails


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
        refused: Callable[[str, FailureReason], object],
    ) -> None:
        """Each person's email in turn (None: skip them), checking the deadline before each; after
        SES accepts one, `sent(person_id)` (the one conditional write that makes it exactly once).
        One recipient's email that cannot be built, or that SES refuses for them alone, is
        `refused(person_id, reason)` and the rest go on. Failures wait to be marked until an email
        has gone: if the first few all fail, the fault is ours or SES's, not theirs, so the batch
        stops (given back, retried later) and nobody is marked."""
        self.each(person_ids, deadline, result, make=email_for, send=self.send, sent=sent, refused=refused)

    def each(
        self,
        person_ids: list[str],
        deadline: Deadline,
        result: BatchResult,
        *,
        make: Callable[[str], M | None],
        send: Callable[[M], FailureReason | None],
        sent: Callable[[str], object],
        refused: Callable[[str, FailureReason], object],
        individual: frozenset[FailureReason] = frozenset(),
    ) -> None:
        """`send_each` for any channel: `make` builds a person's message (an email, a text) and
        `send` sends it (None: taken; a reason: refused for them alone; SendingStopped). A reason
        in `individual` is known to be that person's alone (a number that replied STOP): marked at
        once, it never counts towards stopping the batch as the first few failing do."""
        pending: list[tuple[str, FailureReason]] = []
        working = False
        for person_id in person_ids:
            deadline.check()
            try:
                message = make(person_id)
                reason = None if message is None else send(message)
            except (SendingStopped, OutOfTime):
                raise
            except Exception as error:  # this person's message could not be made
                _log.warning("a message could not be built", extra={"error": type(error).__name__})
                message, reason = None, "unbuildable"
            if message is None and reason is None:
                result.skipped += 1
                continue
            if reason is not None and reason in individual:
                self._mark_failures([(person_id, reason)], refused, result)
                continue
            if reason is not None:
                pending.append((person_id, reason))
                if not working and len(pending) >= SYSTEMIC_AFTER:
                    raise SendingStopped(f"every message failing ({reason})")
                if working:
                    self._mark_failures(pending, refused, result)
                continue
            working = True
            self._mark_failures(pending, refused, result)
            result.sent += 1
            result.sent_ids.append(person_id)
            if not self._write(sent, person_id):
                result.unmarked += 1
        self._mark_failures(pending, refused, result)

    def _mark_failures(
        self,
        pending: list[tuple[str, FailureReason]],
        refused: Callable[[str, FailureReason], object],
        result: BatchResult,
    ) -> None:
        for person_id, reason in pending:
            result.rejected += 1
            result.failed[reason] += 1
            if not self._write(refused, person_id, reason):
                result.unmarked += 1
        pending.clear()

    def _write(self, write: Callable[..., object], *args: object) -> bool:
        """A recipient's mark, retried while the table refuses it (throttling); False if it never
        took: that person is left unmarked and the rest go on."""
        delay = 0.2
        for _attempt in range(MARK_ATTEMPTS):
            try:
                write(*args)
                return True
            except Unavailable:
                self.sleep(delay)
                delay *= 2
        _log.warning("a recipient's mark could not be written")
        return False

    def send(self, email: RenderedEmail) -> FailureReason | None:
        """Send one email of a batch, paced, retrying throttling, timeouts and SES's own faults.
        None when SES took it; the reason when SES refused it for this recipient alone (mark them
        failed and go on); SendingStopped when SES stops sending or keeps failing."""

        def once() -> FailureReason | None:
            self.transport.send(email)
            return None

        return paced(self.pacer, self.sleep, once)


def paced(
    pacer: Pacer, sleep: Callable[[float], None], once: Callable[[], FailureReason | None]
) -> FailureReason | None:
    """One message of a batch, on any channel: `once` sends it (None: taken; a reason: refused for
    this recipient before trying), paced, retried while the fault is passing (throttling, a
    timeout, the service's own fault). Its failure (SES's SendFailed, SNS's SmsFailed) is this
    recipient's reason to mark, or SendingStopped when the service will not send for anyone or
    keeps failing."""
    delay = 0.5
    for attempt in range(THROTTLE_RETRIES):
        pacer.wait()
        try:
            return once()
        except (SendFailed, SmsFailed) as failure:
            if failure.stopping:
                raise SendingStopped(failure.code) from None
            if failure.recipient_reason is not None:
                return failure.recipient_reason
            if attempt == THROTTLE_RETRIES - 1:
                raise SendingStopped(failure.code) from None
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
