"""The sign-up decision, pure: given what the table holds for these events and this person, what
each event becomes (a new place, a waiting-list place, a repeat) and whether a confirmation
goes. No AWS: the workflow (shared/workflows/signup.py) reads the snapshot and writes the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from shared.domain.errors import EventClosed, NotFound
from shared.domain.models import SUPPRESSION_RANK, Event, RegistrationStatus, Role, Suppression
from shared.domain.people import Person, Registration
from shared.domain.schedule import Schedule, links_due

ItemStatus = Literal["registered", "already_registered", "waitlisted"]

# A repeat that registers nothing re-sends the confirmation only if none went this long ago.
RESEND_AFTER = timedelta(hours=1)


@dataclass
class SignupSnapshot:
    """Everything a sign-up decision needs, read in one BatchGetItem."""

    events: dict[str, Event] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)
    person: Person | None = None
    # The hash-only suppression marker, which outlives the profile (shared/stores/people.py).
    marker: Suppression | None = None

    def known_person(self, person_id: str) -> Person | None:
        """The profile as a sign-up must see it: with the marker's suppression where that is
        higher, and a bare one (the key and the suppression) when only the marker is left."""
        marker, person = self.marker, self.person
        if marker is None:
            return person
        if person is None:
            return Person(person_id=person_id, suppression=marker)
        current = person.suppression
        if current is None or SUPPRESSION_RANK[marker] > SUPPRESSION_RANK[current]:
            return person.model_copy(update={"suppression": marker})
        return person


class Applicant(Protocol):
    """Who signs up: the public form's fields (SignupRequest), or an admin's entry for someone."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def access_needs(self) -> str | None: ...
    @property
    def access_needs_consent(self) -> bool: ...
    @property
    def event_ids(self) -> list[str]: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def sms_consent(self) -> bool: ...


@dataclass(frozen=True)
class Newcomer:
    """Someone an admin registers (add_registration), possibly without an address."""

    name: str
    role: Role
    event_ids: list[str]
    email: str = ""
    organisation: str | None = None
    access_needs: str | None = None
    access_needs_consent: bool = False
    phone: str | None = None  # admins register people without a number: only they add one
    sms_consent: bool = False


@dataclass
class SignupItem:
    event: Event
    status: ItemStatus
    changed: bool  # newly registered, newly waitlisted or re-activated
    # At or after the event's send moment: the confirmation carries the join link itself.
    join_details: bool = False


@dataclass
class Plan:
    items: list[SignupItem] = field(default_factory=list)
    new_registrations: list[Registration] = field(default_factory=list)
    send_confirmation: bool = False


# --- the decision (pure) ---------------------------------------------------------------------------


def check_events(event_ids: Sequence[str], snapshot: SignupSnapshot, now: datetime) -> None:
    """All or nothing: an unknown id (404) wins over a closed event (409)."""
    unknown = [e for e in event_ids if e not in snapshot.events]
    if unknown:
        raise NotFound(
            f"We could not find the event {unknown[0]!r}.",
            fields={"event_ids": f"unknown event {unknown[0]}"},
        )
    closed = [e for e in event_ids if not snapshot.events[e].is_open(now)]
    if closed:
        title = snapshot.events[closed[0]].title
        raise EventClosed(f"“{title}” is no longer open for sign-up: it has been cancelled or has ended.")


def gets_join_link(event: Event, status: str, schedule: Schedule | None, now: datetime) -> bool:
    """The one rule for a late sign-up: someone with a place, at or after the event's send moment
    and before its end, gets the join link in their confirmation (and counts as sent)."""
    return status != "waitlisted" and schedule is not None and links_due(event, schedule, now)


def plan_signup(
    applicant: Applicant,
    person_id: str,
    snapshot: SignupSnapshot,
    now: datetime,
    schedule: Schedule | None = None,
) -> Plan:
    """Decide, per event, whether this is a new place, a waiting-list place or a repeat."""
    check_events(applicant.event_ids, snapshot, now)
    plan = Plan()
    stored = known(snapshot.person)
    role = stored.role if stored else applicant.role  # a known person's role is theirs to change
    for event_id in applicant.event_ids:
        event = snapshot.events[event_id]
        existing = snapshot.registrations.get(event_id)
        if existing is not None and existing.status is not RegistrationStatus.cancelled:
            status: ItemStatus = (
                "already_registered" if existing.status is RegistrationStatus.registered else "waitlisted"
            )
            late = gets_join_link(event, status, schedule, now)
            plan.items.append(SignupItem(event, status, changed=False, join_details=late))
            continue
        placed = RegistrationStatus.waitlisted if event.is_full() else RegistrationStatus.registered
        late = gets_join_link(event, placed.value, schedule, now)
        registration = _registration(applicant, role, event, person_id, placed, now, late, schedule)
        if existing is not None:
            # A cancelled place brought back keeps what its morning text did: a number gets one
            # text per event, not one more each time its holder cancels and signs up again.
            registration = registration.model_copy(
                update={"sms_sent_for": existing.sms_sent_for, "sms_failed_for": existing.sms_failed_for}
            )
        plan.new_registrations.append(registration)
        plan.items.append(SignupItem(event, placed.value, changed=True, join_details=late))  # type: ignore[arg-type]
    if plan.new_registrations:
        plan.send_confirmation = True
    else:
        last = snapshot.person.confirmation_sent_at if snapshot.person else None
        plan.send_confirmation = last is None or last <= now - RESEND_AFTER
    return plan


def known(person: Person | None) -> Person | None:
    """The profile, if it already says who the person is (not a bare suppression marker)."""
    return person if person is not None and (person.email or person.name) else None


def _registration(
    applicant: Applicant,
    role: Role,
    event: Event,
    person_id: str,
    status: RegistrationStatus,
    now: datetime,
    late: bool,
    schedule: Schedule | None,
) -> Registration:
    return Registration(
        event_id=event.id,
        person_id=person_id,
        role=role,  # the role at sign-up, for the event's counts
        # Access needs are health-related: held only with their own explicit consent.
        access_needs=(applicant.access_needs or "") if applicant.access_needs_consent else "",
        status=status,
        registered_at=now,
        waitlisted_at=now if status is RegistrationStatus.waitlisted else None,
        link_sent_at=now if late else None,
        link_sent_for=schedule.send_moment(event) if late and schedule is not None else None,
    )


def profile_for(
    applicant: Applicant, person_id: str, plan: Plan, previous: Person | None, now: datetime
) -> Person:
    """The profile after this sign-up: who a known person is stays as stored (only its owner
    changes it); a new person is who the form says."""
    same = known(previous)
    return Person(
        person_id=person_id,
        email=same.email if same else applicant.email,
        name=same.name if same else applicant.name,
        role=same.role if same else applicant.role,
        organisation=same.organisation if same else (applicant.organisation or ""),
        # A number only ever comes from a new person's own form, and only with their consent
        # (checked in shared/domain/forms.py); a known person's stays as stored.
        phone=same.phone if same else (applicant.phone or "" if applicant.sms_consent else ""),
        sms_consent=same.sms_consent if same else bool(applicant.sms_consent and applicant.phone),
        # Signing up again undoes an unsubscribe, never a bounce or a complaint.
        suppression=None
        if previous is None or previous.suppression is Suppression.unsubscribed
        else previous.suppression,
        confirmation_sent_at=now
        if plan.send_confirmation
        else (previous.confirmation_sent_at if previous else None),
        created_at=previous.created_at if previous and previous.created_at else now,
    )


def confirmation_lines(items: Sequence[SignupItem]) -> list[tuple[Event, ItemStatus, bool]]:
    return [(item.event, item.status, item.join_details) for item in items]
