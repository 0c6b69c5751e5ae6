"""The morning send driven as Lambda drives it: registrants in bulk, the scheduler's invocation,
the SQS event source feeding SenderFunction. Used by the morning-send tests and `bench.morning`.
Registrants are written through `infra.testkit.raw_table`, the one place that knows the keys."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from infra.testkit import REGION, raw_table
from infra.testkit.api import LambdaContext, outbox_headers
from shared import services
from shared.domain.models import RegistrationStatus, Role
from shared.domain.people import Person, Registration


class Crash(BaseException):
    """The process dies: not an Exception, so nothing in the function catches it."""


def add_registrants(event_id: str, count: int, *, prefix: str = "person", now: datetime) -> list[str]:
    """Registrations written straight into the table (the sign-up path has its own tests)."""
    event = services.get().stores.events.get(event_id)
    assert event is not None
    addresses = [f"{prefix}{n}@example.org" for n in range(count)]
    ids = {address: services.get().person_id_for(address) for address in addresses}
    raw_table.put_people(
        Person(person_id=ids[address], email=address, name=f"Person {address.split('@')[0]}", role=Role.other)
        for address in addresses
    )
    raw_table.put_registrations(
        Registration(
            event_id=event_id,
            person_id=ids[address],
            role=Role.other,
            status=RegistrationStatus.registered,
            registered_at=now,
        )
        for address in addresses
    )
    raw_table.update_item(
        Key=raw_table.event_key(event_id),
        UpdateExpression="ADD registered_count :n",
        ExpressionAttributeValues={":n": {"N": str(count)}},
    )
    return addresses


def run_dispatch(scheduled_time: str | None = None) -> dict[str, Any]:
    from functions.dispatch.handler import lambda_handler

    event = {"scheduled_time": scheduled_time} if scheduled_time else {}
    return lambda_handler(event, LambdaContext())


_in_flight: dict[str, str] = {}  # message id -> receipt handle, received and not deleted


def pump(stack: Any, *, visible_again: bool = False, max_rounds: int = 500) -> int:
    """Deliver the outbound queue to SenderFunction as Lambda's event source mapping would:
    batches of up to 10, delete what succeeded, leave the failures. Returns messages handled.
    `visible_again` first lets every message received earlier and not deleted come back, as it
    does when its visibility timeout has passed (a crash, a reported failure)."""
    from functions.sender.handler import lambda_handler as sender

    sqs = services.get().client("sqs")
    queue_url = stack.physical["OutboundQueue"]
    if visible_again:
        make_all_visible(stack)
    handled = 0
    for _ in range(max_rounds):
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            return handled
        for message in received:
            _in_flight[message["MessageId"]] = message["ReceiptHandle"]
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": stack.arns["OutboundQueue"],
                "awsRegion": REGION,
            }
            for m in received
        ]
        answer = sender({"Records": records}, LambdaContext())
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for message in received:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                _in_flight.pop(message["MessageId"], None)
        handled += len(received) - len(failed)
        if failed and len(failed) == len(received):
            return handled  # nothing moves until their visibility timeout passes
    raise AssertionError("the queue did not drain")


def make_all_visible(stack: Any) -> None:
    sqs = services.get().client("sqs")
    for receipt in _in_flight.values():
        sqs.change_message_visibility(
            QueueUrl=stack.physical["OutboundQueue"], ReceiptHandle=receipt, VisibilityTimeout=0
        )
    _in_flight.clear()


def queued_messages(stack: Any) -> int:
    attributes = (
        services.get()
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=stack.physical["OutboundQueue"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    )
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def join_emails_by_recipient() -> Counter[str]:
    """Join-link emails SES accepted, per recipient (from their Subject and To headers)."""
    counts: Counter[str] = Counter()
    for message in outbox_headers():
        if (
            "join" in str(message.get("Subject", "")).lower()
            or "zoom link" in str(message.get("Subject", "")).lower()
        ):
            counts[message["To"].addresses[0].addr_spec] += 1
    return counts


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


def job_bodies(stack: Any) -> list[dict[str, Any]]:
    sqs = services.get().client("sqs")
    received = sqs.receive_message(
        QueueUrl=stack.physical["OutboundQueue"], MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(m["Body"]) for m in received]
