"""Logging and metrics: the one place that makes the Powertools Logger and Metrics every module
uses, one of each per service name (a function's handler and the shared code it runs log under
the same service).

Logs are structured and carry ids and counts only: never a name, an address, access needs or a
Zoom detail (tests capture every line to hold that). Metrics are CloudWatch EMF, flushed by each
handler's `@metrics.log_metrics`; Powertools keeps one metric set per process, so every Metrics
instance adds to the same one.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit


@cache
def logger_for(service: str) -> Logger:
    return Logger(service=service)


@cache
def metrics_for(service: str) -> Metrics:
    return Metrics(service=service)


def count(metrics: Metrics, name: str, value: int = 1) -> None:
    """Add `value` to the count `name` in this invocation's metrics."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


# Stored items the stores could not read in this invocation (shared/stores/unreadable.py notes
# them): each handler counts them as its `UnreadableRecords` metric, which an alarm watches.
_unreadable = [0]


def note_unreadable() -> None:
    _unreadable[0] += 1


def take_unreadable() -> int:
    """How many unreadable items were met since the last call (and start again from zero)."""
    found, _unreadable[0] = _unreadable[0], 0
    return found
