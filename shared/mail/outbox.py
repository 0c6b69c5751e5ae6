"""The one outbox: every job reaches the outbound queue (SQS) through here.

SenderFunction consumes the queue, one message per invocation, and a message that fails comes
back after its visibility timeout; after maxReceiveCount it goes to the dead-letter queue (an
alarm). A job the queue refuses raises Unavailable: callers keep enough state to queue it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import Unavailable
from shared.mail.jobs import Job, job_body

SQS_BATCH_LIMIT = 10


class Outbox:
    def __init__(self, sqs: Callable[[], Any], queue_url: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url

    def put(self, job: Job) -> None:
        try:
            self._sqs().send_message(QueueUrl=self.queue_url, MessageBody=job_body(job))
        except (ClientError, BotoCoreError) as error:
            raise Unavailable() from error

    def put_many(self, jobs: Sequence[Job], *, refused: str = "The queue refused some emails.") -> None:
        """Every job, ten to a request. Raises Unavailable (saying `refused`) if the queue refused
        any of them."""
        for start in range(0, len(jobs), SQS_BATCH_LIMIT):
            entries = [
                {"Id": str(n), "MessageBody": job_body(job)}
                for n, job in enumerate(jobs[start : start + SQS_BATCH_LIMIT])
            ]
            try:
                answer = self._sqs().send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                raise Unavailable() from error
            if answer.get("Failed"):
                raise Unavailable(refused)
