"""The queue pump: Lambda's SQS event source mappings, run locally.

For every `Type: SQS` event of a function in template.yaml, a thread long-polls the queue (short
waits, so it stops promptly), hands each batch (up to `BatchSize`) to the function as the event
Lambda would build, and then does what the event source mapping does with the answer:
- the handler returns normally: every record is deleted, except, when the function declares
  `FunctionResponseTypes: [ReportBatchItemFailures]`, those named in `batchItemFailures`;
- a `batchItemFailures` entry without a valid `itemIdentifier` of this batch, or an answer that is
  not an object, fails the whole batch (as Lambda documents);
- the handler raises: nothing is deleted.
Records not deleted come back after the queue's visibility timeout (moto honours it), and a
redrive policy's `maxReceiveCount` moves them to the dead-letter queue, as in AWS.
`MaximumBatchingWindowInSeconds`, `ScalingConfig` and `FilterCriteria` are not emulated: a batch is
delivered as soon as it is received.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.local.functions import FunctionSpec

MAX_RECEIVE = 10  # SQS's own limit per ReceiveMessage


@dataclass(frozen=True)
class QueueMapping:
    function_id: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    report_batch_item_failures: bool = False


def _queue_logical_id(reference: Any, arns: dict[str, str]) -> str | None:
    if isinstance(reference, dict):
        if "Fn::GetAtt" in reference:
            return str(reference["Fn::GetAtt"][0])
        if "Ref" in reference:
            return str(reference["Ref"])
    if isinstance(reference, str):
        return next((logical for logical, arn in arns.items() if arn == reference), None)
    return None


def mappings_from_template(
    functions: dict[str, FunctionSpec], physical: dict[str, str], arns: dict[str, str]
) -> list[QueueMapping]:
    """One mapping per enabled SQS event of each function, resolved to the queues moto created."""
    mappings = []
    for spec in functions.values():
        for source in spec.events_of_type("SQS"):
            props = source.properties
            if props.get("Enabled") is False:
                continue
            logical = _queue_logical_id(props.get("Queue"), arns)
            if logical is None or logical not in physical:
                raise LookupError(
                    f"{spec.logical_id}.{source.name}: the local stack has no queue {props.get('Queue')!r}"
                )
            mappings.append(
                QueueMapping(
                    function_id=spec.logical_id,
                    queue_url=physical[logical],
                    queue_arn=arns[logical],
                    batch_size=int(props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (props.get("FunctionResponseTypes") or []),
                )
            )
    return mappings


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return converted


def sqs_record(message: dict[str, Any], mapping: QueueMapping, region: str) -> dict[str, Any]:
    """One record of the event Lambda sends an SQS-triggered function."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": mapping.queue_arn, "awsRegion": region})
    return record


def failed_message_ids(result: Any, batch_ids: list[str], *, report_batch_item_failures: bool) -> set[str]:
    """Which records of a batch Lambda would keep on the queue, given the handler's answer."""
    if not report_batch_item_failures:
        return set()
    if result is None or result == {}:
        return set()
    if not isinstance(result, dict):
        return set(batch_ids)
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        failed.add(identifier)
    return failed


class QueuePump:
    """Polls every mapped queue on its own thread and delivers batches through `invoke`."""

    def __init__(
        self,
        mappings: list[QueueMapping],
        invoke: Callable[[str, dict[str, Any]], Any],
        *,
        region: str,
        sqs: Any = None,
        wait_seconds: int = 1,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.mappings = mappings
        self.invoke = invoke
        self.region = region
        self.wait_seconds = wait_seconds
        self._sqs = sqs
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client("sqs", region_name=self.region)
        return self._sqs

    def start(self) -> None:
        self.sqs  # noqa: B018 - create the client once, before the threads share it
        for mapping in self.mappings:
            thread = threading.Thread(
                target=self._run, args=(mapping,), name=f"pump-{mapping.function_id}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    def _run(self, mapping: QueueMapping) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(mapping)
            except Exception as error:
                if self._stop.is_set():
                    return
                self._log(f"pump: {mapping.function_id}: {type(error).__name__}: {error}")
                self._stop.wait(1)

    def receive(self, mapping: QueueMapping, wait_seconds: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        wait = wait_seconds
        while len(messages) < mapping.batch_size:
            wanted = min(MAX_RECEIVE, mapping.batch_size - len(messages))
            received = self.sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if len(received) < wanted:
                break
            wait = 0
        return messages

    def poll_once(self, mapping: QueueMapping, wait_seconds: int | None = None) -> int:
        """Receive one batch, deliver it, delete what succeeded. Returns how many records were delivered."""
        messages = self.receive(mapping, self.wait_seconds if wait_seconds is None else wait_seconds)
        if not messages:
            return 0
        records = [sqs_record(message, mapping, self.region) for message in messages]
        batch_ids = [record["messageId"] for record in records]
        try:
            result = self.invoke(mapping.function_id, {"Records": records})
        except Exception as error:
            self._log(f"pump: {mapping.function_id} failed on {len(records)} record(s): {error}; will retry")
            return len(records)
        failed = failed_message_ids(
            result, batch_ids, report_batch_item_failures=mapping.report_batch_item_failures
        )
        done = [record for record in records if record["messageId"] not in failed]
        for start in range(0, len(done), MAX_RECEIVE):
            self.sqs.delete_message_batch(
                QueueUrl=mapping.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": record["receiptHandle"]}
                    for n, record in enumerate(done[start : start + MAX_RECEIVE])
                ],
            )
        if failed:
            self._log(
                f"pump: {mapping.function_id} reported {len(failed)} of {len(records)} record(s) failed; "
                "they will be retried"
            )
        return len(records)
