"""The sign-up decision, given what the table holds (pure: no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import EventClosed, NotFound
from shared.domain.forms import SignupRequest
from shared.domain.models import Event, EventStatus, RegistrationStatus, Role
from shared.domain.people import Person, Registration
from shared.domain.signup import SignupSnapshot, plan_signup

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def event(
    event_id: str,
    *,
    days: int = 14,
    capacity: int | None = None,
    registered: int = 0,
    status: EventStatus = EventStatus.scheduled,
) -> Event:
    start = NOW + timedelta(days=days)
    return Event(
        id=event_id,
        title=event_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        capacity=capacity,
        registered_count=registered,
        status=status,
    )


def request(*event_ids: str) -> SignupRequest:
    return SignupRequest.model_validate(
        {
            "name": "Ada",
            "email": "ada@example.org",
            "role": "academic",
            "event_ids": list(event_ids),
            "consent": True,
        }
    )


def registration(event_id: str, status: RegistrationStatus) -> Registration:
    return Registration(
        event_id=event_id, person_id="p", status=status, registered_at=NOW, role=Role.academic
    )


def test_new_places_and_a_full_event_become_registrations_and_a_waiting_list_place():
    snapshot = SignupSnapshot(events={"a": event("a"), "b": event("b", capacity=2, registered=2)})

    plan = plan_signup(request("a", "b"), "p", snapshot, NOW)

    assert [(i.event.id, i.status) for i in plan.items] == [("a", "registered"), ("b", "waitlisted")]
    assert [r.status for r in plan.new_registrations] == [
        RegistrationStatus.registered,
        RegistrationStatus.waitlisted,
    ]
    assert plan.send_confirmation


def test_existing_places_are_repeats_and_a_cancelled_one_comes_back():
    snapshot = SignupSnapshot(
        events={"a": event("a"), "b": event("b"), "c": event("c")},
        registrations={
            "a": registration("a", RegistrationStatus.registered),
            "b": registration("b", RegistrationStatus.waitlisted),
            "c": registration("c", RegistrationStatus.cancelled),
        },
    )

    plan = plan_signup(request("a", "b", "c"), "p", snapshot, NOW)

    assert [(i.status, i.changed) for i in plan.items] == [
        ("already_registered", False),
        ("waitlisted", False),
        ("registered", True),
    ]


@pytest.mark.parametrize(
    ("last_sent", "resend"),
    [(None, True), (NOW - timedelta(minutes=59), False), (NOW - timedelta(hours=1), True)],
)
def test_a_repeat_resends_the_confirmation_only_if_none_went_in_the_last_hour(last_sent, resend):
    snapshot = SignupSnapshot(
        events={"a": event("a")},
        registrations={"a": registration("a", RegistrationStatus.registered)},
        person=Person(person_id="p", confirmation_sent_at=last_sent),
    )

    assert plan_signup(request("a"), "p", snapshot, NOW).send_confirmation is resend


def test_unknown_wins_over_closed_and_closed_covers_cancelled_and_ended():
    snapshot = SignupSnapshot(
        events={"ended": event("ended", days=-1), "off": event("off", status=EventStatus.cancelled)}
    )
    with pytest.raises(NotFound):
        plan_signup(request("ended", "missing"), "p", snapshot, NOW)
    with pytest.raises(EventClosed):
        plan_signup(request("ended"), "p", snapshot, NOW)
    with pytest.raises(EventClosed):
        plan_signup(request("off"), "p", snapshot, NOW)


def test_access_needs_are_dropped_without_their_own_consent():
    snapshot = SignupSnapshot(events={"a": event("a")})
    without = request("a").model_copy(update={"access_needs": "captions"})
    with_consent = without.model_copy(update={"access_needs_consent": True})

    assert plan_signup(without, "p", snapshot, NOW).new_registrations[0].access_needs == ""
    assert plan_signup(with_consent, "p", snapshot, NOW).new_registrations[0].access_needs == "captions"
