"""`preview_email`: one sample of an email kind for an event, to the admin's own address only,
subject "[Preview] ...", with personal links made for a person who does not exist (the join
link answers 404, the manage page lists no places)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from shared.domain.errors import NotFound, Unavailable
from shared.domain.models import Event, EventStatus, Person
from shared.domain.schedule import Schedule, links_due
from shared.mail.mailer import ConfirmationLine, Mailer
from shared.mail.render import RenderedEmail, as_preview
from shared.mail.transport import SendFailed
from shared.observability import logger_for
from shared.stores.events import EventStore
from shared.stores.notices import NoticeStore

logger = logger_for("notices")

PreviewKind = Literal["confirmation", "join", "change", "cancellation"]
SAMPLE_PERSON_ID = "sample-person-for-previews"
SAMPLE_NAME = "Sample Person"
SAMPLE_MOVE = timedelta(hours=1)


class Previews:
    def __init__(self, events: EventStore, notices: NoticeStore, mailer: Mailer, schedule: Schedule) -> None:
        self.events = events
        self.notices = notices
        self.mailer = mailer
        self.schedule = schedule

    def send(self, kind: PreviewKind, event_id: str, to: str, message: str, now: datetime) -> str:
        """Render the sample and send it. Returns SES's message id."""
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        sample = Person(person_id=SAMPLE_PERSON_ID, email=to, name=SAMPLE_NAME)
        rendered = self._render(kind, event, sample, message, now)
        try:
            return self.mailer.send(as_preview(rendered))
        except SendFailed as failure:
            logger.warning("preview not sent", extra={"ses_code": failure.code, "kind": kind})
            raise Unavailable(
                "The preview could not be sent just now. Please try again in a minute."
            ) from None

    def _render(
        self, kind: PreviewKind, event: Event, sample: Person, message: str, now: datetime
    ) -> RenderedEmail:
        late = links_due(event, self.schedule, now)
        if kind == "confirmation":
            return self.mailer.confirmation(sample, [ConfirmationLine(event, "registered", late)], now)
        if kind == "join":
            return self.mailer.join_link(sample, event, now)
        if kind == "change":
            old_start, old_end = self._sample_old_time(event)
            return self.mailer.change_notice(
                sample,
                event,
                old_starts_at=old_start,
                old_ends_at=old_end,
                time_changed=True,
                zoom_changed=False,
                include_join=late,
                now=now,
            )
        cancelled = event
        if event.status is not EventStatus.cancelled:
            cancelled = event.model_copy(
                update={"status": EventStatus.cancelled, "sequence": event.sequence + 1}
            )
        return self.mailer.cancellation_notice(sample, cancelled, waitlisted=False, message=message, now=now)

    def _sample_old_time(self, event: Event) -> tuple[datetime, datetime]:
        """The old time of the event's latest change of time, or (never moved) an hour earlier."""
        for notice in reversed(self.notices.of_event(event.id)):
            if notice.time_changed and notice.old_starts_at and notice.old_ends_at:
                return notice.old_starts_at, notice.old_ends_at
        return event.starts_at - SAMPLE_MOVE, event.ends_at - SAMPLE_MOVE
