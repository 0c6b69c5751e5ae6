"""SenderFunction: sends what waits on the outbound queue, one job per message.

Every message is a typed job (shared/mail/jobs.py), and one table below maps each kind to the
workflow that completes it: a batch of the morning send, of a change notice or of an admin's
message or follow-up (sent at this instance's share of SES's rate, given back before the
invocation times out), or a single email that could not go at once. A job that fails is reported
as a partial batch failure, so SQS delivers it again later and only it; after maxReceiveCount it
goes to the dead-letter queue.
"""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.people import FailureReason
from shared.mail.jobs import (
    ConfirmationJob,
    Job,
    JoinLinksJob,
    ManageLinkJob,
    MessageJob,
    NoticeJob,
    PlaceOfferedJob,
    read_job,
)
from shared.mail.mailer import Undeliverable
from shared.mail.transport import STOPPING_CODES, SendFailed
from shared.observability import count, logger_for, metrics_for, take_unreadable
from shared.workflows.sending import BatchResult, Deadline, SendingStopped

logger = logger_for("sender")
metrics = metrics_for("sender")
# Every failure is reported per message, even when all of a batch failed: SQS retries just those.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _join_links(job: JoinLinksJob, now: datetime, deadline: Deadline) -> BatchResult:
    return services.get().join_links.send_batch(job, now, deadline)


def _notice(job: NoticeJob, now: datetime, deadline: Deadline) -> BatchResult:
    return services.get().notice_sender.send_batch(job, now, deadline)


def _message(job: MessageJob, now: datetime, deadline: Deadline) -> BatchResult:
    return services.get().bulletin_sender.send_batch(job, now, deadline)


def _confirmation(job: ConfirmationJob, now: datetime, _deadline: Deadline) -> str | None:
    return services.get().signups.complete_confirmation(job, now)


def _manage_link(job: ManageLinkJob, now: datetime, _deadline: Deadline) -> str | None:
    return services.get().registrations.complete_manage_link(job, now)


def _place_offered(job: PlaceOfferedJob, now: datetime, _deadline: Deadline) -> str | None:
    return services.get().registrations.complete_place_offered(job, now)


# The one table from job type to the workflow that completes it.
HANDLERS: dict[type[Any], Callable[[Any, datetime, Deadline], BatchResult | str | None]] = {
    JoinLinksJob: _join_links,
    NoticeJob: _notice,
    MessageJob: _message,
    ConfirmationJob: _confirmation,
    ManageLinkJob: _manage_link,
    PlaceOfferedJob: _place_offered,
}

# The metric names of each bulk send's batches (`<name>Sent`, `<name>Rejected`).
BATCH_METRICS: dict[type[Any], str] = {
    JoinLinksJob: "JoinLinks",
    NoticeJob: "Notices",
    MessageJob: "Messages",
}

_context: LambdaContext | None = None


def _deadline() -> Deadline:
    context = _context
    if context is None:
        return Deadline()
    return Deadline(lambda: context.get_remaining_time_in_millis() / 1000)


def _note_failure(job: Job, reason: FailureReason) -> None:
    registrations, now = services.get().registrations, clock.now()
    if isinstance(job, ConfirmationJob):
        events = [entry.event_id for entry in job.events]
        registrations.note_failure(job.person_id, events, "confirmation", reason, now)
    elif isinstance(job, PlaceOfferedJob):
        registrations.note_failure(job.person_id, [job.event_id], "place_offered", reason, now)


def handle(job: Job) -> None:
    try:
        outcome = HANDLERS[type(job)](job, clock.now(), _deadline())
    except SendingStopped as stopped:
        from shared.sms.transport import SYSTEMIC_CODES as SMS_SETUP_CODES

        # SES paused or out of quota, or SNS refusing every text for the setup's fault (no grant,
        # a sender ID or origination number refused, the SMS KMS key): no retry mends it alone.
        if stopped.code in STOPPING_CODES or stopped.code in SMS_SETUP_CODES:
            count(metrics, "SendingStopped")
        logger.warning("sending stopped; the batch stays queued", extra={"ses_code": stopped.code})
        raise
    except SendFailed:
        if not isinstance(job, JoinLinksJob | NoticeJob | MessageJob):
            count(metrics, "EmailsFailed")  # a single email, retried by the queue
        raise
    except Undeliverable as failure:
        # It can never go to this person: mark them failed; the message is done, not retried.
        _note_failure(job, failure.reason)
        count(metrics, "RecipientsFailed")
        logger.warning(
            "an email cannot go to its recipient", extra={"kind": job.kind, "reason": failure.reason}
        )
        return
    if isinstance(outcome, BatchResult):
        batch = (
            "JoinLinks"
            if isinstance(job, JoinLinksJob)
            else "Notices"
            if isinstance(job, NoticeJob)
            else "Messages"
        )
        count(metrics, f"{batch}Sent", outcome.sent)
        if outcome.rejected:
            count(metrics, f"{batch}Rejected", outcome.rejected)
            count(metrics, "RecipientsFailed", outcome.rejected)
        extra = {
            "kind": job.kind,
            "sent": outcome.sent,
            "skipped": outcome.skipped,
            "rejected": outcome.rejected,
        }
        if outcome.texts is not None:
            count(metrics, "TextsSent", outcome.texts.sent)
            if outcome.texts.rejected:
                count(metrics, "TextsRejected", outcome.texts.rejected)
                count(metrics, "RecipientsFailed", outcome.texts.rejected)
            extra.update(texts_sent=outcome.texts.sent, texts_rejected=outcome.texts.rejected)
        logger.info("batch sent", extra=extra)
        return
    if outcome is not None:
        count(metrics, "EmailsSent")
    logger.info("queued email handled", extra={"kind": job.kind, "sent": outcome is not None})


def send_one(record: SQSRecord) -> None:
    handle(read_job(record.body))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: JsonObject, context: LambdaContext) -> PartialItemFailureResponse:
    global _context
    _context = context  # one invocation at a time per execution environment
    try:
        return process_partial_response(
            event=event, record_handler=send_one, processor=processor, context=context
        )
    finally:
        if unreadable := take_unreadable():
            count(metrics, "UnreadableRecords", unreadable)


cold_start.end()
