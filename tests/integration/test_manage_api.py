"""Personal links: manage link requests, managing places, the waiting list, unsubscribing."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError

from infra.testkit import FIXED_NOW
from infra.testkit.api import call_api, outbox
from infra.testkit.morning import pump
from shared import clock, services
from shared.domain import tokens
from shared.domain.models import RegistrationStatus
from shared.domain.tokens import Purpose
from tests.integration.helpers import create_event, sign_up, text_part, token_from

HTML = {"accept": "text/html"}


def manage_token_after_signup(event_ids: list[str], **person: str) -> str:
    sign_up(event_ids, **person)
    return token_from(text_part(outbox()[-1]), "/manage")


def test_the_manage_link_lists_the_persons_places(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    token = manage_token_after_signup([first, second])

    answer = call_api("GET", "/manage", query={"token": token})

    assert answer.json() == {
        "name": "Ada Lovelace",
        "registrations": [
            {
                "event_id": first,
                "title": "Co-production in a Digital World",
                "starts_at": "2026-12-09T14:00:00+00:00",
                "status": "registered",
            },
            {
                "event_id": second,
                "title": "When to re-balance the power?",
                "starts_at": "2027-01-13T14:00:00+00:00",
                "status": "registered",
            },
        ],
    }
    page = call_api("GET", "/manage", query={"token": token}, headers=HTML)
    assert page.status == 200
    assert "Cancel my place at When to re-balance the power?" in page.body


def test_a_tampered_or_wrong_purpose_token_gets_404_and_reveals_nothing(aws):
    event_id = create_event()
    token = manage_token_after_signup([event_id])
    kid, payload, mac = token.split(".")
    tampered = f"{kid}.{payload}.{('A' if mac[0] != 'A' else 'B')}{mac[1:]}"
    person_id = services.get().person_id_for("ada@example.org")
    unsubscribe_token = tokens.sign(
        Purpose.UNSUBSCRIBE, [person_id], FIXED_NOW + timedelta(days=1), services.get().keys
    )
    expired = tokens.sign(Purpose.MANAGE, [person_id], FIXED_NOW - timedelta(seconds=1), services.get().keys)

    answers = [
        call_api("GET", "/manage", query={"token": tampered}),
        call_api("GET", "/manage", query={"token": unsubscribe_token}),
        call_api("GET", "/manage", query={"token": expired}),
        call_api("GET", "/manage", query={"token": "garbage"}),
        call_api("GET", "/manage"),
        call_api("GET", "/unsubscribe", query={"token": token}),
        call_api("POST", "/manage/cancel", json_body={"token": unsubscribe_token, "all": True}),
    ]

    assert {a.status for a in answers} == {404}
    assert len({a.body for a in answers[:5]}) == 1
    assert (
        services.get().stores.registrations.get(event_id, person_id).status is RegistrationStatus.registered
    )


def test_cancelling_a_place_offers_it_to_the_first_on_the_waiting_list(aws):
    event_id = create_event(capacity=1)
    token = manage_token_after_signup([event_id])
    sign_up([event_id], email="bea@example.org", name="Bea")
    clock.freeze(FIXED_NOW + timedelta(minutes=1))
    sign_up([event_id], email="cy@example.org", name="Cy")
    sent_before = len(outbox())

    answer = call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": event_id})

    assert answer.json() == {"cancelled": [event_id]}
    stores = services.get().stores
    people = stores.people.get_many(r.person_id for r in stores.registrations.of_event(event_id))
    emails = {person_id: person.email for person_id, person in people.items()}
    statuses = {emails[r.person_id]: r.status.value for r in stores.registrations.of_event(event_id)}
    assert statuses == {
        "ada@example.org": "cancelled",
        "bea@example.org": "registered",
        "cy@example.org": "waitlisted",
    }
    event = stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (1, 1)
    (offer,) = outbox()[sent_before:]
    assert offer["To"].addresses[0].addr_spec == "bea@example.org"
    assert "You have a place" in offer["Subject"]


def test_repeating_a_cancel_is_harmless(aws):
    event_id = create_event(capacity=1)
    token = manage_token_after_signup([event_id])
    sign_up([event_id], email="bea@example.org", name="Bea")
    call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": event_id})

    again = call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": event_id})

    assert again.status == 200
    assert again.json() == {"cancelled": [event_id]}
    assert services.get().stores.events.get(event_id).registered_count == 1


def test_cancel_all_cancels_every_upcoming_place(aws):
    first = create_event("One", "2026-12-09T14:00:00")
    second = create_event("Two", "2027-01-13T14:00:00")
    token = manage_token_after_signup([first, second])

    answer = call_api("POST", "/manage/cancel", form={"token": token, "all": "true"}, headers=HTML)

    assert answer.status == 200
    assert "Cancelled: 2 places" in answer.body
    assert [
        r["status"] for r in call_api("GET", "/manage", query={"token": token}).json()["registrations"]
    ] == [
        "cancelled",
        "cancelled",
    ]


def test_cancel_needs_an_event_or_all(aws):
    event_id = create_event()
    token = manage_token_after_signup([event_id])
    answer = call_api("POST", "/manage/cancel", json_body={"token": token})
    assert answer.status == 422
    assert "event_id" in answer.json()["error"]["fields"]


def test_signing_up_again_after_cancelling_reactivates_the_place(aws):
    event_id = create_event()
    token = manage_token_after_signup([event_id])
    call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": event_id})

    answer = sign_up([event_id])

    assert answer.status == 201
    assert answer.json()["signup"]["registrations"][0]["status"] == "registered"
    event = services.get().stores.events.get(event_id)
    assert event.registered_count == 1
    assert event.counts == {"registered#academic": 1, "cancelled#academic": 0}


def test_asking_for_the_manage_link_is_always_202_and_sends_at_most_once_an_hour(aws):
    event_id = create_event()
    sign_up([event_id])
    before = len(outbox())

    answers = [
        call_api("POST", "/manage/link", json_body={"email": "ADA@example.org"}),
        call_api("POST", "/manage/link", json_body={"email": "ada@example.org"}),
        call_api("POST", "/manage/link", json_body={"email": "nobody@example.org"}),
    ]
    pump(aws)

    assert [a.status for a in answers] == [202, 202, 202]
    assert answers[0].body == answers[2].body
    (sent,) = outbox()[before:]
    assert "/manage?token=" in text_part(sent)
    clock.freeze(FIXED_NOW + timedelta(hours=1, minutes=1))
    call_api("POST", "/manage/link", json_body={"email": "ada@example.org"})
    pump(aws)
    assert len(outbox()) == before + 2


def aws_calls() -> list[str]:
    """Every AWS call made by the app's clients from now on, as 'service.Operation'."""
    calls: list[str] = []
    for name in ("dynamodb", "sqs", "ses_send"):
        client = services.get().client(name)

        def record(model, service=name, **_kwargs):
            calls.append(f"{service}.{model.name}")

        client.meta.events.register("before-call", record, unique_id=f"test-calls-{name}")
    return calls


def test_asking_for_the_manage_link_does_the_same_work_whoever_asks(aws):
    event_id = create_event()
    sign_up([event_id])
    calls = aws_calls()

    answers = {}
    seen = {}
    for address in ("ada@example.org", "nobody@example.org", "ada@example.org"):
        start = len(calls)
        answers[address] = call_api("POST", "/manage/link", json_body={"email": address})
        seen.setdefault(address, []).append(calls[start:])

    assert seen["ada@example.org"][0] == seen["nobody@example.org"][0] == seen["ada@example.org"][1]
    assert seen["nobody@example.org"][0] == ["sqs.SendMessage"]
    assert answers["ada@example.org"].body == answers["nobody@example.org"].body
    # The decision is made later, by SenderFunction: one email, to the person who has a place.
    before = len(outbox())
    pump(aws)
    assert [m["To"].addresses[0].addr_spec for m in outbox()[before:]] == ["ada@example.org"]


def test_a_manage_link_that_ses_refused_goes_on_the_jobs_retry(aws):
    event_id = create_event()
    sign_up([event_id])
    before = len(outbox())

    class Throttled:
        def send_email(self, **_kwargs):
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail")

    call_api("POST", "/manage/link", json_body={"email": "ada@example.org"})
    services.override(ses_send=Throttled())
    pump(aws)
    services.override()
    assert len(outbox()) == before
    pump(aws, visible_again=True)
    assert len(outbox()) == before + 1


def test_unsubscribe_get_changes_nothing_and_post_cancels_everything_and_stops_email(aws):
    first = create_event("One", "2026-12-09T14:00:00")
    second = create_event("Two", "2027-01-13T14:00:00", capacity=1)
    sign_up([second], email="bea@example.org", name="Bea")
    sign_up([first, second])  # Ada: a place at One, the waiting list at Two
    person_id = services.get().person_id_for("ada@example.org")
    token = tokens.sign(Purpose.UNSUBSCRIBE, [person_id], FIXED_NOW + timedelta(days=30), services.get().keys)
    registrations = services.get().stores.registrations

    page = call_api("GET", "/unsubscribe", query={"token": token}, headers=HTML)
    assert page.status == 200 and "Unsubscribe and cancel my places" in page.body
    assert registrations.get(first, person_id).status is RegistrationStatus.registered

    answer = call_api(
        "POST",
        "/unsubscribe",
        query={"token": token},
        form={"List-Unsubscribe": "One-Click"},
        headers={"accept": "*/*"},
    )

    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    json_answer = call_api("POST", "/unsubscribe", query={"token": token})
    assert json_answer.json() == {"unsubscribed": True, "cancelled": []}
    assert {registrations.get(e, person_id).status for e in (first, second)} == {RegistrationStatus.cancelled}
    before = len(outbox())
    call_api("POST", "/manage/link", json_body={"email": "ada@example.org"})
    pump(aws)
    assert len(outbox()) == before

    again = sign_up([first])
    assert again.json()["signup"]["confirmation"] == "sent"
    assert len(outbox()) == before + 1
