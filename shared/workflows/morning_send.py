"""The morning send: every registrant gets their join link, exactly once.

Dispatch (DispatchFunction, or `send_links` for one event) decides *who*: for each covered event,
under a short per-event lock, the registered and unsuppressed people not yet sent for this send
moment are written into batch items of up to BATCH_SIZE recipients (in the table: the queue
never carries an address) and one SQS message per batch names the batch.

SenderFunction does the sending, batch by batch: it leases the batch (one conditional write),
sends each email through SES at its share of SES's rate, and after each accepted message makes
one conditional write on that registration (`link_sent_for` = the send moment). So a run that
dies, a duplicate SQS delivery, two runs started together or the scheduler's retries send
nothing twice: a batch is held by one sender at a time, a finished batch is never sent again,
and a batch taken over after a crash first re-reads which of its people were already sent. The
one gap left is a message SES accepted just before a crash, before its write: that person may
get one duplicate, never a missed email.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import EventClosed, NotFound, Unavailable
from shared.domain.models import Event, EventStatus, Person, Registration, RegistrationStatus
from shared.domain.schedule import Schedule, covered_events
from shared.mail.mailer import Mailer, SendFailed
from shared.stores.repository import Repository, iso, parse_iso

logger = Logger(service="dispatch")

BATCH_SIZE = 100
DISPATCH_LOCK = timedelta(minutes=2)
REQUEUE_AFTER = timedelta(minutes=10)
BATCH_RETENTION = timedelta(days=35)
THROTTLE_RETRIES = 6
# Stop starting new sends when less than this is left of the invocation (a send, its write, and
# giving the lease back fit well inside it).
TIME_MARGIN_SECONDS = 10.0
# SES's answers that mean "nothing more will go today": stop cleanly and raise the alarm.
STOPPING_CODES = ("SendingPausedException", "AccountSendingPausedException", "LimitExceededException")


@dataclass
class EventRow:
    event_id: str
    queued: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "queued": self.queued, "skipped": self.skipped}


class Dispatcher:
    def __init__(self, repository: Repository, schedule: Schedule, queue_url: str, sqs: Any) -> None:
        self.repository = repository
        self.schedule = schedule
        self.queue_url = queue_url
        self.sqs = sqs

    def run(self, scheduled_time: datetime, now: datetime) -> list[EventRow]:
        """One scheduled run: every covered event, then the heartbeat."""
        run_moment = self.schedule.run_moment_at_or_before(scheduled_time)
        upcoming = self.repository.list_events(ending_after=now)
        rows = [
            self.dispatch_event(event, now)
            for event in covered_events(upcoming, self.schedule, run_moment, now)
        ]
        self.repository.record_heartbeat(self.schedule.local_date(run_moment), now, now + BATCH_RETENTION)
        return rows

    def send_links_now(self, event_id: str, now: datetime) -> EventRow:
        """An admin's `send_links`: the morning send for one event, now."""
        event = self.repository.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        if event.status is not EventStatus.scheduled or event.has_ended(now):
            raise EventClosed("That event is cancelled or has ended: no links to send.")
        return self.dispatch_event(event, now)

    def dispatch_event(self, event: Event, now: datetime) -> EventRow:
        row = EventRow(event.id)
        send_moment = self.schedule.send_moment(event)
        if not self.repository.lock_dispatch(event.id, now, now + DISPATCH_LOCK):
            # Another run is deciding this event's batches right now: it covers everyone.
            row.skipped = event.registered_count
            return row
        try:
            registered = [
                r
                for r in self.repository.list_registrations(event.id)
                if r.status is RegistrationStatus.registered
            ]
            batches = self.repository.list_batches(event.id, send_moment)
            in_flight = {
                recipient["person_id"]
                for batch in batches
                if batch.get("status") != "done"
                for recipient in batch.get("recipients", [])
            }
            due = [r for r in registered if not self._already_handled(r, send_moment)]
            people = self.repository.people(r.person_id for r in due if r.person_id not in in_flight)
            new_recipients = [
                r
                for r in due
                if r.person_id not in in_flight and not _suppressed(people.get(r.person_id)) and r.email
            ]
            # Unfinished batches that no sender holds and that were queued a while ago (their message
            # died with a run, or went to the dead-letter queue) are queued again. A duplicate
            # message would be harmless anyway: the lease, and a finished batch is never resent.
            requeue = [
                b
                for b in batches
                if b.get("status") != "done"
                and (parse_iso(b.get("lease_until")) or now) <= now
                and (parse_iso(b.get("queued_at")) or now) <= now - REQUEUE_AFTER
                and self.repository.requeue_batch(event.id, b["SK"], b.get("queued_at"), now)
            ]
            due_ids = {r.person_id for r in due}
            row.queued = len(new_recipients) + sum(
                1
                for b in requeue
                for recipient in b.get("recipients", [])
                if recipient["person_id"] in due_ids
            )
            row.skipped = len(registered) - row.queued
            fresh = self._new_batches(event, send_moment, new_recipients, start=len(batches), now=now)
            self._enqueue(event.id, send_moment, [b["SK"] for b in requeue + fresh])
        finally:
            self.repository.unlock_dispatch(event.id)
        logger.info("event dispatched", extra=row.as_dict())
        return row

    @staticmethod
    def _already_handled(registration: Registration, send_moment: datetime) -> bool:
        return registration.link_sent_for == send_moment or registration.link_failed_for == send_moment

    def _new_batches(
        self,
        event: Event,
        send_moment: datetime,
        recipients: list[Registration],
        *,
        start: int,
        now: datetime,
    ) -> list[dict[str, Any]]:
        prefix = self.repository.batch_prefix(send_moment)
        batches = [
            {
                "SK": f"{prefix}{start + n:05d}",
                "queued_at": iso(now),
                "recipients": [
                    {"person_id": r.person_id, "email": r.email, "name": r.name}
                    for r in recipients[offset : offset + BATCH_SIZE]
                ],
            }
            for n, offset in enumerate(range(0, len(recipients), BATCH_SIZE))
        ]
        if batches:
            self.repository.put_batches(event.id, batches, event.ends_at + BATCH_RETENTION)
        return batches

    def _enqueue(self, event_id: str, send_moment: datetime, batch_keys: list[str]) -> None:
        entries = [
            {
                "Id": str(n),
                "MessageBody": json.dumps(
                    {
                        "kind": "join_links",
                        "event_id": event_id,
                        "send_moment": iso(send_moment),
                        "batch": key,
                    }
                ),
            }
            for n, key in enumerate(batch_keys)
        ]
        for start in range(0, len(entries), 10):
            chunk = entries[start : start + 10]
            try:
                answer = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=chunk)
            except (ClientError, BotoCoreError) as error:
                raise Unavailable() from error
            if answer.get("Failed"):
                # The batches stay unfinished: the next run (or the scheduler's retry) queues them again.
                raise Unavailable("The queue refused some batches.")


def _suppressed(person: Person | None) -> bool:
    return person is not None and person.suppression is not None


class SendingStopped(Exception):
    """SES will not send for now (account paused, daily quota used): stop, resume later."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class OutOfTime(Exception):
    """The invocation is about to time out: give the batch back; it is resumed on redelivery."""


class BatchBusy(Exception):
    """Another sender holds this batch's lease: try the message again later."""


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


class LinkSender:
    """SenderFunction's side of the morning send: one batch item at a time."""

    def __init__(
        self,
        repository: Repository,
        mailer: Mailer,
        schedule: Schedule,
        pacer: Pacer,
        *,
        lease: timedelta,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository
        self.mailer = mailer
        self.schedule = schedule
        self.pacer = pacer
        self.lease = lease
        self.sleep = sleep
        self.remaining_seconds: Callable[[], float] | None = None

    def send_batch(
        self, job: dict[str, Any], now: datetime, remaining_seconds: Callable[[], float] | None = None
    ) -> BatchResult:
        """Send one batch. `remaining_seconds` (the invocation's time left): the batch is given back
        before the function would time out, and resumed where it stopped on redelivery."""
        event_id, batch_key = job["event_id"], job["batch"]
        send_moment = parse_iso(job["send_moment"])
        assert send_moment is not None
        return self.run_leased(
            event_id,
            batch_key,
            now,
            remaining_seconds,
            lambda batch, result: self._send(batch, event_id, send_moment, now, result),
        )

    def run_leased(
        self,
        event_id: str,
        batch_key: str,
        now: datetime,
        remaining_seconds: Callable[[], float] | None,
        work: Callable[[dict[str, Any], BatchResult], None],
    ) -> BatchResult:
        """Lease the batch item, do `work` on it, and finish it: done, or given back when SES
        stops or the invocation is about to time out (the next delivery resumes it)."""
        self.remaining_seconds = remaining_seconds
        self._check_time()
        batch = self.repository.lease_batch(event_id, batch_key, now, now + self.lease)
        if batch is None:
            existing = self.repository.batch_item(event_id, batch_key)
            if existing is None or existing.get("status") == "done":
                return BatchResult(done=True)  # a duplicate delivery of finished work
            raise BatchBusy(batch_key)
        result = BatchResult()
        try:
            work(batch, result)
        except SendingStopped as stopped:
            result.stopped = stopped.code
            self.repository.finish_batch(event_id, batch_key, done=False)
            raise
        except OutOfTime:
            self.repository.finish_batch(event_id, batch_key, done=False)
            raise
        result.done = True
        self.repository.finish_batch(event_id, batch_key, done=True)
        return result

    def _send(
        self, batch: dict[str, Any], event_id: str, send_moment: datetime, now: datetime, result: BatchResult
    ) -> None:
        event = self.repository.get_event(event_id)
        recipients = batch.get("recipients", [])
        if (
            event is None
            or event.status is not EventStatus.scheduled
            or event.has_ended(now)
            or self.schedule.send_moment(event) != send_moment  # moved: the new moment's run sends
        ):
            result.skipped = len(recipients)
            return
        if int(batch.get("attempts", 1)) > 1:
            # Taken over after a crash or a stop: skip whoever was already sent or refused.
            current = self.repository.registrations_by_people(event_id, (r["person_id"] for r in recipients))
            recipients = [
                r
                for r in recipients
                if (reg := current.get(r["person_id"])) is not None
                and reg.status is RegistrationStatus.registered
                and reg.link_sent_for != send_moment
                and reg.link_failed_for != send_moment
            ]
            result.skipped = len(batch.get("recipients", [])) - len(recipients)
        for recipient in recipients:
            self._check_time()
            person = Person(
                person_id=recipient["person_id"], email=recipient["email"], name=recipient["name"]
            )
            email = self.mailer.join_link(person, event, now)
            try:
                self._send_one(email)
            except SendFailed as failure:
                if failure.code == "MessageRejected":
                    result.rejected += 1
                    self.repository.mark_link_failed(event_id, person.person_id, send_moment)
                    continue
                raise
            result.sent += 1
            result.sent_ids.append(person.person_id)
            self.repository.mark_link_sent(event_id, person.person_id, send_moment, now)

    def _check_time(self) -> None:
        if self.remaining_seconds is not None and self.remaining_seconds() < TIME_MARGIN_SECONDS:
            raise OutOfTime()

    def _send_one(self, email: Any) -> None:
        delay = 0.5
        for attempt in range(THROTTLE_RETRIES):
            self.pacer.wait()
            try:
                self.mailer.send(email)
                return
            except SendFailed as failure:
                if failure.code in STOPPING_CODES:
                    raise SendingStopped(failure.code) from None
                if failure.code not in ("TooManyRequestsException", "Throttling", "ThrottlingException"):
                    raise
                if attempt == THROTTLE_RETRIES - 1:
                    raise SendingStopped(failure.code) from None
                self.sleep(delay)
                delay *= 2
