"""SenderFunction's side of change and cancellation notices: one batch at a time, through the
morning send's batch runner (the lease, pacing at this instance's share of SES's rate,
throttling retries, stopping cleanly when SES pauses, and giving the batch back before the
invocation times out). Each person's registration and profile are read when their email goes:
whoever was sent this notice (or a later one), cancelled, or was erased since is skipped.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain.bulk import Batch
from shared.domain.models import Event, RegistrationStatus
from shared.domain.notices import Notice, links_out
from shared.domain.people import Person, Registration, SendFailure
from shared.domain.schedule import Schedule
from shared.mail.jobs import NoticeJob
from shared.mail.mailer import Mailer
from shared.mail.messages import Cancellation, Change
from shared.mail.render import RenderedEmail
from shared.stores.events import EventStore
from shared.stores.notices import NoticeStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore
from shared.workflows.sending import BatchResult, BatchRunner, Deadline


class NoticeSender:
    def __init__(
        self,
        runner: BatchRunner,
        events: EventStore,
        notices: NoticeStore,
        registrations: RegistrationStore,
        people: PersonStore,
        mailer: Mailer,
        schedule: Schedule,
    ) -> None:
        self.runner = runner
        self.events = events
        self.notices = notices
        self.registrations = registrations
        self.people = people
        self.mailer = mailer
        self.schedule = schedule

    def send_batch(self, job: NoticeJob, now: datetime, deadline: Deadline) -> BatchResult:
        return self.runner.run(
            job.event_id,
            job.batch,
            now,
            deadline,
            lambda batch, result: self._send(batch, job, now, deadline, result),
        )

    def _send(
        self, batch: Batch, job: NoticeJob, now: datetime, deadline: Deadline, result: BatchResult
    ) -> None:
        notice = self.notices.get(job.event_id, job.notice)
        event = self.events.get(job.event_id, consistent=True)
        if notice is None or event is None or not notice.still_news(event, now):
            result.skipped = len(batch.recipients)
            return
        current = self.registrations.by_people(event.id, batch.recipients)
        people = self.people.get_many(batch.recipients)
        self.runner.send_each(
            batch.recipients,
            deadline,
            result,
            email_for=lambda person_id: self._email_for(
                notice, event, current.get(person_id), people.get(person_id), now
            ),
            sent=lambda person_id: self.registrations.mark_notified(event.id, person_id, notice.number, now),
            refused=lambda person_id, reason: self.registrations.mark_notice_failed(
                event.id, person_id, notice.number, SendFailure(kind=notice.kind, reason=reason, at=now)
            ),
        )

    def _email_for(
        self,
        notice: Notice,
        event: Event,
        registration: Registration | None,
        profile: Person | None,
        now: datetime,
    ) -> RenderedEmail | None:
        if registration is None or registration.notice_mark >= notice.number:
            return None
        if profile is None or not profile.email or profile.suppression is not None:
            return None
        person = profile
        links = self.mailer.links
        if notice.kind == "cancellation":
            if registration.status is RegistrationStatus.cancelled:
                return None
            waitlisted = registration.status is RegistrationStatus.waitlisted
            message = Cancellation.of(
                person, event, links, now, waitlisted=waitlisted, message=notice.message
            )
            return self.mailer.render(message, now)
        if registration.status is not RegistrationStatus.registered:
            return None
        include_join = links_out(registration, event, self.schedule)
        time_changed = notice.time_changed and (event.starts_at, event.ends_at) != (
            notice.old_starts_at,
            notice.old_ends_at,
        )
        zoom_changed = notice.zoom_changed and include_join
        if not time_changed and not zoom_changed:
            return None  # changed back since, or their link is no longer the one that went out
        change = Change.of(
            person,
            event,
            links,
            now,
            old=(notice.old_starts_at, notice.old_ends_at),
            time_changed=time_changed,
            zoom_changed=zoom_changed,
            include_join=include_join,
        )
        return self.mailer.render(change, now)
