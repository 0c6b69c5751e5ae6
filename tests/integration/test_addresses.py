"""Addresses SES can deliver: one rule wherever an address is taken in (an ASCII part before the @,
the domain in IDNA form), a person identified by that ASCII form, and look-ups of people already
stored that take any address, so records stored before the rule can still be found and erased."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin, outbox
from shared import services
from shared.domain.models import RegistrationStatus, Role
from shared.domain.people import Person, Registration
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_exports_and_privacy import bucket  # noqa: F401  (fixture)

NOT_ASCII = "ünï@example.org"


def test_a_local_part_ses_cannot_deliver_is_a_422_on_email_and_nothing_is_stored(aws):
    event_id = create_event()

    answer = sign_up([event_id], email=NOT_ASCII)

    assert answer.status == 422
    problem = answer.json()["error"]["fields"]["email"]
    assert "a to z" in problem and "before the @" in problem
    assert services.get().stores.registrations.of_event(event_id) == []
    assert outbox() == []
    page = call_api(
        "POST", "/signups", form={"form": "signup_page", "email": NOT_ASCII}, headers={"accept": "text/html"}
    )
    assert page.status == 422 and "Our email service cannot send to other letters" in page.body


def test_an_internationalised_domain_is_kept_and_emailed_in_its_ascii_form(aws):
    event_id = create_event()

    first = sign_up([event_id], email="Ada@Bücher.DE")
    again = sign_up([event_id], email="ada@xn--bcher-kva.de")

    assert (first.status, again.status) == (201, 200)
    (registration,) = services.get().stores.registrations.of_event(event_id)
    person = services.get().stores.people.get(registration.person_id)
    assert person is not None and person.email == "Ada@xn--bcher-kva.de"
    assert registration.person_id == services.get().person_id_for("ada@xn--bcher-kva.de")
    (confirmation,) = outbox()
    assert confirmation["To"].addresses[0].addr_spec == "Ada@xn--bcher-kva.de"


@pytest.mark.parametrize(
    "event",
    [
        {"action": "add_registration", "event_id": "EVENT", "name": "Ünï", "email": NOT_ASCII},
        {"action": "resend_link", "event_id": "EVENT", "email": NOT_ASCII},
        {"action": "preview_email", "event_id": "EVENT", "kind": "confirmation", "to": NOT_ASCII},
    ],
)
def test_admin_actions_that_send_refuse_an_address_ses_cannot_deliver(aws, event):
    event_id = create_event()

    answer = invoke_admin({**event, "event_id": event_id})

    assert answer["ok"] is False
    field = "to" if event["action"] == "preview_email" else "email"
    assert "before the @" in answer["error"]["fields"][field]


def test_the_manage_link_refuses_only_a_malformed_address(aws):
    assert call_api("POST", "/manage/link", json_body={"email": NOT_ASCII}).status == 422
    assert call_api("POST", "/manage/link", json_body={"email": "nobody@example.org"}).status == 202


def legacy_person(address: str, event_id: str) -> str:
    """A person stored before the rule, under the address as it was then taken in."""
    person_id = services.get().person_id_for(address)
    raw_table.put_people([Person(person_id=person_id, email=address, name="Old Record", role=Role.other)])
    raw_table.put_registrations(
        [
            Registration(
                event_id=event_id,
                person_id=person_id,
                role=Role.other,
                status=RegistrationStatus.registered,
                registered_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        ]
    )
    return person_id


@pytest.mark.parametrize(("stored", "asked"), [(NOT_ASCII, NOT_ASCII), ("zoë@bücher.de", "Zoë@Bücher.de")])
def test_records_stored_before_the_rule_can_still_be_exported_and_erased(bucket, stored, asked):  # noqa: F811
    event_id = create_event()
    person_id = legacy_person(stored, event_id)

    exported = invoke_admin({"action": "export_person", "email": asked})
    forgotten = invoke_admin({"action": "forget_person", "email": asked})

    assert exported["ok"] is True, exported
    assert exported["person_id"] == person_id and exported["person"]["email"] == stored
    assert [r["event_id"] for r in exported["registrations"]] == [event_id]
    assert forgotten["ok"] is True, forgotten
    assert forgotten["erased"]["profile"] == 1 and forgotten["erased"]["registrations"] == 1
    assert services.get().stores.people.get(person_id) is None
    assert services.get().stores.registrations.of_event(event_id) == []


def test_an_old_record_under_a_unicode_domain_is_found_by_its_ascii_form(bucket):  # noqa: F811
    event_id = create_event()
    person_id = legacy_person("ada@bücher.de", event_id)

    exported = invoke_admin({"action": "export_person", "email": "ada@xn--bcher-kva.de"})

    assert exported["person_id"] == person_id
