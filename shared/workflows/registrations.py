"""Changing registrations after sign-up: cancelling, the waiting list, unsubscribing, manage links.

Each change is one transaction over the registration and its event's counters, conditional on
the state it was read in, so counts stay right and capacity is never exceeded under races.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.models import Event, Registration, RegistrationStatus, Suppression
from shared.domain.schedule import links_due
from shared.mail.mailer import Mailer
from shared.stores.repository import Repository, TransactionConflict, iso, person_key

MANAGE_LINK_EVERY = timedelta(hours=1)
MAX_ATTEMPTS = 5


def cancel_registration(
    repository: Repository, mailer: Mailer, event_id: str, person_id: str, now: datetime
) -> bool:
    """Cancel one place (or waiting-list place). True if it changed anything; repeating is harmless."""
    for _attempt in range(MAX_ATTEMPTS):
        registration = repository.get_registration(event_id, person_id)
        if registration is None or registration.status is RegistrationStatus.cancelled:
            return False
        event = repository.get_event(event_id)
        if event is None:
            return False
        changes = {
            (registration.status, registration.role): -1,
            (RegistrationStatus.cancelled, registration.role): 1,
        }
        try:
            repository.transact(
                [
                    repository.op_move_registration(registration, RegistrationStatus.cancelled, now=now),
                    repository.op_count_on_event(
                        event, changes, now=now, require_open=False, require_space=False
                    ),
                ]
            )
        except TransactionConflict:
            continue
        if registration.status is RegistrationStatus.registered and event.waitlisted_count > 0:
            freed = event.model_copy(update={"registered_count": event.registered_count - 1})
            promote_from_waiting_list(repository, mailer, event_id, now, event=freed)
        return True
    return False


def promote_from_waiting_list(
    repository: Repository, mailer: Mailer, event_id: str, now: datetime, *, event: Event | None = None
) -> list[str]:
    """Offer free places to the waiting list, first come first served; each promoted person is told.

    Returns the promoted person ids. `event`, if given, is the caller's fresh copy (saves a read).
    The event's `registered_count < capacity` condition makes two promotions racing for one
    place end with one winner; the loser reads again.
    """
    promoted: list[str] = []
    for _attempt in range(MAX_ATTEMPTS * 4):
        event = event or repository.get_event(event_id)
        if event is None or not event.is_open(now) or event.is_full() or event.waitlisted_count <= 0:
            break
        waiting = sorted(
            (r for r in repository.list_registrations(event_id) if r.status is RegistrationStatus.waitlisted),
            key=lambda r: (r.waitlisted_at or r.registered_at, r.person_id),
        )
        if not waiting:
            break
        first = waiting[0]
        changes = {
            (RegistrationStatus.waitlisted, first.role): -1,
            (RegistrationStatus.registered, first.role): 1,
        }
        try:
            repository.transact(
                [
                    repository.op_move_registration(first, RegistrationStatus.registered, now=now),
                    repository.op_count_on_event(
                        event, changes, now=now, require_open=True, require_space=True
                    ),
                ]
            )
        except TransactionConflict:
            event = None  # someone else moved the counters: read again
            continue
        promoted.append(first.person_id)
        event = event.model_copy(
            update={
                "registered_count": event.registered_count + 1,
                "waitlisted_count": event.waitlisted_count - 1,
            }
        )
        person = repository.get_person(first.person_id)
        # Promoted after the morning send: the offer carries the join link and counts as sent.
        late = links_due(event, mailer.schedule, now)
        if late:
            repository.mark_link_sent(event_id, first.person_id, mailer.schedule.send_moment(event), now)
        if person is not None:
            mailer.send_place_offered(person, event, now, include_join=late)
    return promoted


def upcoming_registrations(
    repository: Repository, person_id: str, now: datetime
) -> list[tuple[Registration, Event]]:
    registrations = repository.registrations_of(person_id)
    events = repository.get_events(r.event_id for r in registrations)
    return [
        (registration, events[registration.event_id])
        for registration in registrations
        if registration.event_id in events and not events[registration.event_id].has_ended(now)
    ]


def unsubscribe(repository: Repository, mailer: Mailer, person_id: str, now: datetime) -> list[str]:
    """RFC 8058 one-click: cancel every upcoming place and waiting-list place; send nothing more
    until the person signs up again. Returns the cancelled event ids."""
    cancelled = [
        registration.event_id
        for registration, _event in upcoming_registrations(repository, person_id, now)
        if registration.status is not RegistrationStatus.cancelled
        and cancel_registration(repository, mailer, registration.event_id, person_id, now)
    ]
    # A bounce or complaint outranks an unsubscribe: never overwrite it.
    repository.update(
        Key=person_key(person_id),
        UpdateExpression="SET suppression = :unsubscribed, unsubscribed_at = :now",
        ConditionExpression=(
            "attribute_exists(PK) AND (attribute_not_exists(suppression) OR suppression = :unsubscribed)"
        ),
        ExpressionAttributeValues={
            ":unsubscribed": {"S": Suppression.unsubscribed.value},
            ":now": {"S": iso(now)},
        },
    )
    return cancelled


def send_manage_link(repository: Repository, mailer: Mailer, person_id: str, now: datetime) -> bool:
    """Email the person their manage link, at most once an hour, and only if they have registrations."""
    person = repository.get_person(person_id)
    if person is None or not repository.registrations_of(person_id):
        return False
    claimed = repository.update(
        Key=person_key(person_id),
        UpdateExpression="SET manage_link_sent_at = :now",
        ConditionExpression="attribute_not_exists(manage_link_sent_at) OR manage_link_sent_at <= :due",
        ExpressionAttributeValues={":now": {"S": iso(now)}, ":due": {"S": iso(now - MANAGE_LINK_EVERY)}},
    )
    if claimed is None:
        return False
    return mailer.send_manage_link(person, now) != "suppressed"
