"""Domain models: what the system knows about events, people and their registrations.

`Event` is the stored event, Zoom details included: it never leaves the system except through
the personal emails and the `/join/` redirect. Public answers use `PublicEvent` (functions/api).
"""

from __future__ import annotations

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


def check_address(value: str) -> str:
    """A syntactically valid address (no DNS look-up), as email-validator normalises it."""
    # Imported here: email_validator is only needed on the paths that take an address (cold start).
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address ({error})") from None


def normalise_address(address: str) -> str:
    """The form of an address that identifies a person: trimmed and lower-cased."""
    return address.strip().lower()
