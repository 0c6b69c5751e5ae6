"""Signing up: the decision (pure) and its one all-or-nothing transaction.

The path with nothing duplicate or full costs two DynamoDB requests whatever the number of
events (one BatchGetItem for events, existing registrations and the profile; one
TransactWriteItems for registrations, event counters, the profile and the rate limits) and one
SES request (or one SQS request when the email has to wait). A lost race (someone took the last
place, a duplicate request landed first) cancels the transaction, and the decision is made again
from a fresh read, so nothing is stored twice and capacity is never exceeded.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from shared.domain.errors import EventClosed, NotFound, RateLimited, Unavailable
from shared.domain.models import Event, Person, Registration, RegistrationStatus, SignupRequest, Suppression
from shared.domain.schedule import Schedule, links_due
from shared.domain.tokens import Keys, person_id_for
from shared.mail.mailer import ConfirmationLine
from shared.stores.repository import Repository, SignupSnapshot, TransactionConflict

ItemStatus = Literal["registered", "already_registered", "waitlisted"]
Confirmation = Literal["sent", "queued", "suppressed"]

RATE_WINDOW = timedelta(hours=1)
RESEND_AFTER = timedelta(hours=1)
MAX_ATTEMPTS = 6


@dataclass
class SignupItem:
    event: Event
    status: ItemStatus
    changed: bool  # newly registered, newly waitlisted or re-activated
    # At or after the event's send moment: the confirmation carries the join link itself.
    join_details: bool = False


@dataclass
class SignupOutcome:
    items: list[SignupItem]
    confirmation: Confirmation | None = None
    person: Person | None = None
    honeypot: bool = False
    send_confirmation: bool = False

    @property
    def anything_new(self) -> bool:
        return self.honeypot or any(item.changed for item in self.items)


class ConfirmationSender(Protocol):
    def send_confirmation(
        self, person: Person, lines: Sequence[ConfirmationLine], now: datetime
    ) -> Confirmation: ...


@dataclass
class Limits:
    enabled: bool = True
    per_address_per_hour: int = 10
    per_ip_per_hour: int = 60


@dataclass
class Plan:
    items: list[SignupItem] = field(default_factory=list)
    new_registrations: list[Registration] = field(default_factory=list)
    send_confirmation: bool = False


def check_events(request: SignupRequest, snapshot: SignupSnapshot, now: datetime) -> None:
    """All or nothing: an unknown id (404) wins over a closed event (409)."""
    unknown = [e for e in request.event_ids if e not in snapshot.events]
    if unknown:
        raise NotFound(
            f"We could not find the event {unknown[0]!r}.",
            fields={"event_ids": f"unknown event {unknown[0]}"},
        )
    closed = [e for e in request.event_ids if not snapshot.events[e].is_open(now)]
    if closed:
        title = snapshot.events[closed[0]].title
        raise EventClosed(f"“{title}” is no longer open for sign-up: it has been cancelled or has ended.")


def plan_signup(
    request: SignupRequest,
    person_id: str,
    snapshot: SignupSnapshot,
    now: datetime,
    schedule: Schedule | None = None,
) -> Plan:
    """Decide, per event, whether this is a new place, a waiting-list place or a repeat.

    With the schedule, a place taken at or after the event's send moment is a late sign-up: the
    confirmation carries the join link, and the registration counts as sent for that moment."""
    check_events(request, snapshot, now)
    plan = Plan()
    for event_id in request.event_ids:
        event = snapshot.events[event_id]
        existing = snapshot.registrations.get(event_id)
        if existing is not None and existing.status is RegistrationStatus.registered:
            late = schedule is not None and links_due(event, schedule, now)
            plan.items.append(SignupItem(event, "already_registered", changed=False, join_details=late))
            continue
        if existing is not None and existing.status is RegistrationStatus.waitlisted:
            plan.items.append(SignupItem(event, "waitlisted", changed=False))
            continue
        status = RegistrationStatus.waitlisted if event.is_full() else RegistrationStatus.registered
        late = (
            status is RegistrationStatus.registered
            and schedule is not None
            and links_due(event, schedule, now)
        )
        plan.new_registrations.append(
            Registration(
                event_id=event_id,
                person_id=person_id,
                email=request.email,
                name=request.name,
                role=request.role,
                organisation=request.organisation or "",
                # Access needs are health-related: held only with their own explicit consent.
                access_needs=(request.access_needs or "") if request.access_needs_consent else "",
                status=status,
                registered_at=now,
                waitlisted_at=now if status is RegistrationStatus.waitlisted else None,
                link_sent_at=now if late else None,
                link_sent_for=schedule.send_moment(event) if late and schedule is not None else None,
            )
        )
        plan.items.append(SignupItem(event, status.value, changed=True, join_details=late))  # type: ignore[arg-type]
    if plan.new_registrations:
        plan.send_confirmation = True
    else:
        last = snapshot.person.confirmation_sent_at if snapshot.person else None
        plan.send_confirmation = last is None or last <= now - RESEND_AFTER
    return plan


def _hash_ip(source_ip: str, keys: Keys) -> str:
    return hmac.new(keys.person, b"ip\n" + source_ip.encode(), hashlib.sha256).hexdigest()[:24]


def sign_up(
    request: SignupRequest,
    *,
    source_ip: str,
    repository: Repository,
    mailer: ConfirmationSender,
    keys: Keys,
    now: datetime,
    limits: Limits,
    retention: timedelta,
    schedule: Schedule | None = None,
) -> SignupOutcome:
    if request.website:
        # A robot filled the hidden field: answer like a success, store and send nothing.
        return SignupOutcome(items=[], confirmation="sent", honeypot=True)

    person_id = person_id_for(request.email, keys)
    for attempt in range(MAX_ATTEMPTS):
        snapshot = repository.load_signup_snapshot(request.event_ids, person_id)
        plan = plan_signup(request, person_id, snapshot, now, schedule)
        previous = snapshot.person
        person = Person(
            person_id=person_id,
            email=request.email,
            name=request.name,
            role=request.role,
            organisation=request.organisation or "",
            suppression=previous.suppression if previous else None,
            confirmation_sent_at=now
            if plan.send_confirmation
            else (previous.confirmation_sent_at if previous else None),
            created_at=previous.created_at if previous and previous.created_at else now,
        )
        # Signing up again undoes an unsubscribe, never a bounce or a complaint.
        clear_unsubscribe = person.suppression is Suppression.unsubscribed
        if clear_unsubscribe:
            person.suppression = None
        last_event_end = max(item.event.ends_at for item in plan.items)
        expires_at = last_event_end + retention

        operations = []
        for registration in plan.new_registrations:
            event = snapshot.events[registration.event_id]
            operations.append(repository.op_put_registration(registration, event, expires_at))
            changes = {(registration.status, registration.role): 1}
            existing = snapshot.registrations.get(registration.event_id)
            if existing is not None:  # a cancelled registration brought back
                changes[(RegistrationStatus.cancelled, existing.role)] = (
                    changes.get((RegistrationStatus.cancelled, existing.role), 0) - 1
                )
            operations.append(
                repository.op_count_on_event(
                    event,
                    changes,
                    now=now,
                    require_open=True,
                    require_space=registration.status is RegistrationStatus.registered,
                )
            )
        operations.append(
            repository.op_save_person(
                person,
                # The profile lives as long as the person's latest event, not this sign-up's.
                expires_at=max(expires_at, previous.expires_at)
                if previous and previous.expires_at
                else expires_at,
                clear_unsubscribe=clear_unsubscribe,
                mark_confirmation=plan.send_confirmation,
                only_if_no_confirmation_since=None if plan.new_registrations else now - RESEND_AFTER,
            )
        )
        rate_operations = 0
        if limits.enabled:
            window = now.replace(minute=0, second=0, microsecond=0)
            operations.append(
                repository.op_rate_limit(
                    "address", person_id, window, limits.per_address_per_hour, RATE_WINDOW
                )
            )
            operations.append(
                repository.op_rate_limit(
                    "ip", _hash_ip(source_ip, keys), window, limits.per_ip_per_hour, RATE_WINDOW
                )
            )
            rate_operations = 2
        try:
            repository.transact(operations)
        except TransactionConflict as conflict:
            if rate_operations and any(
                code == "ConditionalCheckFailed" for code in conflict.reasons[-rate_operations:]
            ):
                raise RateLimited() from None
            # A race was lost (a duplicate landed first, the last place went): wait a moment,
            # read again and decide again.
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not security
            continue
        outcome = SignupOutcome(items=plan.items, person=person, send_confirmation=plan.send_confirmation)
        if not plan.send_confirmation:
            # One went to this address within the hour; a repeat does not send another.
            outcome.confirmation = "sent"
            return outcome
        lines = [ConfirmationLine(item.event, item.status, item.join_details) for item in plan.items]
        try:
            outcome.confirmation = mailer.send_confirmation(person, lines, now)
        except Unavailable:
            # Neither SES nor the queue took it. The sign-up stands; forget that a confirmation
            # went, so that trying again (after our 503) sends one.
            repository.forget_confirmation(person_id)
            raise
        return outcome
    raise Unavailable()
