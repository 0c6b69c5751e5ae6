"""A real moto stack from template.yaml, the way the tests' `aws` fixture builds it (both use
`infra.testkit`), without pytest: the functions' environment, a frozen clock, and small helpers
to call them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.testkit import FIXED_NOW, PARAMETERS
from infra.testkit import stack as testkit_stack
from infra.testkit.api import Answer, call_api, invoke_admin


@contextmanager
def moto_stack(parameters: Mapping[str, str] = PARAMETERS) -> Iterator[Any]:
    """Everything the handlers need, in-process (`infra.testkit.stack.moto_stack`, as the tests'
    `aws` fixture), deployed with `parameters`, with the functions' logs kept off the terminal;
    the environment is put back afterwards."""
    with testkit_stack.moto_stack(parameters=parameters) as stack, quiet_logs():
        yield stack


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep the functions' logs (INFO, as deployed, so their cost stays in) off the terminal."""
    import functions.admin.handler
    import functions.api.handler  # noqa: F401 - create their loggers before redirecting them

    with open(os.devnull, "w") as sink:
        moved = []
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):
                if isinstance(handler, logging.StreamHandler) and not isinstance(
                    handler, logging.FileHandler
                ):
                    moved.append((handler, handler.stream))
                    handler.setStream(sink)
        try:
            yield
        finally:
            for handler, stream in moved:
                handler.setStream(stream)


def create_event(title: str, days: int, capacity: int | None = None) -> str:
    starts = (FIXED_NOW + timedelta(days=days)).replace(hour=14, minute=0, tzinfo=None)
    event: dict[str, Any] = {
        "action": "create_event",
        "title": title,
        "description": "A conversation for the benchmark.",
        "starts_at": starts.isoformat(),
        "timezone": "Europe/London",
        "zoom_join_url": "https://zoom.us/j/123456789",
        "zoom_meeting_id": "123 456 789",
        "zoom_passcode": "bench",
    }
    if capacity is not None:
        event["capacity"] = capacity
    answer = invoke_admin(event)
    if not answer.get("ok"):
        raise RuntimeError(f"create_event failed: {answer}")
    return str(answer["event"]["id"])


def sign_up(event_ids: list[str], email: str, *, ip: str = "203.0.113.7") -> Answer:
    body = {
        "name": "Bench Person",
        "email": email,
        "role": "academic",
        "event_ids": event_ids,
        "consent": True,
    }
    return call_api("POST", "/signups", json_body=body, source_ip=ip)


def statuses(answer: Answer) -> list[str]:
    return [r["status"] for r in answer.json()["signup"]["registrations"]]


def manage_token(email: str) -> str:
    from shared import clock, services

    url = services.get().links.manage(services.get().person_id_for(email), clock.now())
    return parse_qs(urlsplit(url).query)["token"][0]


def client_ip(n: int) -> str:
    """A distinct source address per sign-up, so the per-IP rate limit never bites."""
    return f"10.0.{n // 250}.{n % 250 + 1}"
