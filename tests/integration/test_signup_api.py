"""POST /signups under moto, through ApiFunction's real handler, as CONTRACT.md describes it."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from infra.testkit import BASE_URL, FIXED_NOW, REDIRECT_URL, raw_table
from infra.testkit.api import call_api, outbox
from shared import clock, services
from shared.domain.models import RegistrationStatus
from tests.integration.helpers import ZOOM_SECRETS, create_event, person, sign_up, text_part


def registrations(event_id: str) -> list:
    return services.get().stores.registrations.of_event(event_id)


def test_signing_up_for_two_events_registers_both_and_sends_one_confirmation(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")

    answer = sign_up([first, second])

    assert answer.status == 201
    assert answer.json() == {
        "signup": {
            "registrations": [
                {"event_id": first, "status": "registered"},
                {"event_id": second, "status": "registered"},
            ],
            "confirmation": "sent",
        }
    }
    (message,) = outbox()
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert message["From"].addresses[0].display_name == "Conversations on Co-production"
    assert message["Date"] and message["Message-ID"]
    text = text_part(message)
    assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in text
    assert f"{BASE_URL}/manage?token=" in text
    calendars = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 2
    for part in calendars:
        calendar = icalendar.Calendar.from_ical(part.get_content())
        assert calendar["METHOD"] == "PUBLISH"
        (vevent,) = calendar.walk("VEVENT")
        assert "ORGANIZER" not in vevent
        assert str(vevent["URL"]).startswith(f"{BASE_URL}/join/")
        public = icalendar.Calendar.from_ical(
            call_api("GET", f"/events/{str(vevent['UID']).split('@')[0]}/calendar.ics").body
        )
        assert public.walk("VEVENT")[0]["UID"] == vevent["UID"]
    raw = message.as_string()
    assert not any(secret in raw for secret in ZOOM_SECRETS)


def test_second_signup_for_same_event_is_not_stored_twice_and_sends_no_second_email(aws):
    event_id = create_event()
    sign_up([event_id])

    answer = sign_up([event_id])

    assert answer.status == 200
    assert answer.json()["signup"]["registrations"] == [
        {"event_id": event_id, "status": "already_registered"}
    ]
    assert len(registrations(event_id)) == 1
    assert len(outbox()) == 1


def test_a_repeat_after_an_hour_sends_the_confirmation_again(aws):
    event_id = create_event()
    sign_up([event_id])
    clock.freeze(FIXED_NOW + timedelta(hours=1, minutes=1))

    answer = sign_up([event_id])

    assert answer.status == 200
    assert len(outbox()) == 2


def test_addresses_differing_only_in_case_are_one_person(aws):
    event_id = create_event()
    sign_up([event_id], email="Alice@Example.org")

    answer = sign_up([event_id], email="alice@example.org")

    assert answer.json()["signup"]["registrations"][0]["status"] == "already_registered"
    assert len(registrations(event_id)) == 1


def test_one_closed_event_among_three_stores_nothing(aws):
    open_one = create_event("Open one", "2026-12-09T14:00:00")
    ended = create_event("Ended one", "2026-10-01T14:00:00")
    open_two = create_event("Open two", "2027-02-10T14:00:00")

    answer = sign_up([open_one, ended, open_two])

    assert answer.status == 409
    assert answer.json()["error"]["code"] == "event_closed"
    assert all(registrations(e) == [] for e in (open_one, ended, open_two))
    assert services.get().stores.events.get(open_one).registered_count == 0
    assert outbox() == []


def test_a_cancelled_event_is_closed(aws):
    event_id = create_event()
    raw_table.update_item(
        Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": "EVENT"}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": "cancelled"}},
    )

    assert sign_up([event_id]).status == 409


def test_an_unknown_event_wins_over_a_closed_one(aws):
    ended = create_event("Ended one", "2026-10-01T14:00:00")

    answer = sign_up([ended, "no-such-event"])

    assert answer.status == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_a_full_event_puts_the_person_on_its_waiting_list(aws):
    event_id = create_event(capacity=1)
    sign_up([event_id], email="first@example.org")

    answer = sign_up([event_id], email="second@example.org", name="Second Person")

    assert answer.status == 201
    assert answer.json()["signup"]["registrations"] == [{"event_id": event_id, "status": "waitlisted"}]
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (1, 1)
    assert "on the waiting list" in " ".join(text_part(outbox()[-1]).split())


def sign_up_in_process(event_ids: list[str], email: str) -> str:
    """The sign-up logic with the function's real collaborators, for concurrent calls.

    Powertools' resolver keeps the current request on the module-level app, as Lambda runs one
    request per execution environment at a time; concurrent requests therefore meet in the
    logic layer, where the races live."""
    from shared.domain.forms import SignupRequest

    request = SignupRequest.model_validate(
        {"name": "Racer", "email": email, "role": "manager", "event_ids": event_ids, "consent": True}
    )
    outcome = services.get().signups.sign_up(
        request, source_ip="203.0.113.7", now=clock.now(), rate_limited=False
    )
    return outcome.items[0].status


def run_together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def run(n: int) -> None:
        barrier.wait()
        results.append(work(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_last_place_taken_by_two_people_at_once_gives_one_place_and_one_waiting_list(aws):
    event_id = create_event(capacity=1)

    statuses = run_together(2, lambda n: sign_up_in_process([event_id], f"racer{n}@example.org"))

    assert sorted(statuses) == ["registered", "waitlisted"]
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (1, 1)
    assert [r.status for r in registrations(event_id)].count(RegistrationStatus.registered) == 1


def test_twenty_identical_signups_at_once_store_one_registration_and_send_one_email(aws):
    event_id = create_event()

    statuses = run_together(20, lambda _n: sign_up_in_process([event_id], "same@example.org"))

    assert sorted(statuses) == ["already_registered"] * 19 + ["registered"]
    assert len(registrations(event_id)) == 1
    assert services.get().stores.events.get(event_id).registered_count == 1
    assert len(outbox()) == 1


def test_ten_people_racing_for_three_places_never_exceed_capacity(aws):
    event_id = create_event(capacity=3)

    statuses = run_together(10, lambda n: sign_up_in_process([event_id], f"racer{n}@example.org"))

    assert sorted(statuses) == ["registered"] * 3 + ["waitlisted"] * 7
    event = services.get().stores.events.get(event_id)
    assert (event.registered_count, event.waitlisted_count) == (3, 7)


def test_a_filled_honeypot_is_answered_like_success_and_stores_and_sends_nothing(aws):
    event_id = create_event()
    full = create_event("Full house", "2027-01-13T14:00:00", capacity=1)
    sign_up([full], email="bea@example.org")
    before = len(outbox())

    robot = sign_up([event_id, full], website="https://spam.example")
    page_form = {**person(), "form": "signup_page", "event_ids": [event_id], "consent": "yes"}
    robot_page = call_api("POST", "/signups", form={**page_form, "website": "x"}, headers=BROWSER)
    assert registrations(event_id) == [] and len(registrations(full)) == 1
    assert len(outbox()) == before
    assert services.get().stores.people.get(services.get().person_id_for("ada@example.org")) is None
    # Exactly what a person gets: the same status, the same answer, the same page.
    human = sign_up([event_id, full])
    human_page = call_api("POST", "/signups", form={**page_form, "email": "cy@example.org"}, headers=BROWSER)
    assert (robot.status, robot.json()) == (human.status, human.json())
    assert robot.json()["signup"]["registrations"] == [
        {"event_id": event_id, "status": "registered"},
        {"event_id": full, "status": "waitlisted"},
    ]
    assert (robot_page.status, robot_page.body) == (human_page.status, human_page.body)
    # An unknown event is refused alike.
    assert (
        sign_up(["2026-12-31-nothing"], website="x").status == sign_up(["2026-12-31-nothing"]).status == 404
    )


def test_access_needs_are_kept_only_with_their_own_consent(aws):
    event_id = create_event()
    sign_up([event_id], access_needs="Live captions, please")
    sign_up([event_id], email="bea@example.org", access_needs="A break halfway", access_needs_consent=True)

    ids = {services.get().person_id_for(a): a for a in ("ada@example.org", "bea@example.org")}
    kept = {ids[r.person_id]: r.access_needs for r in registrations(event_id)}

    assert kept == {"ada@example.org": "", "bea@example.org": "A break halfway"}


def test_an_ses_failure_leaves_the_signup_stored_and_its_email_is_sent_later(aws, monkeypatch):
    from botocore.exceptions import ClientError

    from functions.sender.handler import lambda_handler as sender
    from infra.testkit.api import LambdaContext

    event_id = create_event()

    class FailingSes:
        def send_email(self, **_kwargs):
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail"
            )

    services.override(ses_send=FailingSes())

    answer = sign_up([event_id])

    assert answer.status == 201
    assert answer.json()["signup"]["confirmation"] == "queued"
    assert len(registrations(event_id)) == 1
    assert outbox() == []

    sqs = services.get().client("sqs")
    received = sqs.receive_message(QueueUrl=aws.physical["OutboundQueue"], MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
    assert "ada@example.org" not in received[0]["Body"]
    services.override()
    result = sender(
        {
            "Records": [
                {
                    "messageId": received[0]["MessageId"],
                    "receiptHandle": received[0]["ReceiptHandle"],
                    "body": received[0]["Body"],
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "md5OfBody": received[0]["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": aws.arns["OutboundQueue"],
                    "awsRegion": "eu-west-2",
                }
            ]
        },
        LambdaContext(),
    )

    assert result == {"batchItemFailures": []}
    (message,) = outbox()
    assert "Co-production in a Digital World" in text_part(message)


def test_when_storing_fails_the_answer_is_503_and_nothing_is_stored(aws, monkeypatch):
    from botocore.exceptions import ConnectTimeoutError

    event_id = create_event()
    real = services.get().client("dynamodb")

    class Timeout:
        def __getattr__(self, name):
            if name == "transact_write_items":

                def fail(**_kwargs):
                    raise ConnectTimeoutError(endpoint_url="https://dynamodb")

                return fail
            return getattr(real, name)

    services.override(dynamodb=Timeout())

    answer = sign_up([event_id])

    assert answer.status == 503
    assert answer.headers["retry-after"]
    assert answer.json()["error"]["code"] == "unavailable"
    services.override()
    assert registrations(event_id) == []
    assert outbox() == []


def test_a_suppressed_address_is_registered_but_not_emailed(aws):
    event_id = create_event()
    person_id = services.get().person_id_for("ada@example.org")
    raw_table.update_item(
        Key={"PK": {"S": f"PERSON#{person_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET suppression = :b, email = :e",
        ExpressionAttributeValues={":b": {"S": "bounced"}, ":e": {"S": "ada@example.org"}},
    )

    answer = sign_up([event_id])

    assert answer.status == 201
    assert answer.json()["signup"]["confirmation"] == "suppressed"
    assert len(registrations(event_id)) == 1
    assert outbox() == []


def test_signups_are_rate_limited_per_address(aws, monkeypatch):
    monkeypatch.setenv("SIGNUPS_PER_ADDRESS_PER_HOUR", "3")
    services.reset()
    event_id = create_event()

    statuses = [sign_up([event_id]).status for _ in range(4)]

    assert statuses == [201, 200, 200, 429]
    answer = sign_up([event_id])
    assert answer.json()["error"]["code"] == "rate_limited"
    assert answer.headers["retry-after"] == "3600"  # the hour's window has just begun


def test_a_rate_limited_sign_up_is_told_when_its_window_ends(aws, monkeypatch):
    # Given an address at its limit, 14 minutes 30 seconds before the hour's window ends
    monkeypatch.setenv("SIGNUPS_PER_ADDRESS_PER_HOUR", "1")
    services.reset()
    event_id = create_event()
    clock.freeze(FIXED_NOW + timedelta(minutes=45, seconds=30))
    assert sign_up([event_id]).status == 201

    # When it signs up again
    answer = sign_up([event_id])

    # Then the 429 says to come back when the window ends (CONTRACT.md: 429 carries Retry-After)
    assert answer.status == 429
    assert answer.headers["retry-after"] == str(14 * 60 + 30)


def test_signups_are_rate_limited_per_source_ip(aws, monkeypatch):
    monkeypatch.setenv("SIGNUPS_PER_IP_PER_HOUR", "2")
    services.reset()
    event_id = create_event()

    statuses = [sign_up([event_id], email=f"person{n}@example.org").status for n in range(3)]

    assert statuses == [201, 201, 429]
    assert int(sign_up([event_id], email="person9@example.org").headers["retry-after"]) == 3600


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.org", "role": "academic", "event_ids": ["x"], "consent": True}, "name"),
        (
            {
                "name": "Ada",
                "email": "not-an-address",
                "role": "academic",
                "event_ids": ["x"],
                "consent": True,
            },
            "email",
        ),
        (
            {
                "name": "Ada",
                "email": "ada@example.org",
                "role": "wizard",
                "event_ids": ["x"],
                "consent": True,
            },
            "role",
        ),
        (
            {"name": "Ada", "email": "ada@example.org", "role": "academic", "event_ids": [], "consent": True},
            "event_ids",
        ),
        (
            {
                "name": "Ada",
                "email": "ada@example.org",
                "role": "academic",
                "event_ids": ["x"],
                "consent": False,
            },
            "consent",
        ),
        (
            {
                "name": "Ada\x07",
                "email": "ada@example.org",
                "role": "academic",
                "event_ids": ["x"],
                "consent": True,
            },
            "name",
        ),
        (
            {
                "name": "A" * 101,
                "email": "ada@example.org",
                "role": "academic",
                "event_ids": ["x"],
                "consent": True,
            },
            "name",
        ),
        (
            {
                "name": "Ada",
                "email": "ada@example.org",
                "role": "academic",
                "event_ids": [f"e{n}" for n in range(21)],
                "consent": True,
            },
            "event_ids",
        ),
    ],
)
def test_bad_input_gets_422_naming_the_field(aws, body, field):
    answer = call_api("POST", "/signups", json_body=body)

    assert answer.status == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_repeated_event_ids_are_merged(aws):
    event_id = create_event()

    answer = sign_up([event_id, event_id])

    assert answer.json()["signup"]["registrations"] == [{"event_id": event_id, "status": "registered"}]


def test_a_malformed_body_is_a_422_on_body(aws):
    answer = call_api("POST", "/signups", raw_body="{not json", headers={"content-type": "application/json"})
    assert answer.status == 422
    assert answer.json()["error"]["fields"] == {"body": "is not valid JSON"}

    answer = call_api("POST", "/signups", json_body=["a", "list"])
    assert answer.json()["error"]["fields"] == {"body": "must be a JSON object"}


def test_a_body_over_16_kib_is_413(aws):
    answer = sign_up(["x"], organisation="o" * (17 * 1024))
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_an_unsupported_media_type_is_415(aws):
    answer = call_api("POST", "/signups", raw_body="name=Ada", headers={"content-type": "text/plain"})
    assert answer.status == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"


# --- HTML forms ---------------------------------------------------------------------------------

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_form_from_our_signup_page_with_errors_comes_back_with_values_kept_and_errors_by_fields(aws):
    event_id = create_event()
    form = {
        "form": "signup_page",
        "name": "",
        "email": "ada@example",
        "role": "academic",
        "event_ids": [event_id],
    }

    answer = call_api("POST", "/signups", form=form, headers=BROWSER)

    assert answer.status == 422
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.body
    assert "There is a problem" in page
    assert 'href="#name"' in page and 'id="name-error"' in page
    assert 'value="ada@example"' in page
    assert f'value="{event_id}" checked' in page
    assert "Agree to the privacy notice to sign up" in page


def test_a_form_from_our_signup_page_gets_a_thank_you_page(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    form = {**person(), "consent": "on", "form": "signup_page", "event_ids": [first, second], "website": ""}

    answer = call_api("POST", "/signups", form=form, headers=BROWSER)

    assert answer.status == 201
    assert "Thank you for signing up" in answer.body
    assert "When to re-balance the power?" in answer.body
    assert len(outbox()) == 1


def test_a_form_from_another_site_is_redirected_back_with_the_result(aws):
    event_id = create_event()
    form = {**person(), "consent": "yes", "event_ids": [event_id]}

    ok = call_api(
        "POST", "/signups", form=form, headers={**BROWSER, "referer": "https://www.example.org/events"}
    )
    failed = call_api("POST", "/signups", form={**form, "event_ids": ["nope"]}, headers=BROWSER)

    assert ok.status == 303
    assert ok.headers["location"] == f"{REDIRECT_URL}?result=ok"
    assert failed.status == 303
    location = urlsplit(failed.headers["location"])
    assert parse_qs(location.query) == {"result": ["error"], "code": ["not_found"]}


def test_the_fixture_form_post_is_understood(aws):
    """AWS's own form-post shape (base64 body, repeated event_ids) from tests/fixtures."""
    from pathlib import Path

    from functions.api.handler import lambda_handler
    from infra.testkit.api import LambdaContext

    fixture = Path(__file__).parents[1] / "fixtures" / "apigw-http-api-v2-form-post.json"
    event = json.loads(fixture.read_text())
    ev1 = create_event("First", "2026-12-09T14:00:00")
    ev2 = create_event("Second", "2027-01-13T14:00:00")
    import base64

    body = base64.b64decode(event["body"]).decode().replace("ev1", ev1).replace("ev2", ev2)
    event["body"] = base64.b64encode(body.encode()).decode()

    result = lambda_handler(event, LambdaContext())

    assert result["statusCode"] == 303
    assert sorted(r.event_id for e in (ev1, ev2) for r in registrations(e)) == sorted([ev1, ev2])


def test_once_stored_a_signup_is_answered_as_one_even_when_ses_and_the_queue_both_fail(aws):
    from botocore.exceptions import ClientError

    event_id = create_event()

    class Down:
        def send_email(self, **_kwargs):
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "down"}}, "SendEmail")

        def send_message(self, **_kwargs):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "SendMessage")

    services.override(ses_send=Down(), sqs=Down())
    answer = sign_up([event_id])
    page = call_api(
        "POST",
        "/signups",
        form={
            **person(),
            "email": "bea@example.org",
            "form": "signup_page",
            "event_ids": [event_id],
            "consent": "yes",
        },
        headers=BROWSER,
    )
    services.override()

    assert answer.status == 201
    assert answer.json()["signup"] == {
        "registrations": [{"event_id": event_id, "status": "registered"}],
        "confirmation": "queued",
    }
    assert page.status == 201 and "Thank you" in page.body
    assert len(registrations(event_id)) == 2
    # The confirmation was not marked as sent: repeating the sign-up sends it.
    again = sign_up([event_id])
    assert (again.status, again.json()["signup"]["confirmation"]) == (200, "sent")
    assert [m["To"].addresses[0].addr_spec for m in outbox()] == ["ada@example.org"]
