"""The queue pump, in process on moto, with a tiny fake consumer: it does what Lambda's SQS event
source mapping does (faithful event, delete what succeeded, keep reported failures for redelivery
after the visibility timeout, fail the whole batch on an exception or an invalid answer)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.functions import functions_from_template
from infra.local.pump import QueueMapping, QueuePump, failed_message_ids, mappings_from_template
from infra.local.resources import load_template

REGION = "eu-west-2"


class FakeConsumer:
    """Records every event; answers with whatever `answer` returns for it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.delivered = threading.Event()
        self.answer: Any = lambda event: None

    def __call__(self, function_id: str, event: dict[str, Any]) -> Any:
        assert function_id == "SenderFunction"
        self.events.append(event)
        self.delivered.set()
        return self.answer(event)


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    from infra.testkit.plain_moto import plain_moto

    with plain_moto(monkeypatch):
        yield boto3.client("sqs", region_name=REGION)


def make_queue(sqs: Any, *, report: bool = True, batch_size: int = 10) -> QueueMapping:
    url = sqs.create_queue(QueueName="outbound", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueMapping("SenderFunction", url, arn, batch_size=batch_size, report_batch_item_failures=report)


def queued(sqs: Any, mapping: QueueMapping) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=mapping.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def send(sqs: Any, mapping: QueueMapping, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(
            QueueUrl=mapping.queue_url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "confirmation"}},
        )


def test_a_batch_arrives_as_lambdas_sqs_event_and_is_deleted_when_it_succeeds(sqs: Any) -> None:
    # Given two queued messages
    mapping = make_queue(sqs)
    send(sqs, mapping, json.dumps({"n": 1}), json.dumps({"n": 2}))
    consumer = FakeConsumer()
    pump = QueuePump([mapping], consumer, region=REGION, sqs=sqs)
    # When the pump polls once
    delivered = pump.poll_once(mapping, wait_seconds=1)
    # Then one event carried both, shaped as Lambda shapes it
    assert delivered == 2
    (event,) = consumer.events
    assert sorted(json.loads(r["body"])["n"] for r in event["Records"]) == [1, 2]
    record = event["Records"][0]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == mapping.queue_arn
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
        "stringValue": "confirmation",
    }
    # And the queue is empty
    assert queued(sqs, mapping) == (0, 0)


def test_reported_failures_stay_on_the_queue_and_come_back_after_the_visibility_timeout(sqs: Any) -> None:
    mapping = make_queue(sqs)
    send(sqs, mapping, "ok-1", "poison", "ok-2")
    consumer = FakeConsumer()
    consumer.answer = lambda event: {
        "batchItemFailures": [
            {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"
        ]
    }
    pump = QueuePump([mapping], consumer, region=REGION, sqs=sqs)

    assert pump.poll_once(mapping, wait_seconds=1) == 3
    assert queued(sqs, mapping) == (0, 1)  # only the failure is left, in flight

    # The long poll returns once the visibility timeout (1 s) has passed.
    assert pump.poll_once(mapping, wait_seconds=5) == 1
    redelivered = consumer.events[-1]["Records"]
    assert [r["body"] for r in redelivered] == ["poison"]
    assert redelivered[0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_handler_exception_fails_the_whole_batch(sqs: Any) -> None:
    mapping = make_queue(sqs)
    send(sqs, mapping, "a", "b")
    consumer = FakeConsumer()

    def explode(event: dict[str, Any]) -> None:
        raise RuntimeError("SES is down")

    consumer.answer = explode
    logged: list[str] = []
    pump = QueuePump([mapping], consumer, region=REGION, sqs=sqs, log=logged.append)
    assert pump.poll_once(mapping, wait_seconds=1) == 2
    assert queued(sqs, mapping) == (0, 2)
    assert "will retry" in logged[0]


def test_without_report_batch_item_failures_the_answer_is_ignored(sqs: Any) -> None:
    mapping = make_queue(sqs, report=False)
    send(sqs, mapping, "a")
    consumer = FakeConsumer()
    consumer.answer = lambda event: {
        "batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]
    }
    QueuePump([mapping], consumer, region=REGION, sqs=sqs).poll_once(mapping, wait_seconds=1)
    assert queued(sqs, mapping) == (0, 0)


def test_batches_are_no_bigger_than_the_batch_size(sqs: Any) -> None:
    mapping = make_queue(sqs, batch_size=2)
    send(sqs, mapping, "1", "2", "3")
    consumer = FakeConsumer()
    pump = QueuePump([mapping], consumer, region=REGION, sqs=sqs)
    assert pump.poll_once(mapping, wait_seconds=1) == 2
    assert pump.poll_once(mapping, wait_seconds=1) == 1


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"wrongKey": "a"}]}, {"a", "b"}),
        ("not an object", {"a", "b"}),
    ],
)
def test_answers_are_read_as_lambda_documents_partial_batch_responses(answer: Any, failed: set[str]) -> None:
    assert failed_message_ids(answer, ["a", "b"], report_batch_item_failures=True) == failed


def test_a_running_pump_processes_whatever_is_queued_within_seconds(sqs: Any) -> None:
    mapping = make_queue(sqs)
    consumer = FakeConsumer()
    pump = QueuePump([mapping], consumer, region=REGION, sqs=sqs)
    pump.start()
    try:
        send(sqs, mapping, "hello")
        assert consumer.delivered.wait(timeout=10), "the pump did not deliver within 10 s"
        deadline = time.monotonic() + 5
        while queued(sqs, mapping) != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert queued(sqs, mapping) == (0, 0)
    finally:
        pump.stop()


def test_mappings_come_from_the_sqs_events_of_the_template() -> None:
    functions = functions_from_template(load_template())
    physical = {
        "OutboundQueue": "https://sqs.local/outbound",
        "OutboundDeadLetterQueue": "https://sqs.local/dlq",
    }
    arns = {"OutboundQueue": "arn:aws:sqs:eu-west-2:123456789012:outbound"}
    (mapping,) = mappings_from_template(functions, physical, arns)
    assert mapping == QueueMapping(
        function_id="SenderFunction",
        queue_url="https://sqs.local/outbound",
        queue_arn="arn:aws:sqs:eu-west-2:123456789012:outbound",
        batch_size=1,
        report_batch_item_failures=True,
    )
