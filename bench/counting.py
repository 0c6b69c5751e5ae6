"""Count AWS requests exactly, per (service, operation), with botocore's own event hooks.

Every botocore client created while `RequestCounter.installed()` is active gets two hooks:
`before-call` (once per API call) and `request-created` (once per HTTP attempt, so botocore's
own retries are counted too). Counting only happens inside `recording()`, so set-up traffic
(creating the stack, admin actions) is left out. Counting is thread-safe (several consumers may
share one window); each (service, operation) also keeps the time of its first and last attempt,
and an optional `classify(service, operation, params)` names what each API call was for.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
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
    "sns": "SNS",
}


@dataclass
class Tally:
    """What one recording window saw: HTTP attempts and API calls per (service, operation)."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    sequence: list[str] = field(default_factory=list)
    first_at: dict[tuple[str, str], float] = field(default_factory=dict)  # time.perf_counter()
    last_at: dict[tuple[str, str], float] = field(default_factory=dict)
    purposes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, what for): calls

    def merged(self, other: Tally) -> Tally:
        """Both windows as one (their requests added; first and last times across both)."""
        keys = self.first_at.keys() | other.first_at.keys()
        return Tally(
            requests=self.requests + other.requests,
            calls=self.calls + other.calls,
            sequence=self.sequence + other.sequence,
            first_at={k: min(t[k] for t in (self.first_at, other.first_at) if k in t) for k in keys},
            last_at={k: max(t[k] for t in (self.last_at, other.last_at) if k in t) for k in keys},
            purposes=self.purposes + other.purposes,
        )

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


Classifier = Callable[[str, str, dict[str, Any]], str | None]


class RequestCounter:
    def __init__(self, classify: Classifier | None = None) -> None:
        self._tally: Tally | None = None
        self._lock = threading.Lock()
        self.classify = classify

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

        def on_params(params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
            tally, classify = self._tally, self.classify
            if tally is not None and classify is not None:
                purpose = classify(service, model.name, params) or model.name
                with self._lock:
                    tally.purposes[(service, purpose)] += 1

        def on_call(model: Any, **_kwargs: Any) -> None:
            tally = self._tally
            if tally is not None:
                with self._lock:
                    tally.calls[(service, model.name)] += 1

        def on_request(operation_name: str, **_kwargs: Any) -> None:
            tally = self._tally
            if tally is not None:
                key = (service, operation_name)
                now = time.perf_counter()
                with self._lock:
                    tally.requests[key] += 1
                    tally.sequence.append(f"{SERVICE_LABELS.get(service, service)} {operation_name}")
                    tally.first_at.setdefault(key, now)
                    tally.last_at[key] = now

        unique = id(client)
        client.meta.events.register("before-parameter-build", on_params, unique_id=f"bench-params-{unique}")
        client.meta.events.register("before-call", on_call, unique_id=f"bench-call-{unique}")
        client.meta.events.register("request-created", on_request, unique_id=f"bench-request-{unique}")

    @contextmanager
    def recording(self) -> Iterator[Tally]:
        tally = Tally()
        self._tally = tally
        try:
            yield tally
        finally:
            self._tally = None
