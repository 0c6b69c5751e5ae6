"""SenderFunction: queued emails are rendered again from the table and sent; failures stay queued."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from functions.sender.handler import lambda_handler as sender
from infra.testkit import raw_table
from infra.testkit.api import LambdaContext, outbox
from shared import services
from tests.integration.helpers import create_event, sign_up, text_part


def sqs_event(bodies: list[dict]) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:local-OutboundQueue",
                "awsRegion": "eu-west-2",
            }
            for n, body in enumerate(bodies)
        ]
    }


def test_a_batch_sends_each_job_and_reports_only_the_failures(aws, monkeypatch):
    event_id = create_event()
    sign_up([event_id])
    ada = services.get().person_id_for("ada@example.org")
    real = services.get().client("ses_send")
    calls = {"n": 0}

    class FirstFails:
        def send_email(self, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise ClientError(
                    {"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail"
                )
            return real.send_email(**kwargs)

    services.override(ses_send=FirstFails())
    before = len(outbox())

    result = sender(
        sqs_event(
            [
                {"kind": "manage_link", "person_id": ada},
                {
                    "kind": "confirmation",
                    "person_id": ada,
                    "events": [{"event_id": event_id, "status": "registered"}],
                },
            ]
        ),
        LambdaContext(),
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    (sent,) = outbox()[before:]
    assert "Co-production in a Digital World" in text_part(sent)


def test_a_job_for_someone_erased_or_suppressed_sends_nothing(aws):
    event_id = create_event()
    sign_up([event_id])
    before = len(outbox())
    ada = services.get().person_id_for("ada@example.org")
    raw_table.update_item(
        Key={"PK": {"S": f"PERSON#{ada}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET suppression = :c",
        ExpressionAttributeValues={":c": {"S": "complained"}},
    )

    result = sender(
        sqs_event(
            [{"kind": "manage_link", "person_id": ada}, {"kind": "manage_link", "person_id": "0" * 32}]
        ),
        LambdaContext(),
    )

    assert result == {"batchItemFailures": []}
    assert len(outbox()) == before


def _queued_confirmation(event_id: str) -> dict:
    ada = services.get().person_id_for("ada@example.org")
    return {
        "kind": "confirmation",
        "person_id": ada,
        "events": [{"event_id": event_id, "status": "registered"}],
    }


def test_a_confirmation_queued_before_the_send_moment_and_sent_after_it_carries_the_join_link(aws):
    from datetime import UTC, datetime

    from shared import clock
    from tests.integration.helpers import ZOOM

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])  # on 25 November: the confirmation carries no Zoom details
    clock.freeze(datetime(2026, 12, 9, 7, 30, tzinfo=UTC))  # the send moment (07:00) has passed

    result = sender(sqs_event([_queued_confirmation(event_id)]), LambdaContext())

    assert result == {"batchItemFailures": []}
    text = text_part(outbox()[-1])
    assert "/join/" in text and ZOOM["zoom_passcode"] in text  # the sign-up's own rule for "late"
    registration = services.get().stores.registrations.get(
        event_id, services.get().person_id_for("ada@example.org")
    )
    assert registration.link_sent_for == datetime(2026, 12, 9, 7, 0, tzinfo=UTC)  # counts as sent


def test_a_confirmation_sent_from_the_queue_before_the_send_moment_carries_no_zoom_details(aws):
    from tests.integration.helpers import ZOOM_SECRETS

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])

    sender(sqs_event([_queued_confirmation(event_id)]), LambdaContext())

    text = text_part(outbox()[-1])
    assert not any(secret in text for secret in ZOOM_SECRETS)
    registration = services.get().stores.registrations.get(
        event_id, services.get().person_id_for("ada@example.org")
    )
    assert registration.link_sent_for is None


def test_a_place_offered_from_the_queue_after_the_send_moment_carries_the_join_link_and_counts_as_sent(aws):
    from datetime import UTC, datetime

    from shared import clock
    from tests.integration.helpers import ZOOM

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    ada = services.get().person_id_for("ada@example.org")
    clock.freeze(datetime(2026, 12, 9, 8, 0, tzinfo=UTC))  # after the 07:00 send moment

    result = sender(
        sqs_event([{"kind": "place_offered", "person_id": ada, "event_id": event_id}]), LambdaContext()
    )

    assert result == {"batchItemFailures": []}
    offer = outbox()[-1]
    assert str(offer["Subject"]).startswith("You have a place")
    assert ZOOM["zoom_passcode"] in text_part(offer)
    registration = services.get().stores.registrations.get(event_id, ada)
    assert registration.link_sent_for == datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
