"""SenderFunction: queued emails are rendered again from the table and sent; failures stay queued."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from functions.sender.handler import lambda_handler as sender
from shared import services
from shared.domain import tokens
from tests.conftest import LambdaContext, outbox
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
    ada = tokens.person_id_for("ada@example.org")
    mailer = services.mailer()
    real = mailer.ses
    calls = {"n": 0}

    class FirstFails:
        def send_email(self, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise ClientError(
                    {"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail"
                )
            return real.send_email(**kwargs)

    monkeypatch.setattr(mailer, "_ses", FirstFails())
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
    ada = tokens.person_id_for("ada@example.org")
    services.repository().update(
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
