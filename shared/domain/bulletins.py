"""Messages to an event's registrants (`message_registrants`) and its follow-up (`send_follow_up`),
as values: who an audience takes in, and how a send is named so that each person gets it once.

A *send* is one message of an event, named by its `key`:
- a message: a hash of its subject and words (`m<hash>`), so that repeating the same message
  names the same send and reaches only those who have not had it; an `allow_repeat` of a message
  sent before is a new round of it (`m<hash>~<n>`), which everyone in the audience gets again;
- the follow-up: `follow-up`, one per event.
Each registration keeps the keys of the sends it had (`messages_sent`) and of those that could
not go to it (`messages_failed`): the one conditional write that makes a send exactly once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.domain.models import RegistrationStatus, as_typed, first_hidden
from shared.domain.people import Person, Registration

Audience = Literal["registered", "waitlisted", "everyone", "attended", "not_attended"]
BulletinKind = Literal["message", "follow_up"]
FOLLOW_UP_KEY = "follow-up"
# Audiences that need the event over: who attended is known only then.
AFTER_THE_END: tuple[Audience, ...] = ("attended", "not_attended")
SUBJECT_MAX = 150
MESSAGE_MAX = 5000
URL_MAX = 500


def message_key(subject: str, message: str) -> str:
    """The send a message names: the same subject and words (trimmed) give the same key."""
    text = f"{subject.strip()}\x1f{message.strip()}".encode()
    return "m" + hashlib.sha256(text).hexdigest()[:24]


def round_key(base: str, round_number: int) -> str:
    """Round `round_number` (2, 3, ...) of a message sent again with `allow_repeat`."""
    return f"{base}~{round_number}"


def base_of(key: str) -> str:
    return key.partition("~")[0]


def in_audience(registration: Registration, audience: Audience) -> bool:
    """Is this registration in the audience? Cancelled places never are. `attended` is the join
    link first opened between 15 minutes before the start and the end (`joined_at`)."""
    status = registration.status
    if audience == "waitlisted":
        return status is RegistrationStatus.waitlisted
    if audience == "everyone":
        return status in (RegistrationStatus.registered, RegistrationStatus.waitlisted)
    if status is not RegistrationStatus.registered:
        return False
    if audience == "attended":
        return registration.joined_at is not None
    if audience == "not_attended":
        return registration.joined_at is None
    return True


def had(registration: Registration, key: str) -> bool:
    """Was this send handled for this person (sent, or refused for their address)? For a first
    round (`key` without `~`), any round of the same message counts as having had it."""
    handled = registration.messages_sent | registration.messages_failed
    if key in handled:
        return True
    return "~" not in key and any(base_of(done) == key for done in handled)


def may_message(person: Person | None) -> bool:
    """Someone we may send a message or follow-up to: an address, not suppressed, not opted out
    of messages (their places and join links are not affected by that)."""
    if person is None or not person.email:
        return False
    return person.suppression is None and not person.messages_opt_out


@dataclass(frozen=True)
class Bulletin:
    """One send of an event: a message (subject and words) or its follow-up (links and words)."""

    event_id: str
    key: str
    kind: BulletinKind
    created_at: datetime
    subject: str = ""
    message: str = ""
    recording_url: str = ""
    feedback_url: str = ""

    def concerns(self, registration: Registration, audience: Audience) -> bool:
        """In the audience this send was planned for (asked again when each email goes: a place
        cancelled since gets nothing)."""
        if self.kind == "follow_up":
            return registration.status is RegistrationStatus.registered
        return in_audience(registration, audience)


# --- the admin's words, checked (plain sentences: AdminFunction shows them as they are) ----------


# Pasted from a word processor or a web page, these are what the admin sees as line breaks.
_LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n\n", "\u0085": "\n"})


def check_subject(value: str) -> str:
    """One line of at most SUBJECT_MAX characters: it goes into the Subject header as written."""
    subject = as_typed(value).strip()
    if not subject:
        raise ValueError("subject is required: one short line saying what the message is about")
    if hidden := first_hidden(subject, ""):
        raise ValueError(
            "subject must be one line, with no line breaks, tabs or hidden characters: it has "
            f"{hidden}; type it again rather than pasting it"
        )
    if len(subject) > SUBJECT_MAX:
        raise ValueError(f"subject must be at most {SUBJECT_MAX} characters (it has {len(subject)})")
    return subject


def check_message(value: str, *, required: bool) -> str:
    """Plain text of at most MESSAGE_MAX characters: line breaks welcome (a blank line starts a
    paragraph, pasted line separators count as breaks), other control characters not."""
    message = as_typed(value.replace("\r\n", "\n").translate(_LINE_BREAKS)).strip()
    if required and not message:
        raise ValueError("message is required: the words to send, as plain text")
    if hidden := first_hidden(message, "\n\t"):
        raise ValueError(
            "message must be plain text: line breaks are fine, hidden and control characters are "
            f"not, and it has {hidden}"
        )
    if len(message) > MESSAGE_MAX:
        raise ValueError(f"message must be at most {MESSAGE_MAX} characters (it has {len(message)})")
    return message


def check_https_url(value: str, field: str) -> str:
    """Empty, or a plain https:// web address (no spaces, no user name or password)."""
    from urllib.parse import urlsplit

    url = value.strip()
    if not url:
        return ""
    example = f"{field} must be a web address starting with https://, such as https://example.org/page"
    if len(url) > URL_MAX:
        raise ValueError(f"{field} must be at most {URL_MAX} characters")
    if not url.isascii():
        raise ValueError(
            f"{example}, in plain ASCII: copy it from the browser's address bar, which writes "
            "letters such as é as %C3%A9"
        )
    if any(not ch.isprintable() or ch in " <>\"'" for ch in url):
        raise ValueError(f"{example} (with no spaces or quotes)")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(example) from None
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise ValueError(example)
    return url
