"""In-process latency under moto (informative only): the handler's own cost plus moto's.

Rounds interleave a trivial moto DynamoDB GetItem (the baseline: one small request through the
functions' own client), one sign-up for one event (a new person each time, as deployed: rate
limits on, SES and the table in moto) and one GET /events, so machine noise hits all three alike.
The figures are medians and their ratios to the baseline.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from bench.stack import client_ip, create_event, moto_stack, sign_up
from infra.testkit import raw_table
from infra.testkit.api import Answer, call_api

T = TypeVar("T")


@dataclass
class LatencyReport:
    rounds: int
    baseline: float
    signup: float
    list_events: float
    events_listed: int


def _timed(samples: list[float], action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    samples.append(time.perf_counter() - start)
    return result


def measure_latency(rounds: int = 50) -> LatencyReport:
    from shared import aws, services

    with moto_stack():
        event_ids = [create_event(f"Open conversation {n}", days=7 * n) for n in range(1, 6)]
        table = services.get().settings.table_name
        dynamodb = aws.client("dynamodb")

        key = raw_table.event_key(event_ids[0])

        def get_item() -> Any:
            return dynamodb.get_item(TableName=table, Key=key)

        get_item()
        sign_up([event_ids[0]], "warm-up@example.org", ip=client_ip(0))  # warm the container
        listed = len(call_api("GET", "/events").json()["events"])
        baseline: list[float] = []
        signups: list[float] = []
        lists: list[float] = []
        for n in range(1, rounds + 1):
            _timed(baseline, get_item)
            signup = partial(sign_up, [event_ids[0]], f"person{n}@example.org", ip=client_ip(n))
            answer: Answer = _timed(signups, signup)
            if answer.status != 201:
                raise RuntimeError(f"sign-up {n} answered {answer.status}: {answer.body[:200]}")
            _timed(lists, partial(call_api, "GET", "/events"))
    return LatencyReport(
        rounds=rounds,
        baseline=statistics.median(baseline),
        signup=statistics.median(signups),
        list_events=statistics.median(lists),
        events_listed=listed,
    )
