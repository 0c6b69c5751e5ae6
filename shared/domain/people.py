"""People and their places: a profile per address, and a registration per person and event.
Kept apart from the event model: a request that only shows events never builds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.domain.models import RegistrationStatus, Role, Suppression


class Person(BaseModel):
    """The profile: one per address, keyed by the keyed hash of the address (or, for someone an
    admin registered without an address, by a random id). The one place a person's name, address,
    role and organisation live; only its owner changes them (`POST /manage/profile`)."""

    person_id: str
    email: str = ""
    name: str = ""
    role: Role = Role.other
    organisation: str = ""
    suppression: Suppression | None = None
    confirmation_sent_at: datetime | None = None
    manage_link_sent_at: datetime | None = None
    # Asked (the List-Unsubscribe of a message or follow-up) for no more messages and follow-ups;
    # their places, confirmations and join links are not affected.
    messages_opt_out: bool = False
    # The morning text (issue 12): an E.164 mobile number, held only while they agree to texts.
    phone: str = ""
    sms_consent: bool = False
    created_at: datetime | None = None
    expires_at: datetime | None = None  # TTL: the end of the person's latest event plus retention


FailureReason = Literal["unbuildable", "rejected", "send_error"]


class SendFailure(BaseModel):
    """A message to this person that could not go, and why: `unbuildable` (the email could not be
    made from what is stored), `rejected` (SES refused this recipient), `send_error` (another
    error SES gave for this message alone). Retryable faults never land here."""

    channel: Literal["email", "sms"] = "email"
    # the email kind: join_link, change, cancellation, confirmation, place_offered, message, follow_up
    kind: str
    reason: FailureReason
    at: datetime


class Registration(BaseModel):
    """A person's place (or waiting-list place) at an event. Who they are (name, address,
    organisation) lives on their profile only, where they alone change it; the registration keeps
    the role they had when they signed up, for the event's counts."""

    event_id: str
    person_id: str
    role: Role = Role.other
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
    # The morning text, like the join link's email: the send moment it went for, or was refused for.
    sms_sent_for: datetime | None = None
    sms_failed_for: datetime | None = None
    opened_at: datetime | None = None
    # The first open of the join link between 15 minutes before the start and the end: the person
    # attended (shared/domain/attendance.py). Opens by mail scanners on delivery come earlier.
    joined_at: datetime | None = None
    # The last change or cancellation notice sent to this person (numbered per event; 0: none),
    # and the last one SES refused for their address: neither is tried again.
    notified_for: int = 0
    notice_failed_for: int = 0
    # A sign-up with access needs waiting for the admins' next digest: when it was made (cleared
    # once the digest that tells it is sent; shared/domain/notice_digest.py).
    admin_notice_due: datetime | None = None
    # The admins' messages and the follow-up this person had, and those refused for their address
    # (keys named in shared/domain/bulletins.py): neither is sent again.
    messages_sent: set[str] = Field(default_factory=set)
    messages_failed: set[str] = Field(default_factory=set)
    # Every message to this person about this event that failed for them alone, oldest first.
    send_failures: list[SendFailure] = Field(default_factory=list)

    @property
    def notice_mark(self) -> int:
        """The last notice number handled for this registration, sent or refused."""
        return max(self.notified_for, self.notice_failed_for)


@dataclass(frozen=True)
class Registrant:
    """A registration with the person it belongs to, for whoever shows both (admins, exports)."""

    registration: Registration
    person: Person | None

    @property
    def email(self) -> str:
        return self.person.email if self.person else ""

    @property
    def name(self) -> str:
        return self.person.name if self.person else ""

    @property
    def organisation(self) -> str:
        return self.person.organisation if self.person else ""

    @property
    def phone(self) -> str:
        """The mobile number the person agreed to be texted at (empty: none)."""
        return self.person.phone if self.person and self.person.sms_consent else ""
