"""The capacity rule (issue 9 point 1): places added by raising the capacity go to the waiting list
in its order, each person told as after a cancellation; a capacity below the number already
registered is refused, naming that number."""

from __future__ import annotations

from datetime import timedelta

from infra.testkit import FIXED_NOW
from infra.testkit.api import invoke_admin, outbox
from shared import clock, services
from tests.integration.helpers import create_event, sign_up, text_part


def statuses(event_id: str) -> dict[str, str]:
    stores = services.get().stores
    found = stores.registrations.of_event(event_id)
    people = stores.people.get_many(r.person_id for r in found)
    return {people[r.person_id].email: r.status.value for r in found}


def full_event_with_a_waiting_list() -> str:
    event_id = create_event(capacity=2)
    for n in range(5):  # two places, then three on the waiting list, in this order
        clock.freeze(FIXED_NOW + timedelta(minutes=n))
        assert sign_up([event_id], email=f"p{n}@example.org", name=f"P{n}").status == 201
    return event_id


def test_raising_the_capacity_promotes_the_waiting_list_in_its_order_and_tells_each(aws):
    event_id = full_event_with_a_waiting_list()
    before = len(outbox())

    answer = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": 4})

    assert answer["ok"], answer
    assert statuses(event_id) == {
        "p0@example.org": "registered",
        "p1@example.org": "registered",
        "p2@example.org": "registered",
        "p3@example.org": "registered",
        "p4@example.org": "waitlisted",
    }
    offers = outbox()[before:]
    assert [m["To"].addresses[0].addr_spec for m in offers] == ["p2@example.org", "p3@example.org"]
    assert all("place" in text_part(m).lower() for m in offers)
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (4, 1)
    assert (answer["event"]["registered_count"], answer["event"]["waitlisted_count"]) == (4, 1)
    # The next sign-up joins the end of the waiting list: the new places did not go to it.
    assert sign_up([event_id], email="late@example.org").json()["signup"]["registrations"][0]["status"] == (
        "waitlisted"
    )


def test_lifting_the_capacity_promotes_everyone_waiting(aws):
    event_id = full_event_with_a_waiting_list()

    answer = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": None})

    assert answer["ok"], answer
    assert set(statuses(event_id).values()) == {"registered"}


def test_a_capacity_below_the_number_registered_is_refused_naming_that_number(aws):
    event_id = full_event_with_a_waiting_list()
    before = len(outbox())

    answer = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": 1})

    assert answer["ok"] is False
    assert answer["error"]["code"] == "validation_error"
    assert "2 people already have a place" in answer["error"]["message"]
    assert "at least 2" in answer["error"]["fields"]["capacity"]
    assert services.get().stores.events.get(event_id).capacity == 2
    assert len(outbox()) == before


def test_a_capacity_lowered_to_the_number_registered_is_kept_and_promotes_nobody(aws):
    event_id = create_event(capacity=5)
    for n in range(3):
        sign_up([event_id], email=f"p{n}@example.org")

    answer = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": 3})

    assert answer["ok"], answer
    assert services.get().stores.events.get(event_id).capacity == 3
    assert sign_up([event_id], email="next@example.org").json()["signup"]["registrations"][0]["status"] == (
        "waitlisted"
    )


def test_a_lowered_capacity_never_lands_under_a_racing_sign_up(aws):
    """A sign-up stored between the admin's read and write: the write's condition sees it, and
    the update is refused rather than leave more people registered than places."""
    event_id = create_event(capacity=5)
    for n in range(2):
        sign_up([event_id], email=f"p{n}@example.org")
    admin = services.get().event_admin
    real_get_stored = admin.events.get_stored
    raced = []

    def read_then_race(event_id_: str, **options):
        stored = real_get_stored(event_id_, **options)
        if not raced:
            raced.append(sign_up([event_id], email="racer@example.org").status)
        return stored

    admin.events.get_stored = read_then_race  # type: ignore[method-assign]
    answer = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": 2})

    assert raced == [201]
    assert answer["ok"] is False and "3 people already have a place" in answer["error"]["message"]
    event = services.get().stores.events.get(event_id)
    assert (event.capacity, event.registered_count) == (5, 3)
