"""Domain models: what the system knows about events, people and their registrations.

`Event` is the stored event, Zoom details included: it never leaves the system except through
the personal emails and the `/join/` redirect. Public answers use `PublicEvent` (functions/api).
"""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator


class Role(StrEnum):
    lived_experience = "lived_experience"
    academic = "academic"
    frontline_staff = "frontline_staff"
    manager = "manager"
    chief_executive = "chief_executive"
    commissioner = "commissioner"
    government_official = "government_official"
    other = "other"


ROLE_LABELS: dict[Role, str] = {
    Role.lived_experience: "Person with lived experience",
    Role.academic: "Academic or researcher",
    Role.frontline_staff: "Front-line staff",
    Role.manager: "Manager",
    Role.chief_executive: "Chief executive",
    Role.commissioner: "Commissioner",
    Role.government_official: "Government official",
    Role.other: "Other",
}


class EventStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class RegistrationStatus(StrEnum):
    registered = "registered"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class Suppression(StrEnum):
    unsubscribed = "unsubscribed"
    bounced = "bounced"
    complained = "complained"


# Suppression only ever rises: a complaint outranks a bounce, which outranks an unsubscribe.
SUPPRESSION_RANK: dict[Suppression, int] = {
    Suppression.unsubscribed: 1,
    Suppression.bounced: 2,
    Suppression.complained: 3,
}


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry an offset")
    return moment.astimezone(UTC)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


# --- what an admin typed: shared by event titles and messages' subjects and words ---------------

# Zero-width (non-)joiners: emoji sequences and scripts such as Persian and Hindi need them.
JOINERS = "\u200c\u200d"


def as_typed(text: str) -> str:
    """Spaces of every width (no-break, thin, ideographic) as the plain spaces the admin sees."""
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)


def first_hidden(text: str, allowed: str) -> str:
    """Where the first character nobody can see (a control, format or line-break character not in
    `allowed`) is, in words an admin can act on; "" when there is none."""
    for place, ch in enumerate(text, start=1):
        if not ch.isprintable() and ch not in allowed and ch not in JOINERS:
            name = unicodedata.name(ch, "a control character")
            return f"U+{ord(ch):04X} ({name}) at character {place}"
    return ""


# Invisible characters pasted from word processors that change nothing a reader sees: soft hyphen,
# zero-width space, word joiner, byte-order mark, left-to-right and right-to-left marks.
INVISIBLE_MARKS = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff\u200e\u200f"))


class Event(BaseModel):
    id: str
    title: str
    description: str = ""
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/London"
    status: EventStatus = EventStatus.scheduled
    capacity: int | None = None
    registered_count: int = 0
    waitlisted_count: int = 0
    # Counts kept on the event so reports survive expiry and erasure: "<status>#<role>" -> n.
    counts: dict[str, int] = Field(default_factory=dict)
    links_opened: int = 0
    # Registrations whose join link was opened while the event was on (joined_at): attended.
    attended: int = 0
    zoom_join_url: str = ""
    zoom_meeting_id: str = ""
    zoom_passcode: str = ""
    zoom_dial_in: str = ""
    sequence: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def spaces_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.registered_count, 0)

    def is_full(self) -> bool:
        return self.capacity is not None and self.registered_count >= self.capacity

    def has_ended(self, now: datetime) -> bool:
        return self.ends_at <= now

    def is_open(self, now: datetime) -> bool:
        return self.status is EventStatus.scheduled and not self.has_ended(now)


NOT_ASCII = "email_not_ascii"


def check_address(value: str) -> str:
    """An address SES can deliver to, in the form that identifies a person: valid syntax (no DNS
    look-up), an ASCII part before the @ (SES has no SMTPUTF8), and the domain in its IDNA (ASCII)
    form. Raises ValueError with a sentence that says why not; an address that is fine but for the
    characters before the @ raises `PydanticCustomError` of type `email_not_ascii`."""
    # Imported here: only the paths that take an address need them (cold start).
    from email_validator import EmailNotValidError, validate_email
    from pydantic_core import PydanticCustomError

    local, at, _domain = value.strip().rpartition("@")
    if at and not local.isascii():
        odd = " ".join(sorted({ch for ch in local if not ch.isascii()}))
        raise PydanticCustomError(
            NOT_ASCII,
            "can only use the letters a to z, digits and . _ - + before the @, because our email "
            "service cannot deliver to other characters (here: {odd})",
            {"odd": odd},
        )
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address ({error})") from None
    return str(checked.ascii_email)


def address_forms(value: str) -> list[str]:
    """Every form under which a person stored under `value` may be found, best first: the form
    `check_address` gives, then email-validator's normalised form and the address as typed, for
    records stored before addresses had to be ASCII. For look-ups (export, erase, unsuppress), which
    take any address."""
    from email_validator import EmailNotValidError, validate_email

    forms: list[str] = []
    with contextlib.suppress(ValueError):
        forms.append(check_address(value))
    with contextlib.suppress(EmailNotValidError):
        forms.append(validate_email(value, check_deliverability=False).normalized)
    forms.append(value)
    unique: list[str] = []
    for form in (normalise_address(f) for f in forms):
        if form not in unique:
            unique.append(form)
    return unique


def normalise_address(address: str) -> str:
    """The form of an address that identifies a person: trimmed and lower-cased."""
    return address.strip().lower()
