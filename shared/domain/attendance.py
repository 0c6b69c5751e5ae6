"""Who attended: the one rule used by `joined_at`, the `attended` audiences and `report`.

A person attended when their personal join link was first opened between 15 minutes before the
event's start and its end. Mail scanners open links when the morning email is delivered, hours
before: those opens set `opened_at` but never `joined_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.models import Event

JOIN_WINDOW_BEFORE = timedelta(minutes=15)


def counts_as_joining(event: Event, now: datetime) -> bool:
    """Whether opening the join link at `now` counts as attending `event`."""
    return event.starts_at - JOIN_WINDOW_BEFORE <= now <= event.ends_at


def has_ended(event: Event, now: datetime) -> bool:
    """Whether attendance is settled: nobody can join any more."""
    return now > event.ends_at
