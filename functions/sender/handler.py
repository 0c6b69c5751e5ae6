"""SenderFunction: sends the emails waiting on the outbound queue, one SQS batch at a time.

Three kinds of message: a morning-send batch (`join_links`: one batch item of up to 100 people,
sent at this instance's share of SES's rate), a batch of change or cancellation notices
(`notice`, shared/notices.py, sent the same way) and a single email that could not go at once
(confirmation, manage link, place offered). A message that fails is reported as a partial batch
failure, so SQS delivers it again later and only it; after maxReceiveCount it goes to the
dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock, services
from shared.mail.mailer import SendFailed
from shared.workflows import notices
from shared.workflows.morning_send import STOPPING_CODES, SendingStopped

logger = Logger(service="sender")
metrics = Metrics(service="sender")
# Every failure is reported per message, even when all of a batch failed: SQS retries just those.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


_context: LambdaContext | None = None


def _remaining_seconds() -> float:
    return _context.get_remaining_time_in_millis() / 1000 if _context is not None else float("inf")


def send_one(record: SQSRecord) -> None:
    job = json.loads(record.body)
    if job.get("kind") in ("join_links", notices.JOB_KIND):
        batches = services.link_sender() if job["kind"] == "join_links" else notices.sender()
        try:
            result = batches.send_batch(job, clock.now(), _remaining_seconds)
        except SendingStopped as stopped:
            if stopped.code in STOPPING_CODES:
                metrics.add_metric(name="SendingStopped", unit=MetricUnit.Count, value=1)
            logger.warning("sending stopped; the batch stays queued", extra={"ses_code": stopped.code})
            raise
        name = "JoinLinks" if job["kind"] == "join_links" else "Notices"
        metrics.add_metric(name=f"{name}Sent", unit=MetricUnit.Count, value=result.sent)
        if result.rejected:
            metrics.add_metric(name=f"{name}Rejected", unit=MetricUnit.Count, value=result.rejected)
        logger.info(
            "join links batch" if job["kind"] == "join_links" else "notices batch",
            extra={"sent": result.sent, "skipped": result.skipped, "rejected": result.rejected},
        )
        return
    try:
        message_id = services.mailer().process_job(job, clock.now())
    except SendFailed:
        metrics.add_metric(name="EmailsFailed", unit=MetricUnit.Count, value=1)
        raise
    if message_id is not None:
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    logger.info("queued email handled", extra={"kind": job.get("kind"), "sent": message_id is not None})


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    global _context
    _context = context  # one invocation at a time per execution environment
    return process_partial_response(
        event=event, record_handler=send_one, processor=processor, context=context
    )
