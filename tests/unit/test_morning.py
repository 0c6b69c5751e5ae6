"""Send moments and which events a run covers, across the clock changes (pure: no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.models import Event, EventStatus
from shared.domain.schedule import Schedule, covered_events, links_due
from shared.workflows.sending import Pacer

LONDON = Schedule.of("07:00", "Europe/London")


def event(
    start: datetime, minutes: int = 90, status: EventStatus = EventStatus.scheduled, event_id: str = "e"
) -> Event:
    return Event(
        id=event_id,
        title=event_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        status=status,
    )


@pytest.mark.parametrize(
    ("start_utc", "send_moment_utc"),
    [
        # A 14:00 conversation in winter: 07:00 GMT that morning.
        ("2026-12-09T14:00:00+00:00", "2026-12-09T07:00:00+00:00"),
        # In summer: 07:00 BST is 06:00 UTC.
        ("2027-06-09T13:00:00+00:00", "2027-06-09T06:00:00+00:00"),
        # The day the clocks go back (25 October 2026: BST to GMT at 02:00): 07:00 is GMT.
        ("2026-10-25T14:00:00+00:00", "2026-10-25T07:00:00+00:00"),
        # The day the clocks go forward (28 March 2027: GMT to BST at 01:00): 07:00 is BST.
        ("2027-03-28T13:00:00+00:00", "2027-03-28T06:00:00+00:00"),
        # A 06:30 conversation: 07:00 the day before.
        ("2026-12-09T06:30:00+00:00", "2026-12-08T07:00:00+00:00"),
        # A 06:30 (BST) conversation on the Monday after the clocks went forward: Sunday 07:00 BST.
        ("2027-03-29T05:30:00+00:00", "2027-03-28T06:00:00+00:00"),
        # Exactly at the run moment: that run.
        ("2026-12-09T07:00:00+00:00", "2026-12-09T07:00:00+00:00"),
    ],
)
def test_the_send_moment_is_the_last_run_moment_at_or_before_the_start(start_utc, send_moment_utc):
    assert LONDON.send_moment(event(datetime.fromisoformat(start_utc))) == datetime.fromisoformat(
        send_moment_utc
    )


def test_the_next_run_is_the_same_local_time_the_next_day_across_both_clock_changes():
    assert LONDON.next_run(datetime(2026, 10, 24, 6, 0, tzinfo=UTC)) == datetime(
        2026, 10, 25, 7, 0, tzinfo=UTC
    )
    assert LONDON.next_run(datetime(2027, 3, 27, 7, 0, tzinfo=UTC)) == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)


def test_a_run_covers_events_before_the_next_run_not_yet_ended_and_not_cancelled():
    run = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
    today = event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC), event_id="today")
    early_tomorrow = event(datetime(2026, 12, 10, 6, 30, tzinfo=UTC), event_id="early-tomorrow")
    tomorrow = event(datetime(2026, 12, 10, 14, 0, tzinfo=UTC), event_id="tomorrow")
    cancelled = event(
        datetime(2026, 12, 9, 15, 0, tzinfo=UTC), status=EventStatus.cancelled, event_id="cancelled"
    )
    ended = event(datetime(2026, 12, 9, 5, 0, tzinfo=UTC), minutes=60, event_id="ended")

    covered = covered_events([today, early_tomorrow, tomorrow, cancelled, ended], LONDON, run, run)

    assert [e.id for e in covered] == ["today", "early-tomorrow"]


def test_a_missed_run_is_caught_up_next_morning_for_an_event_still_running():
    early = event(datetime(2026, 12, 10, 6, 30, tzinfo=UTC))  # its own run was 07:00 on the 9th
    next_morning = datetime(2026, 12, 10, 7, 0, tzinfo=UTC)

    assert covered_events([early], LONDON, next_morning, next_morning) == [early]


def test_links_are_due_from_the_send_moment_until_the_end():
    conversation = event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    assert not links_due(conversation, LONDON, datetime(2026, 12, 9, 6, 59, tzinfo=UTC))
    assert links_due(conversation, LONDON, datetime(2026, 12, 9, 7, 0, tzinfo=UTC))
    assert not links_due(conversation, LONDON, datetime(2026, 12, 9, 15, 30, tzinfo=UTC))


def test_the_pacer_spaces_sends_at_its_rate():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(4.0, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()

    assert slept == [0.25, 0.25, 0.25, 0.25]
