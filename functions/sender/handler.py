"""SenderFunction: sends the emails waiting on the outbound queue, one SQS batch at a time.

A message that fails (SES throttled or down) is reported as a partial batch failure, so SQS
delivers it again later and only it; after maxReceiveCount it goes to the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock, services

logger = Logger(service="sender")
processor = BatchProcessor(event_type=EventType.SQS)


def send_one(record: SQSRecord) -> None:
    job = json.loads(record.body)
    message_id = services.mailer().process_job(job, clock.now())
    logger.info("queued email handled", extra={"kind": job.get("kind"), "sent": message_id is not None})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=send_one, processor=processor, context=context
    )
