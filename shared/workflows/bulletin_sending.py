"""SenderFunction's side of admins' messages and follow-ups: one batch at a time, through the
morning send's batch runner (the lease, pacing at this instance's share of SES's rate,
throttling retries, stopping cleanly when SES pauses, giving the batch back before the
invocation times out). Each person's registration and profile are read when their email goes:
whoever had this send, cancelled their place, was suppressed, opted out of messages or was
erased since is skipped. After SES takes an email, one conditional write marks the person
(`messages_sent`); an email that cannot be built or that SES refuses for them alone marks them
failed (`messages_failed`, and `send_failures` with the kind), and the rest go on.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain.bulk import Batch
from shared.domain.bulletins import Bulletin, had, may_message
from shared.domain.models import Event, RegistrationStatus
from shared.domain.people import Person, Registration, SendFailure
from shared.mail.bulletins import AdminMessage, FollowUp
from shared.mail.jobs import MessageJob
from shared.mail.mailer import Mailer
from shared.mail.render import RenderedEmail
from shared.stores.bulletins import BulletinStore
from shared.stores.events import EventStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore
from shared.workflows.sending import BatchResult, BatchRunner, Deadline


class BulletinSender:
    def __init__(
        self,
        runner: BatchRunner,
        events: EventStore,
        bulletins: BulletinStore,
        registrations: RegistrationStore,
        people: PersonStore,
        mailer: Mailer,
    ) -> None:
        self.runner = runner
        self.events = events
        self.bulletins = bulletins
        self.registrations = registrations
        self.people = people
        self.mailer = mailer

    def send_batch(self, job: MessageJob, now: datetime, deadline: Deadline) -> BatchResult:
        return self.runner.run(
            job.event_id,
            job.batch,
            now,
            deadline,
            lambda batch, result: self._send(batch, job, now, deadline, result),
        )

    def _send(
        self, batch: Batch, job: MessageJob, now: datetime, deadline: Deadline, result: BatchResult
    ) -> None:
        bulletin = self.bulletins.get(job.event_id, job.message)
        event = self.events.get(job.event_id)
        if bulletin is None or event is None:
            result.skipped = len(batch.recipients)
            return
        current = self.registrations.by_people(event.id, batch.recipients)
        people = self.people.get_many(batch.recipients)
        self.runner.send_each(
            batch.recipients,
            deadline,
            result,
            email_for=lambda person_id: self._email_for(
                bulletin, event, current.get(person_id), people.get(person_id), now
            ),
            sent=lambda person_id: self.bulletins.mark_sent(event.id, person_id, bulletin.key),
            refused=lambda person_id, reason: self.bulletins.mark_failed(
                event.id, person_id, bulletin.key, SendFailure(kind=bulletin.kind, reason=reason, at=now)
            ),
        )

    def _email_for(
        self,
        bulletin: Bulletin,
        event: Event,
        registration: Registration | None,
        person: Person | None,
        now: datetime,
    ) -> RenderedEmail | None:
        if registration is None or registration.status is RegistrationStatus.cancelled:
            return None
        if had(registration, bulletin.key) or person is None or not may_message(person):
            return None
        links = self.mailer.links
        if bulletin.kind == "follow_up":
            if registration.status is not RegistrationStatus.registered:
                return None
            follow_up = FollowUp.of(
                person,
                event,
                links,
                now,
                attended=registration.joined_at is not None,
                recording_url=bulletin.recording_url,
                feedback_url=bulletin.feedback_url,
                message=bulletin.message,
            )
            return self.mailer.render(follow_up, now)
        message = AdminMessage.of(
            person, event, links, now, subject=bulletin.subject, message=bulletin.message
        )
        return self.mailer.render(message, now)
