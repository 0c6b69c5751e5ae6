"""`preview_email`: one sample of an email kind for an event, to the admin's own address only,
subject "[Preview] ...", with personal links made for a person who does not exist (the join
link answers 404, the manage page lists no places)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.domain.errors import NotFound, Unavailable
from shared.domain.models import Event, EventStatus
from shared.domain.people import Person
from shared.domain.schedule import Schedule, links_due
from shared.mail.bulletins import AdminMessage, FollowUp
from shared.mail.mailer import Mailer
from shared.mail.messages import Cancellation, Change, Confirmation, JoinLink, Message
from shared.mail.render import as_preview
from shared.mail.transport import SendFailed
from shared.observability import logger_for
from shared.stores.events import EventStore
from shared.stores.notices import NoticeStore

logger = logger_for("notices")

PreviewKind = Literal["confirmation", "join", "change", "cancellation", "message", "follow_up"]
SAMPLE_PERSON_ID = "sample-person-for-previews"
SAMPLE_NAME = "Sample Person"
SAMPLE_MOVE = timedelta(hours=1)


@dataclass(frozen=True)
class Words:
    """What the admin writes: a cancellation's message; a message's subject and words; a
    follow-up's links and words, and which version (`attended`)."""

    message: str = ""
    subject: str = ""
    recording_url: str = ""
    feedback_url: str = ""
    attended: bool = True


class Previews:
    def __init__(self, events: EventStore, notices: NoticeStore, mailer: Mailer, schedule: Schedule) -> None:
        self.events = events
        self.notices = notices
        self.mailer = mailer
        self.schedule = schedule

    def send(self, kind: PreviewKind, event_id: str, to: str, words: Words, now: datetime) -> str:
        """Render the sample and send it. Returns SES's message id."""
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        sample = Person(person_id=SAMPLE_PERSON_ID, email=to, name=SAMPLE_NAME)
        rendered = self.mailer.render(self._message(kind, event, sample, words, now), now)
        try:
            return self.mailer.transport.send(as_preview(rendered))
        except SendFailed as failure:
            logger.warning("preview not sent", extra={"ses_code": failure.code, "kind": kind})
            raise Unavailable(
                "The preview could not be sent just now. Please try again in a minute."
            ) from None

    def _message(
        self, kind: PreviewKind, event: Event, sample: Person, words: Words, now: datetime
    ) -> Message:
        late, links = links_due(event, self.schedule, now), self.mailer.links
        if kind == "message":
            return AdminMessage.of(sample, event, links, now, subject=words.subject, message=words.message)
        if kind == "follow_up":
            return FollowUp.of(
                sample,
                event,
                links,
                now,
                attended=words.attended,
                recording_url=words.recording_url,
                feedback_url=words.feedback_url,
                message=words.message,
            )
        if kind == "confirmation":
            return Confirmation.of(sample, [(event, "registered", late)], links, now)
        if kind == "join":
            return JoinLink.of(sample, event, links, now)
        if kind == "change":
            old = self._sample_old_time(event)
            return Change.of(
                sample, event, links, now, old=old, time_changed=True, zoom_changed=False, include_join=late
            )
        cancelled = event
        if event.status is not EventStatus.cancelled:
            cancelled = event.model_copy(
                update={"status": EventStatus.cancelled, "sequence": event.sequence + 1}
            )
        return Cancellation.of(sample, cancelled, links, now, waitlisted=False, message=words.message)

    def _sample_old_time(self, event: Event) -> tuple[datetime, datetime]:
        """The old time of the event's latest change of time, or (never moved) an hour earlier."""
        for notice in reversed(self.notices.of_event(event.id)):
            if notice.time_changed and notice.old_starts_at and notice.old_ends_at:
                return notice.old_starts_at, notice.old_ends_at
        return event.starts_at - SAMPLE_MOVE, event.ends_at - SAMPLE_MOVE
