"""The two email kinds an admin writes the words of: a message to an event's registrants
(`message_registrants`) and the event's follow-up (`send_follow_up`). Pure, like
shared/mail/messages.py, whose `Envelope` and `Draft` they use.

The admin's words go in as plain text: the text part keeps them, and the HTML part escapes them
(paragraphs from blank lines, line breaks kept): HTML an admin typed is shown, never run. Both
carry the event's title and time in words with its zone, the manage link, and List-Unsubscribe
one-click headers whose URL stops messages and follow-ups only: places and join links stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from shared.domain.links import Links
from shared.domain.models import Event
from shared.domain.people import Person
from shared.domain.timefmt import when_in_words
from shared.mail.items import Context, clean, require_absolute
from shared.mail.messages import Draft, Envelope


def _envelope(person: Person, links: Links, now: datetime) -> Envelope:
    """Their own manage link, and the messages-only opt-out as List-Unsubscribe."""
    return Envelope(
        to_name=person.name,
        to_address=person.email,
        manage_url=links.manage(person.person_id, now),
        unsubscribe_url=links.messages_opt_out(person.person_id, now),
    )


def _event_context(event: Event, event_url: str) -> Context:
    return {
        "title": clean(event.title),
        "when": when_in_words(event),
        "starts_iso": event.local_start.isoformat(),
        "event_url": event_url,
    }


@dataclass(frozen=True)
class AdminMessage:
    """An admin's message to people at an event: their subject and words, as they wrote them."""

    kind: ClassVar[str] = "message"
    envelope: Envelope
    event: Event
    event_url: str
    subject: str
    message: str

    @classmethod
    def of(
        cls, person: Person, event: Event, links: Links, now: datetime, *, subject: str, message: str
    ) -> AdminMessage:
        return cls(_envelope(person, links, now), event, links.event_page(event.id), subject, message)

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        require_absolute(self.event_url)
        self.envelope.require_unsubscribe()
        subject = clean(self.subject)
        if not subject or not self.message.strip():
            raise ValueError("a message needs a subject and words")
        context = {**_event_context(self.event, self.event_url), "message": self.message.strip()}
        return Draft(subject, context)


@dataclass(frozen=True)
class FollowUp:
    """After the event: to those who attended, thanks, the recording and the feedback link; to
    the other registered people, a we-missed-you note with the recording."""

    kind: ClassVar[str] = "follow_up"
    envelope: Envelope
    event: Event
    event_url: str
    signup_url: str
    attended: bool
    recording_url: str = ""
    feedback_url: str = ""
    message: str = ""

    @classmethod
    def of(
        cls,
        person: Person,
        event: Event,
        links: Links,
        now: datetime,
        *,
        attended: bool,
        recording_url: str = "",
        feedback_url: str = "",
        message: str = "",
    ) -> FollowUp:
        return cls(
            _envelope(person, links, now),
            event,
            links.event_page(event.id),
            links.signup_page(),
            attended,
            recording_url,
            feedback_url,
            message,
        )

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        for url in (self.event_url, self.signup_url):
            require_absolute(url)
        for url in (self.recording_url, self.feedback_url):
            if url and not url.startswith("https://"):
                raise ValueError("a follow-up's links must be https:// URLs")
        self.envelope.require_unsubscribe()
        title = self.event.title
        opening = "Thank you for coming" if self.attended else "Sorry we missed you"
        subject = clean(f"{opening}: {title}")
        context: Context = {
            **_event_context(self.event, self.event_url),
            "attended": self.attended,
            "recording_url": self.recording_url,
            # The feedback form asks about the conversation: only those who were there get it.
            "feedback_url": self.feedback_url if self.attended else "",
            "message": self.message.strip(),
            "signup_url": self.signup_url,
        }
        return Draft(subject, context)
