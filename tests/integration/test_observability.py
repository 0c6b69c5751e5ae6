"""ApiFunction's metrics (EMF on stdout) and the admins' notice of a sign-up with access needs,
under moto, through the real handler.

The notice goes to AdminNoticesTopic, created in moto from template.yaml; an SQS queue subscribed
to the topic receives exactly what an email subscriber would read. A single notice goes at once
only for an event starting before the next morning's digest, so these sign-ups happen on the
morning of 9 December, after that day's run, for events later that day
(tests/integration/test_notice_digest.py has the digest).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from infra.testkit import REGION
from infra.testkit.api import call_api, outbox
from shared import clock, services
from tests.integration.helpers import create_event, sign_up

NAMESPACE = "CoProductionConversations"
NAME = "Grace Hopper-Personal"
EMAIL = "grace.private@example.org"
ACCESS_NEEDS = "A BSL interpreter and live captions, please"


ON_THE_DAY = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # after 9 December's 07:00 run


@pytest.fixture
def notices(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """ApiFunction's ADMIN_NOTICES_TOPIC_ARN (a function setting, beyond Globals), and a queue
    subscribed to the topic: each message arrives in SNS's envelope (TopicArn, Subject, Message).
    The clock stands at ON_THE_DAY."""
    clock.freeze(ON_THE_DAY)
    topic_arn = aws.physical["AdminNoticesTopic"]
    monkeypatch.setenv("ADMIN_NOTICES_TOPIC_ARN", topic_arn)
    services.reset()
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="admin-notices-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"}
    )

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def emf_records(captured: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format lines among what the handler printed."""
    records = []
    for line in captured.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            records.append(record)
    return records


def metric_values(records: list[dict[str, Any]]) -> dict[str, float]:
    """Metric name -> total of its values, over every EMF record."""
    totals: dict[str, float] = {}
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                values = value if isinstance(value, list) else [value]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(values)
    return totals


def signed_up(event_ids: list[str], **fields: Any) -> Any:
    return sign_up(event_ids, name=NAME, email=EMAIL, **fields)


# --- Metrics ------------------------------------------------------------------------------------


def test_a_sign_up_emits_sign_ups_and_emails_sent_in_the_apis_namespace(aws, capsys):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    capsys.readouterr()

    answer = signed_up([first, second])

    assert answer.status == 201
    records = emf_records(capsys.readouterr().out)
    (record,) = records  # one EMF line per invocation
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["service"]]
    assert record["service"] == "api"
    assert metric_values(records) == {"SignUps": 2, "EmailsSent": 1}
    assert EMAIL not in json.dumps(record) and NAME not in json.dumps(record)


def test_a_repeat_registers_nothing_new_and_sends_nothing(aws, capsys):
    event_id = create_event()
    signed_up([event_id])
    capsys.readouterr()

    signed_up([event_id])

    assert metric_values(emf_records(capsys.readouterr().out)) == {"SignUps": 0}


def test_a_refused_sign_up_counts_once_with_no_dimension_but_the_service(aws, capsys):
    event_id = create_event()
    capsys.readouterr()

    invalid = sign_up([event_id], consent=False)
    unknown = sign_up(["no-such-event"])
    malformed = call_api("POST", "/signups", raw_body="{", headers={"content-type": "application/json"})

    assert (invalid.status, unknown.status, malformed.status) == (422, 404, 422)
    records = emf_records(capsys.readouterr().out)
    assert metric_values(records) == {"SignUpsRefused": 3}
    for record in records:
        assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
        assert set(record) == {"_aws", "service", "SignUpsRefused"}


def test_a_confirmation_that_could_not_go_at_once_counts_as_queued(aws, capsys, monkeypatch):
    from botocore.exceptions import ClientError

    event_id = create_event()

    class FailingSes:
        def send_email(self, **_kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow"}}, "SendEmail")

    services.override(ses_send=FailingSes())
    capsys.readouterr()

    answer = signed_up([event_id])

    assert answer.json()["signup"]["confirmation"] == "queued"
    assert metric_values(emf_records(capsys.readouterr().out)) == {"SignUps": 1, "EmailsQueued": 1}


def test_only_the_first_open_of_a_join_link_counts(aws, capsys):
    import icalendar

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    signed_up([event_id])
    (part,) = [p for p in outbox()[0].iter_attachments() if p.get_content_type() == "text/calendar"]
    token = str(icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]["URL"]).rsplit(
        "/join/", 1
    )[1]
    too_early = call_api("GET", f"/join/{token}")
    clock.freeze(datetime(2026, 12, 9, 7, 0, tzinfo=UTC))
    capsys.readouterr()

    first = call_api("GET", f"/join/{token}")
    again = call_api("GET", f"/join/{token}")

    assert too_early.status == 200
    assert (first.status, again.status) == (302, 302)
    assert metric_values(emf_records(capsys.readouterr().out)) == {"LinksOpened": 1}


# --- Admins' notice of access needs -------------------------------------------------------------


def test_a_sign_up_with_access_needs_and_consent_tells_the_admins_once_without_personal_data(aws, notices):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2026-12-09T18:30:00")

    answer = signed_up(
        [first, second],
        organisation="Sunrise Housing Trust",
        access_needs=ACCESS_NEEDS,
        access_needs_consent=True,
    )

    assert answer.status == 201
    (notice,) = notices()
    text = json.dumps(notice)
    assert notice["TopicArn"] == aws.physical["AdminNoticesTopic"]
    assert notice["Message"] == (
        "A new sign-up for “Co-production in a Digital World” on Wednesday 9 December 2026 and "
        "“When to re-balance the power?” on Wednesday 9 December 2026 includes access needs. "
        f"See list_registrations for {first} and {second}."
    )
    for personal in (NAME, "Grace", EMAIL, "grace.private", "Sunrise", "BSL", "captions", ACCESS_NEEDS):
        assert personal not in text, personal


def test_only_the_events_newly_signed_up_for_are_named(aws, notices):
    known = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    signed_up([known])
    fresh = create_event("When to re-balance the power?", "2026-12-09T18:30:00")

    signed_up([known, fresh], access_needs=ACCESS_NEEDS, access_needs_consent=True)

    (notice,) = notices()
    assert fresh in notice["Message"] and known not in notice["Message"]


@pytest.mark.parametrize(
    "fields",
    [
        {"access_needs": ACCESS_NEEDS, "access_needs_consent": False},
        {"access_needs": ACCESS_NEEDS},
        {"access_needs": "", "access_needs_consent": True},
        {},
    ],
    ids=["no-consent", "consent-missing", "no-needs", "neither"],
)
def test_without_access_needs_kept_nothing_is_published(aws, notices, fields):
    event_id = create_event()

    answer = signed_up([event_id], **fields)

    assert answer.status == 201
    assert notices() == []


def test_a_repeat_or_a_robot_tells_the_admins_nothing(aws, notices):
    event_id = create_event()
    signed_up([event_id], access_needs=ACCESS_NEEDS, access_needs_consent=True)
    notices()

    repeat = signed_up([event_id], access_needs=ACCESS_NEEDS, access_needs_consent=True)
    robot = signed_up([event_id], access_needs=ACCESS_NEEDS, access_needs_consent=True, website="spam")

    assert (repeat.status, robot.status) == (200, 200)  # the robot is answered as that repeat would be
    assert notices() == []


def test_a_failure_to_publish_never_fails_the_sign_up_and_logs_only_its_type(
    aws, notices, monkeypatch, caplog
):
    from botocore.exceptions import ClientError

    event_id = create_event()

    def refuse(**_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": EMAIL}}, "Publish")

    # The very client the admin notices use.
    monkeypatch.setattr(services.get().client("sns"), "publish", refuse)

    answer = signed_up([event_id], access_needs=ACCESS_NEEDS, access_needs_consent=True)

    assert answer.status == 201
    assert answer.json()["signup"]["registrations"] == [{"event_id": event_id, "status": "registered"}]
    assert services.get().stores.registrations.of_event(event_id)[0].access_needs == ACCESS_NEEDS
    assert len(outbox()) == 1
    assert notices() == []
    (record,) = [r for r in caplog.records if r.getMessage() == "admin notice not published"]
    assert record.error_type == "ClientError"  # type: ignore[attr-defined]
    assert EMAIL not in caplog.text and ACCESS_NEEDS not in caplog.text
    for logged in caplog.records:
        assert EMAIL not in json.dumps(logged.__dict__, default=str)


def test_a_notice_is_skipped_rather_than_risk_the_sign_ups_answer(aws, notices):
    event = services.get().stores.events.get(create_event())

    sent = services.get().admin_notices.access_needs([event], remaining_ms=2_000)

    assert sent is False
    assert notices() == []


def test_without_a_topic_configured_nothing_is_published(aws, notices, monkeypatch):
    monkeypatch.delenv("ADMIN_NOTICES_TOPIC_ARN")
    services.reset()
    event_id = create_event()

    answer = signed_up([event_id], access_needs=ACCESS_NEEDS, access_needs_consent=True)

    assert answer.status == 201
    assert notices() == []
