"""Profiles belong to their owner: a public sign-up never changes a known person's name, role or
organisation; only `POST /manage/profile`, with the person's manage token, does."""

from __future__ import annotations

from infra.testkit.api import call_api, invoke_admin, outbox
from infra.testkit.morning import pump
from shared import services
from tests.integration.helpers import create_event, sign_up, text_part, token_from

HTML = {"accept": "text/html"}


def stored_person(address: str = "ada@example.org"):
    person = services.get().stores.people.get(services.get().person_id_for(address))
    assert person is not None
    return person


def manage_token() -> str:
    for message in reversed(outbox()):
        if "/manage" in text_part(message):
            return token_from(text_part(message), "/manage")
    raise AssertionError("no manage link was sent")


def test_a_stranger_signing_up_with_a_known_address_changes_nothing_about_the_person(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    sign_up([first], name="Ada Lovelace", role="academic", organisation="Analytical Engines")

    answer = sign_up(
        [second], name="Mallory", email="ADA@example.org", role="commissioner", organisation="Evil Ltd"
    )

    assert answer.status == 201
    person = stored_person()
    assert (person.name, person.role.value, person.organisation) == (
        "Ada Lovelace",
        "academic",
        "Analytical Engines",
    )
    # The new place counts the role the person has, not the one the stranger typed.
    place = services.get().stores.registrations.get(second, person.person_id)
    assert place is not None and place.role.value == "academic"
    # The confirmation for the second event greets the stored name, never the stranger's words.
    confirmation = text_part(outbox()[-1])
    assert confirmation.startswith("Hello Ada Lovelace,")
    assert "Mallory" not in confirmation and "Evil Ltd" not in confirmation
    roster = invoke_admin({"action": "list_registrations", "event_id": second})
    assert [(r["name"], r["organisation"]) for r in roster["registrations"]] == [
        ("Ada Lovelace", "Analytical Engines")
    ]


def test_the_owner_changes_their_details_with_their_manage_token(aws):
    event_id = create_event()
    sign_up([event_id], name="Ada Lovelace", organisation="Analytical Engines")
    token = manage_token()

    answer = call_api(
        "POST",
        "/manage/profile",
        json_body={"token": token, "name": "Ada King", "role": "manager", "organisation": " "},
    )

    assert answer.status == 200
    assert answer.json() == {"name": "Ada King", "role": "manager", "organisation": ""}
    person = stored_person()
    assert (person.name, person.role.value, person.organisation, person.email) == (
        "Ada King",
        "manager",
        "",
        "ada@example.org",
    )
    # The next email greets the new name.
    call_api("POST", "/manage/link", json_body={"email": "ada@example.org"})
    pump(aws)
    assert text_part(outbox()[-1]).startswith("Hello Ada King,")


def test_the_manage_page_shows_a_details_form_that_saves_and_keeps_values_on_error(aws):
    event_id = create_event()
    sign_up([event_id], name="Ada Lovelace", organisation="Analytical Engines")
    token = manage_token()

    page = call_api("GET", "/manage", query={"token": token}, headers=HTML)
    assert 'action="/manage/profile"' in page.body
    assert 'value="Ada Lovelace"' in page.body and 'value="Analytical Engines"' in page.body
    assert 'value="academic" checked' in page.body

    bad = call_api(
        "POST",
        "/manage/profile",
        form={"token": token, "name": "", "role": "academic", "organisation": "Babbage & Co"},
        headers=HTML,
    )
    assert bad.status == 422
    assert "There is a problem" in bad.body and 'id="name-error"' in bad.body
    assert 'value="Babbage &amp; Co"' in bad.body
    assert stored_person().name == "Ada Lovelace"

    saved = call_api(
        "POST",
        "/manage/profile",
        form={"token": token, "name": "Ada King", "role": "lived_experience", "organisation": ""},
        headers=HTML,
    )
    assert saved.status == 200
    assert "Your details are saved." in saved.body
    assert 'value="Ada King"' in saved.body and 'value="lived_experience" checked' in saved.body


def test_a_profile_change_needs_a_valid_manage_token_and_valid_fields(aws):
    event_id = create_event()
    sign_up([event_id])
    token = manage_token()
    signed, mac = token.rsplit(".", 1)
    tampered = f"{signed}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"

    for bad_token in (tampered, "garbage", ""):
        answer = call_api(
            "POST", "/manage/profile", json_body={"token": bad_token, "name": "Mallory", "role": "other"}
        )
        assert answer.status == 404
    invalid = call_api(
        "POST",
        "/manage/profile",
        json_body={"token": token, "name": "Eve\r\nBcc: x@evil.example", "role": "boss"},
    )
    assert invalid.status == 422
    assert set(invalid.json()["error"]["fields"]) == {"name", "role"}
    assert stored_person().name == "Ada Lovelace"


def test_a_person_registered_without_an_address_has_a_profile_that_admins_see(aws):
    event_id = create_event()

    added = invoke_admin(
        {"action": "add_registration", "event_id": event_id, "name": "Grace Hopper", "organisation": "Navy"}
    )

    assert added["ok"], added
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})
    (row,) = roster["registrations"]
    assert (row["name"], row["organisation"], row["email"], row["has_email"]) == (
        "Grace Hopper",
        "Navy",
        "",
        False,
    )
    person = services.get().stores.people.get(row["person_id"])
    assert person is not None and person.name == "Grace Hopper" and person.email == ""
