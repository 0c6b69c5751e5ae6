"""SesEventsFunction under moto, with SES's real EventBridge payloads (tests/fixtures): permanent
bounces and complaints suppress an address, transient bounces do not, and no log names anyone."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from infra.testkit import FIXED_NOW, raw_table
from infra.testkit.api import LambdaContext, call_api, outbox
from shared import clock, services
from shared.domain.errors import Unavailable
from shared.domain.models import SUPPRESSION_RANK, Suppression
from tests.integration.helpers import create_event, sign_up

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ADDRESS = "recipient@example.com"  # the address in the fixtures


def ses_event(name: str, address: str | None = None) -> dict[str, Any]:
    """A fixture payload, optionally naming another recipient everywhere it names one."""
    event: dict[str, Any] = json.loads((FIXTURES / f"ses-eventbridge-{name}.json").read_text())
    if address is not None:
        event = json.loads(json.dumps(event).replace(ADDRESS, address))
    return event


def handle(event: Any) -> dict[str, Any]:
    from functions.ses_events.handler import lambda_handler

    return lambda_handler(copy.deepcopy(event), LambdaContext())


def profile_item(address: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        raw_table.client()
        .get_item(TableName=raw_table.name(), Key=raw_table.person_key(services.get().person_id_for(address)))
        .get("Item")
    )
    return item


def suppression_of(address: str) -> Suppression | None:
    """What a sign-up with this address sees: the profile's suppression, or the hash-only
    marker's where that is higher (an unknown address has the marker alone)."""
    person_id = services.get().person_id_for(address)
    person = services.get().stores.people.get(person_id)
    marker = services.get().stores.people.marker(person_id)
    levels = [person.suppression if person else None, Suppression(marker["suppression"]) if marker else None]
    return max((s for s in levels if s), key=SUPPRESSION_RANK.__getitem__, default=None)


def marker_item(address: str) -> dict[str, Any] | None:
    return raw_table.get_item(raw_table.marker_key(services.get().person_id_for(address)))


def unsubscribe(address: str) -> None:
    url = services.get().links.unsubscribe(services.get().person_id_for(address), clock.now())
    parts = urlsplit(url)
    answer = call_api("POST", parts.path, query={"token": parts.query.removeprefix("token=")})
    assert answer.status == 200, answer.body


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        # Every attribute of every record, extras included, as a JSON formatter would see them.
        return "\n".join(
            record.getMessage() + " " + json.dumps(record.__dict__, default=str) for record in self.records
        )


@contextmanager
def every_log_record() -> Iterator[_Records]:
    """Every record any logger emits, ours at DEBUG (the most they could ever say)."""
    handler = _Records()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.name in ("ses_events", "repository") or lg.name.startswith(("functions", "shared")):
            lg.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)


# --- permanent bounces -------------------------------------------------------------------------------


def test_given_a_registered_person_when_their_address_bounces_permanently_then_they_are_not_emailed(
    aws,
):
    first = create_event("First", "2026-12-09T14:00:00")
    second = create_event("Second", "2027-01-13T14:00:00")
    assert sign_up([first], email=ADDRESS).json()["signup"]["confirmation"] == "sent"

    answer = handle(ses_event("bounce-permanent"))

    assert answer == {"suppressed": 1, "ignored": 0}
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert profile_item(ADDRESS)["suppressed_at"] == {"S": "2026-11-25T10:00:00Z"}
    again = sign_up([second], email=ADDRESS)
    assert again.status == 201
    assert again.json()["signup"]["confirmation"] == "suppressed"
    assert len(outbox()) == 1  # the first confirmation only


def test_given_an_unknown_address_when_it_bounces_then_a_hash_only_marker_suppresses_a_later_signup(
    aws,
):
    event_id = create_event()

    answer = handle(ses_event("bounce-permanent"))

    assert answer == {"suppressed": 1, "ignored": 0}
    assert profile_item(ADDRESS) is None
    person_id = services.get().person_id_for(ADDRESS)
    assert raw_table.get_item(raw_table.marker_key(person_id)) == {
        "PK": f"PERSON#{person_id}",
        "SK": "SUPPRESSION",
        "suppression": "bounced",
        "suppressed_at": "2026-11-25T10:00:00Z",
    }
    signup = call_api(
        "POST",
        "/signups",
        json_body={
            "name": "Rita Recipient",
            "email": ADDRESS,
            "role": "frontline_staff",
            "event_ids": [event_id],
            "consent": True,
        },
    )
    assert signup.status == 201
    assert signup.json() == {
        "signup": {
            "registrations": [{"event_id": event_id, "status": "registered"}],
            "confirmation": "suppressed",
        }
    }
    assert outbox() == []
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert len(services.get().stores.registrations.of_event(event_id)) == 1


def test_given_the_address_in_mixed_case_when_it_bounces_then_the_same_person_is_suppressed(aws):
    event_id = create_event()
    sign_up([event_id], email=ADDRESS)

    answer = handle(ses_event("bounce-permanent", address="Recipient@Example.COM"))

    assert answer == {"suppressed": 1, "ignored": 0}
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert profile_item(ADDRESS)["email"] == {"S": ADDRESS}  # the one profile, not a second


def test_given_one_bounce_naming_several_recipients_when_handled_then_each_is_suppressed(aws):
    event = ses_event("bounce-permanent")
    event["detail"]["bounce"]["bouncedRecipients"].append(
        {**event["detail"]["bounce"]["bouncedRecipients"][0], "emailAddress": "second@example.net"}
    )

    answer = handle(event)

    assert answer == {"suppressed": 2, "ignored": 0}
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert suppression_of("second@example.net") is Suppression.bounced


# --- transient bounces -----------------------------------------------------------------------------


@pytest.mark.parametrize("bounce_type", ["Transient", "Undetermined"])
def test_given_a_bounce_that_is_not_permanent_when_handled_then_nothing_changes(aws, bounce_type):
    event_id = create_event()
    sign_up([event_id], email=ADDRESS)
    event = ses_event("bounce-transient")
    event["detail"]["bounce"]["bounceType"] = bounce_type
    before = profile_item(ADDRESS)

    answer = handle(event)

    assert answer == {"suppressed": 0, "ignored": 1}
    assert profile_item(ADDRESS) == before
    assert suppression_of(ADDRESS) is None


def test_given_an_address_unknown_to_us_when_it_bounces_transiently_then_no_profile_is_made(aws):
    assert handle(ses_event("bounce-transient")) == {"suppressed": 0, "ignored": 1}

    assert profile_item(ADDRESS) is None


# --- complaints ------------------------------------------------------------------------------------


def test_given_a_registered_person_when_they_complain_then_they_are_suppressed_as_complained(aws):
    first = create_event("First", "2026-12-09T14:00:00")
    second = create_event("Second", "2027-01-13T14:00:00")
    sign_up([first], email=ADDRESS)

    answer = handle(ses_event("complaint"))

    assert answer == {"suppressed": 1, "ignored": 0}
    assert suppression_of(ADDRESS) is Suppression.complained
    assert sign_up([second], email=ADDRESS).json()["signup"]["confirmation"] == "suppressed"
    assert len(outbox()) == 1


def test_given_a_complaint_when_a_bounce_follows_then_the_person_stays_complained(aws):
    handle(ses_event("complaint"))
    complained_at = (marker_item(ADDRESS) or {})["suppressed_at"]
    clock.freeze(FIXED_NOW + timedelta(hours=2))

    answer = handle(ses_event("bounce-permanent"))

    assert answer == {"suppressed": 1, "ignored": 0}  # suppressed: already, and more strongly
    assert suppression_of(ADDRESS) is Suppression.complained
    assert (marker_item(ADDRESS) or {})["suppressed_at"] == complained_at


def test_given_a_bounce_when_a_complaint_follows_then_the_person_becomes_complained(aws):
    handle(ses_event("bounce-permanent"))

    handle(ses_event("complaint"))

    assert suppression_of(ADDRESS) is Suppression.complained


def test_given_a_complained_person_when_they_unsubscribe_then_they_stay_complained(aws):
    event_id = create_event()
    sign_up([event_id], email=ADDRESS)
    handle(ses_event("complaint"))

    unsubscribe(ADDRESS)

    assert suppression_of(ADDRESS) is Suppression.complained


# --- unsubscribed people -----------------------------------------------------------------------------


def test_given_an_unsubscribed_person_when_their_address_bounces_then_they_become_bounced_and_stay_so(
    aws,
):
    first = create_event("First", "2026-12-09T14:00:00")
    second = create_event("Second", "2027-01-13T14:00:00")
    sign_up([first], email=ADDRESS)
    unsubscribe(ADDRESS)
    assert suppression_of(ADDRESS) is Suppression.unsubscribed

    answer = handle(ses_event("bounce-permanent"))

    assert answer == {"suppressed": 1, "ignored": 0}
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert sign_up([second], email=ADDRESS).json()["signup"]["confirmation"] == "suppressed"
    assert suppression_of(ADDRESS) is Suppression.bounced
    assert len(outbox()) == 1


# --- delivery twice, malformed events, failures --------------------------------------------------


@pytest.mark.parametrize("name", ["bounce-permanent", "complaint"])
def test_given_the_same_event_twice_when_handled_then_the_second_is_harmless(aws, name):
    event_id = create_event()
    sign_up([event_id], email=ADDRESS)
    first = handle(ses_event(name))
    after_first = profile_item(ADDRESS)
    clock.freeze(FIXED_NOW + timedelta(minutes=5))

    second = handle(ses_event(name))

    assert first == second == {"suppressed": 1, "ignored": 0}
    assert profile_item(ADDRESS) == after_first


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty"),
        pytest.param({"detail-type": "Email Bounced", "source": "aws.ses"}, id="no-detail"),
        pytest.param(
            {
                "detail-type": "Email Bounced",
                "detail": {"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}},
            },
            id="no-recipients",
        ),
        pytest.param(
            {"detail-type": "Email Complaint Received", "detail": {"eventType": "Complaint"}},
            id="no-complaint",
        ),
    ],
)
def test_given_a_malformed_event_when_handled_then_it_is_answered_without_raising_and_nothing_is_written(
    aws, event
):
    answer = handle(event)

    assert answer == {"suppressed": 0, "ignored": 0}
    people = raw_table.scan(
        FilterExpression="begins_with(PK, :person)",
        ExpressionAttributeValues={":person": {"S": "PERSON#"}},
    )
    assert people == []


def test_given_another_ses_event_type_when_handled_then_nothing_changes(aws):
    event = ses_event("bounce-permanent")
    event["detail-type"] = "Email Delivered"
    event["detail"]["eventType"] = "Delivery"

    assert handle(event) == {"suppressed": 0, "ignored": 0}
    assert profile_item(ADDRESS) is None


class _FailingDynamoDB:
    """DynamoDB failing, with an error message that quotes the request, as real ones can."""

    def update_item(self, **_kwargs: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "InternalServerError", "Message": f"failed writing {ADDRESS}"}}, "UpdateItem"
        )


def test_given_dynamodb_failing_when_a_bounce_arrives_then_the_function_raises_so_the_event_is_retried(
    aws, monkeypatch
):
    services.override(dynamodb=_FailingDynamoDB())

    with pytest.raises(Unavailable):
        handle(ses_event("bounce-permanent"))


def test_given_bounces_complaints_bad_events_and_a_failure_when_handled_then_no_log_names_the_address(
    aws, monkeypatch, capsys
):
    mixed = "Recipient@Example.COM"
    event_id = create_event()
    sign_up([event_id], email=ADDRESS)

    with every_log_record() as logs:
        handle(ses_event("bounce-transient", address=mixed))
        handle(ses_event("bounce-permanent", address=mixed))
        handle(ses_event("complaint", address=mixed))
        broken = ses_event("complaint", address=mixed)
        broken["detail-type"] = "Email Bounced"
        handle(broken)
        services.override(dynamodb=_FailingDynamoDB())
        with pytest.raises(Unavailable):
            handle(ses_event("bounce-permanent", address="another.person@example.org"))

    captured = capsys.readouterr()
    text = logs.text() + captured.out + captured.err
    assert "ses event handled" in text and "malformed ses event ignored" in text  # the capture saw our lines
    assert '"bounce_type": "Permanent"' in text or "'bounce_type': 'Permanent'" in text
    for secret in (
        ADDRESS,
        "recipient@",
        "example.com",
        "another.person",
        services.get().person_id_for(ADDRESS),
    ):
        assert secret.lower() not in text.lower(), f"{secret!r} leaked"
