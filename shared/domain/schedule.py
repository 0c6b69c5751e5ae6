"""When the morning send happens: run moments, send moments, and which events a run covers.

The schedule runs daily at one local time (07:00 Europe/London by default). An event's *send
moment* is the last run moment at or before its start: 07:00 on the day of a 14:00 event, 07:00
the day before for a 06:30 one. A run covers every scheduled event that starts before the next
run's moment and has not ended, so no event falls between runs and a failed run is caught up by
the next. All arithmetic is on local dates in the schedule's zone, so clock changes need no
special case: 07:00 exists on every day in every zone we use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.domain.models import Event, EventStatus


@dataclass(frozen=True)
class Schedule:
    at: time
    zone: ZoneInfo

    @classmethod
    def of(cls, dispatch_time: str, timezone: str) -> Schedule:
        hours, minutes = (int(part) for part in dispatch_time.split(":"))
        return cls(time(hours, minutes), ZoneInfo(timezone))

    def _on(self, local_date: object) -> datetime:
        return datetime.combine(local_date, self.at, tzinfo=self.zone).astimezone(UTC)  # type: ignore[arg-type]

    def run_moment_at_or_before(self, moment: datetime) -> datetime:
        """The last run moment at or before `moment` (the send moment of an event starting then)."""
        local = moment.astimezone(self.zone)
        candidate = self._on(local.date())
        if candidate > moment:
            candidate = self._on(local.date() - timedelta(days=1))
        return candidate

    def send_moment(self, event: Event) -> datetime:
        return self.run_moment_at_or_before(event.starts_at)

    def next_run(self, run_moment: datetime) -> datetime:
        """The same local time on the next day."""
        return self._on(run_moment.astimezone(self.zone).date() + timedelta(days=1))

    def local_date(self, run_moment: datetime) -> str:
        return run_moment.astimezone(self.zone).date().isoformat()


def covered_events(
    events: Iterable[Event], schedule: Schedule, run_moment: datetime, now: datetime
) -> list[Event]:
    """Scheduled events starting before the next run and not yet ended: this run's to send."""
    next_run = schedule.next_run(run_moment)
    return [
        event
        for event in events
        if event.status is EventStatus.scheduled and event.starts_at < next_run and event.ends_at > now
    ]


def links_due(event: Event, schedule: Schedule, now: datetime) -> bool:
    """Is it at or after the event's send moment, and before its end? (A late sign-up then gets the
    join link in its confirmation.)"""
    return event.status is EventStatus.scheduled and schedule.send_moment(event) <= now < event.ends_at
