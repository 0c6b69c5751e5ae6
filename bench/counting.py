"""Count AWS requests exactly, per (service, operation), with botocore's own event hooks.

Every botocore client created while `RequestCounter.installed()` is active gets two hooks:
`before-call` (once per API call) and `request-created` (once per HTTP attempt, so botocore's
own retries are counted too). Counting only happens inside `recording()`, so set-up traffic
(creating the stack, admin actions) is left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

SERVICE_LABELS = {
    "dynamodb": "DynamoDB",
    "sesv2": "SES",
    "sqs": "SQS",
    "secretsmanager": "Secrets Manager",
    "s3": "S3",
}


@dataclass
class Tally:
    """What one recording window saw: HTTP attempts and API calls per (service, operation)."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    sequence: list[str] = field(default_factory=list)

    def by_service(self, service: str) -> int:
        return sum(n for (svc, _op), n in self.requests.items() if svc == service)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def retries(self) -> int:
        return self.total - sum(self.calls.values())

    def breakdown(self) -> str:
        """`BatchGetItem, TransactWriteItems, SES SendEmail x2` style, in first-seen order."""
        parts = []
        for (service, operation), count in self.requests.items():
            name = (
                operation if service == "dynamodb" else f"{SERVICE_LABELS.get(service, service)} {operation}"
            )
            parts.append(name if count == 1 else f"{name} x{count}")
        return ", ".join(parts) or "none"


class RequestCounter:
    def __init__(self) -> None:
        self._tally: Tally | None = None

    @contextmanager
    def installed(self) -> Iterator[RequestCounter]:
        """Hook every botocore client created from now on (boto3 sessions build them here)."""
        original = botocore.session.Session.create_client
        counter = self

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            counter.attach(client)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original  # type: ignore[method-assign]

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_name

        def on_call(model: Any, **_kwargs: Any) -> None:
            if self._tally is not None:
                self._tally.calls[(service, model.name)] += 1

        def on_request(operation_name: str, **_kwargs: Any) -> None:
            if self._tally is not None:
                self._tally.requests[(service, operation_name)] += 1
                self._tally.sequence.append(f"{SERVICE_LABELS.get(service, service)} {operation_name}")

        client.meta.events.register("before-call", on_call, unique_id=f"bench-call-{id(client)}")
        client.meta.events.register("request-created", on_request, unique_id=f"bench-request-{id(client)}")

    @contextmanager
    def recording(self) -> Iterator[Tally]:
        tally = Tally()
        self._tally = tally
        try:
            yield tally
        finally:
            self._tally = None
