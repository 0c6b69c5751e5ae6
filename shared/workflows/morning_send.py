"""The morning send: every registrant gets their join link, exactly once.

Dispatch (DispatchFunction, or `send_links` for one event) decides *who*: for each covered event,
under a short lock, the registered people not yet sent for this send moment are written into
batches of person ids (shared/domain/bulk.py), and one queue message names each batch.

SenderFunction does the sending, batch by batch, through the batch runner (shared/workflows/
sending.py): it reads each recipient's registration and profile when it sends (an address is
never copied into a batch or a message), skips whoever was sent, refused, cancelled, suppressed
or erased since, and after each accepted message makes one conditional write on that
registration (`link_sent_for` = the send moment). A run that dies, a duplicate delivery, two
runs started together or the scheduler's retries send nothing twice; the one gap left is a
message SES accepted just before a crash, before its write: that person may get one duplicate,
never a missed email.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.domain import bulk
from shared.domain.bulk import BATCH_RETENTION, Batch, MorningSend
from shared.domain.errors import EventClosed, NotFound
from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.people import Person, Registration, SendFailure
from shared.domain.schedule import Schedule, covered_events
from shared.mail.jobs import JoinLinksJob
from shared.mail.mailer import Mailer
from shared.mail.messages import JoinLink
from shared.mail.outbox import Outbox
from shared.mail.render import RenderedEmail
from shared.observability import logger_for
from shared.stores.batches import BatchStore
from shared.stores.events import EventStore
from shared.stores.limits import HeartbeatStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore
from shared.workflows import texting
from shared.workflows.sending import BatchResult, BatchRunner, Deadline

if TYPE_CHECKING:
    from shared.workflows.texting import MorningTexts

logger = logger_for("dispatch")

DISPATCH_LOCK = timedelta(minutes=2)


@dataclass
class EventRow:
    event_id: str
    queued: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def _handled(registration: Registration, send_moment: datetime) -> bool:
    return send_moment in (registration.link_sent_for, registration.link_failed_for)


class Dispatcher:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        batches: BatchStore,
        heartbeats: HeartbeatStore,
        outbox: Outbox,
        schedule: Schedule,
        *,
        texts_on: bool = False,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.people = people
        self.batches = batches
        self.heartbeats = heartbeats
        self.outbox = outbox
        self.schedule = schedule
        self.texts_on = texts_on  # SmsEnabled: the morning text is due as well as the email

    def run(self, scheduled_time: datetime, now: datetime) -> list[EventRow]:
        """One scheduled run: every covered event, then the heartbeat."""
        run_moment = self.schedule.run_moment_at_or_before(scheduled_time)
        upcoming = self.events.by_start(ending_after=now)
        rows = [self.dispatch_event(e, now) for e in covered_events(upcoming, self.schedule, run_moment, now)]
        self.heartbeats.record(self.schedule.local_date(run_moment), now, now + BATCH_RETENTION)
        return rows

    def without_join_url(self, now: datetime) -> list[str]:
        """Events still on that start within the next 24 hours and have no Zoom link: their join
        links would lead nowhere (counted and alarmed on by each morning's run)."""
        soon = now + timedelta(hours=24)
        return [
            e.id
            for e in self.events.by_start(ending_after=now)
            if e.status is EventStatus.scheduled and now < e.starts_at <= soon and not e.zoom_join_url
        ]

    def missed(self, scheduled: datetime) -> bool:
        """Has the run for this morning's moment not completed? (The 08:15 heartbeat check.)"""
        run_moment = self.schedule.run_moment_at_or_before(scheduled)
        return self.heartbeats.completed_at(self.schedule.local_date(run_moment)) is None

    def send_links_now(self, event_id: str, now: datetime) -> EventRow:
        """An admin's `send_links`: the morning send for one event, now."""
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        if event.status is not EventStatus.scheduled or event.has_ended(now):
            raise EventClosed("That event is cancelled or has ended: no links to send.")
        return self.dispatch_event(event, now)

    def dispatch_event(self, event: Event, now: datetime) -> EventRow:
        row = EventRow(event.id)
        send = MorningSend(self.schedule.send_moment(event))
        if not self.batches.lock(event.id, send, now, now + DISPATCH_LOCK, event.ends_at + BATCH_RETENTION):
            # Another run is deciding this event's batches right now: it covers everyone.
            row.skipped = event.registered_count
            return row
        try:
            self._plan(event, send, row, now)
        finally:
            self.batches.unlock(event.id, send)
        logger.info("event dispatched", extra=row.as_dict())
        return row

    def _plan(self, event: Event, send: MorningSend, row: EventRow, now: datetime) -> None:
        registered = [
            r for r in self.registrations.of_event(event.id) if r.status is RegistrationStatus.registered
        ]
        batches = self.batches.of_send(event.id, send)
        in_flight = {person for batch in batches if not batch.done for person in batch.recipients}
        moment = send.send_moment
        due = [
            r
            for r in registered
            if not _handled(r, moment) or (self.texts_on and not texting.handled(r, moment))
        ]
        people = self.people.get_many(r.person_id for r in due if r.person_id not in in_flight)
        new = [
            r.person_id
            for r in due
            if r.person_id not in in_flight and self._owed(r, people.get(r.person_id), moment)
        ]
        # Unfinished batches whose message was lost are queued again.
        requeued = [b for b in batches if b.lost(now) and self.batches.requeue(b, now)]
        due_ids = {r.person_id for r in due}
        row.queued = len(new) + sum(1 for b in requeued for person in b.recipients if person in due_ids)
        row.skipped = len(registered) - row.queued
        fresh = self.batches.add(
            event.id,
            send,
            bulk.in_batches(new),
            existing=len(batches),
            now=now,
            expires_at=event.ends_at + BATCH_RETENTION,
        )
        jobs = [
            JoinLinksJob(event_id=event.id, send_moment=send.send_moment, batch=b.key)
            for b in requeued + fresh
        ]
        # The batches stay unfinished: the next run (or the scheduler's retry) queues them again.
        self.outbox.put_many(jobs, refused="The queue refused some batches.")

    def _owed(self, registration: Registration, person: Person | None, moment: datetime) -> bool:
        """Is something of the morning send still owed to this person: the email, or the text?"""
        if not _handled(registration, moment) and _reachable(person):
            return True
        return self.texts_on and not texting.handled(registration, moment) and texting.wants_text(person)


def _reachable(person: Person | None) -> bool:
    """Someone we may email: a profile with an address, not suppressed."""
    return person is not None and bool(person.email) and person.suppression is None


class JoinLinkSender:
    """SenderFunction's side of the morning send: one batch at a time, through the runner."""

    def __init__(
        self,
        runner: BatchRunner,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        mailer: Mailer,
        schedule: Schedule,
        texts: Callable[[], MorningTexts | None] = lambda: None,
    ) -> None:
        self.runner = runner
        self.events = events
        self.registrations = registrations
        self.people = people
        self.mailer = mailer
        self.schedule = schedule
        self.texts = texts  # the morning texts, when SmsEnabled (built on first use)

    def send_batch(self, job: JoinLinksJob, now: datetime, deadline: Deadline) -> BatchResult:
        """Send one batch; it is given back before the invocation would time out, and resumed
        where it stopped on redelivery."""
        return self.runner.run(
            job.event_id,
            job.batch,
            now,
            deadline,
            lambda batch, result: self._send(batch, job, now, deadline, result),
        )

    def _send(
        self, batch: Batch, job: JoinLinksJob, now: datetime, deadline: Deadline, result: BatchResult
    ) -> None:
        event = self.events.get(job.event_id)
        if (
            event is None
            or event.status is not EventStatus.scheduled
            or event.has_ended(now)
            or self.schedule.send_moment(event) != job.send_moment  # moved: the new moment's run sends
        ):
            result.skipped = len(batch.recipients)
            return
        current = self.registrations.by_people(event.id, batch.recipients)
        people = self.people.get_many(batch.recipients)

        def email_for(person_id: str) -> RenderedEmail | None:
            registration, person = current.get(person_id), people.get(person_id)
            if (
                registration is None
                or registration.status is not RegistrationStatus.registered
                or _handled(registration, job.send_moment)
                or person is None
                or not _reachable(person)
            ):
                return None
            return self.mailer.render(JoinLink.of(person, event, self.mailer.links, now), now)

        self.runner.send_each(
            batch.recipients,
            deadline,
            result,
            email_for=email_for,
            sent=lambda person_id: self.registrations.mark_link_sent(
                event.id, person_id, job.send_moment, now
            ),
            refused=lambda person_id, reason: self.registrations.mark_link_failed(
                event.id,
                person_id,
                job.send_moment,
                SendFailure(kind=JoinLink.kind, reason=reason, at=now),
            ),
        )
        texts = self.texts()
        if texts is not None:
            result.texts = texts.send_batch(
                self.runner, event, job.send_moment, batch.recipients, current, people, deadline, now
            )
