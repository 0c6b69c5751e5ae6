"""AdminFunction's actions on people: list, add (with or without email), cancel, resend, delete."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.testkit.api import invoke_admin, outbox
from shared import clock, services
from tests.integration.helpers import create_event, sign_up, text_part


def test_list_registrations_shows_what_admins_need_with_counts(aws):
    event_id = create_event(capacity=1)
    sign_up([event_id], access_needs="Captions, please", access_needs_consent=True)
    sign_up([event_id], email="bea@example.org", name="Bea")

    answer = invoke_admin({"action": "list_registrations", "event_id": event_id})

    assert answer["ok"] is True
    assert answer["counts"] == {"registered": 1, "waitlisted": 1, "cancelled": 0}
    ada = next(r for r in answer["registrations"] if r["email"] == "ada@example.org")
    assert ada["access_needs"] == "Captions, please"
    assert set(ada) >= {
        "email",
        "name",
        "role",
        "organisation",
        "access_needs",
        "status",
        "registered_at",
        "link_sent_at",
        "opened_at",
    }


def test_someone_without_email_is_added_and_counts_and_capacity_stay_right(aws):
    event_id = create_event(capacity=2)
    sign_up([event_id])

    added = invoke_admin(
        {"action": "add_registration", "event_id": event_id, "name": "Cy", "role": "lived_experience"}
    )
    full = invoke_admin({"action": "add_registration", "event_id": event_id, "name": "Di", "role": "other"})

    assert added["ok"] is True and added["registration"]["status"] == "registered"
    assert added["registration"]["has_email"] is False and added["confirmation"] is None
    assert full["registration"]["status"] == "waitlisted"
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (2, 1)
    assert event.counts["registered#lived_experience"] == 1
    assert len(outbox()) == 1  # only Ada's own confirmation

    cancelled = invoke_admin(
        {
            "action": "cancel_registration",
            "event_id": event_id,
            "person_id": added["registration"]["person_id"],
        }
    )

    assert cancelled["registration"]["status"] == "cancelled"
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (2, 0)  # Di was promoted


def test_adding_someone_with_email_is_a_signup_on_their_behalf(aws):
    event_id = create_event()

    answer = invoke_admin(
        {
            "action": "add_registration",
            "event_id": event_id,
            "name": "Eve",
            "role": "manager",
            "email": "Eve@Example.org",
        }
    )

    assert answer["registration"]["status"] == "registered"
    assert answer["confirmation"] == "sent"
    (message,) = outbox()
    assert message["To"].addresses[0].addr_spec == "Eve@example.org"  # as given; the domain normalised
    again = invoke_admin({"action": "cancel_registration", "event_id": event_id, "email": "eve@example.org"})
    assert again["registration"]["status"] == "cancelled" and again["changed"] is True
    repeat = invoke_admin({"action": "cancel_registration", "event_id": event_id, "email": "eve@example.org"})
    assert repeat["ok"] is True and repeat["changed"] is False


def test_cancel_needs_someone_and_unknown_people_are_not_found(aws):
    event_id = create_event()
    nobody = invoke_admin({"action": "cancel_registration", "event_id": event_id})
    unknown = invoke_admin(
        {"action": "cancel_registration", "event_id": event_id, "email": "who@example.org"}
    )

    assert nobody["error"]["code"] == "validation_error"
    assert unknown["error"]["code"] == "not_found"


def test_resend_link_sends_the_join_email_to_that_registrant(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "1000")
    services.reset()
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    clock.freeze(datetime(2026, 12, 9, 9, 0, tzinfo=UTC))

    answer = invoke_admin({"action": "resend_link", "event_id": event_id, "email": "ADA@example.org"})

    assert answer["ok"] is True and answer["message_id"]
    assert "/join/" in text_part(outbox()[-1])
    registration = services.get().stores.registrations.get(
        event_id, services.get().person_id_for("ada@example.org")
    )
    assert registration.link_sent_for is not None  # the morning send will not send it again


def test_delete_event_only_without_registrations(aws):
    empty = create_event("Empty", "2027-01-13T14:00:00")
    taken = create_event()
    sign_up([taken])

    refused = invoke_admin({"action": "delete_event", "event_id": taken})
    deleted = invoke_admin({"action": "delete_event", "event_id": empty})

    assert refused["ok"] is False and refused["error"]["fields"] == {"event_id": "has registrations"}
    assert deleted == {"ok": True, "deleted": empty}
    assert services.get().stores.events.get(empty) is None


def test_adding_someone_without_email_is_refused_with_the_same_codes_as_a_signup(aws):
    ended = create_event("Ended one", "2026-10-01T14:00:00")
    cancelled = create_event("Called off", "2026-12-16T14:00:00")
    assert invoke_admin({"action": "cancel_event", "event_id": cancelled})["ok"] is True

    answers = {
        event_id: invoke_admin({"action": "add_registration", "event_id": event_id, "name": "Cy"})
        for event_id in (ended, cancelled, "no-such-event")
    }
    public = sign_up([ended])

    assert public.status == 409 and public.json()["error"]["code"] == "event_closed"
    assert answers[ended]["error"]["code"] == "event_closed"
    assert answers[cancelled]["error"]["code"] == "event_closed"
    assert answers["no-such-event"]["error"]["code"] == "not_found"
    assert services.get().stores.registrations.of_event(ended) == []


def test_someone_without_email_promoted_after_the_send_moment_counts_as_sent(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=1)
    sign_up([event_id])
    carol = invoke_admin(
        {"action": "add_registration", "event_id": event_id, "name": "Carol", "role": "other"}
    )
    assert carol["registration"]["status"] == "waitlisted"
    clock.freeze(datetime(2026, 12, 9, 8, 0, tzinfo=UTC))  # after the 07:00 send moment

    invoke_admin({"action": "cancel_registration", "event_id": event_id, "email": "ada@example.org"})

    listed = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    promoted = next(r for r in listed if r["person_id"] == carol["registration"]["person_id"])
    assert promoted["status"] == "registered"
    assert promoted["link_sent_at"] == "2026-12-09T08:00:00Z"


def test_a_name_or_organisation_with_control_characters_is_refused_naming_the_field(aws):
    event_id = create_event()

    with_email = invoke_admin(
        {"action": "add_registration", "event_id": event_id, "name": "Eve\u0007", "email": "eve@example.org"}
    )
    without = invoke_admin(
        {"action": "add_registration", "event_id": event_id, "name": "Sam", "organisation": "O\u0001"}
    )

    assert with_email["ok"] is False and set(with_email["error"]["fields"]) == {"name"}
    assert without["ok"] is False and set(without["error"]["fields"]) == {"organisation"}
    assert services.get().stores.registrations.of_event(event_id) == []
