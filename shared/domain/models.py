"""Domain models: what the system knows about events, people and their registrations.

`Event` is the stored event, Zoom details included: it never leaves the system except through
the personal emails and the `/join/` redirect. Public answers use `PublicEvent` (functions/api).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, Field, field_validator


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


class Person(BaseModel):
    """The profile: one per address, keyed by the keyed hash of the address."""

    model_config = {"defer_build": True}  # built on first use: most requests never read one

    person_id: str
    email: str = ""
    name: str = ""
    role: Role = Role.other
    organisation: str = ""
    suppression: Suppression | None = None
    confirmation_sent_at: datetime | None = None
    manage_link_sent_at: datetime | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None  # TTL: the end of the person's latest event plus retention


class Registration(BaseModel):
    model_config = {"defer_build": True}  # built on first use: most requests never read one

    event_id: str
    person_id: str
    email: str = ""
    name: str = ""
    role: Role = Role.other
    organisation: str = ""
    access_needs: str = ""
    status: RegistrationStatus = RegistrationStatus.registered
    registered_at: datetime
    waitlisted_at: datetime | None = None
    cancelled_at: datetime | None = None
    link_sent_at: datetime | None = None
    # The send moment the join link went out for: a start moved to another send moment re-arms it.
    link_sent_for: datetime | None = None
    # The send moment SES refused this address for (MessageRejected): not tried again for it.
    link_failed_for: datetime | None = None
    opened_at: datetime | None = None
    # The last change or cancellation notice sent to this person (numbered per event; 0: none),
    # and the last one SES refused for their address: neither is tried again.
    notified_for: int = 0
    notice_failed_for: int = 0

    @property
    def notice_mark(self) -> int:
        """The last notice number handled for this registration, sent or refused."""
        return max(self.notified_for, self.notice_failed_for)


def _merge_repeats(value: object) -> object:
    """A form repeats `event_ids`; JSON may send a list or one comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if isinstance(value, list):
        seen: list[object] = []
        for item in value:
            item = item.strip() if isinstance(item, str) else item
            if item not in seen and item != "":
                seen.append(item)
        return seen
    return value


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _truthy_checkbox(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"on", "true", "yes", "1"}:
            return True
        if lowered in {"", "off", "false", "no", "0"}:
            return False
    return value


Checkbox = Annotated[bool, BeforeValidator(_truthy_checkbox)]
EventId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class SignupRequest(BaseModel):
    """The body of `POST /signups`, JSON or form. See CONTRACT.md for each rule."""

    # Built on first use: only a sign-up reads one.
    model_config = {"extra": "ignore", "str_strip_whitespace": True, "defer_build": True}

    name: str = Field(min_length=1, max_length=100, description="1-100 characters, no control characters")
    email: str = Field(max_length=254, description="A syntactically valid address; no DNS look-up")
    role: Role
    organisation: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=200)
    access_needs: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, max_length=1000
    )
    access_needs_consent: Checkbox = False
    event_ids: Annotated[list[EventId], BeforeValidator(_merge_repeats)] = Field(min_length=1, max_length=20)
    consent: Checkbox
    website: str | None = Field(default=None, description="Leave empty (a trap for robots)")

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        if has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("organisation", "access_needs")
    @classmethod
    def _printable_text(cls, value: str | None) -> str | None:
        # Line breaks are welcome in free text; other control characters are not.
        if value is not None and has_control_characters(
            value.replace("\n", "").replace("\r", "").replace("\t", "")
        ):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("email")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        return check_address(value)

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("you need to agree to the privacy notice to sign up")
        return value


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
