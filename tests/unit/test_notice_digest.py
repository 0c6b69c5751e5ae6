"""When the admins hear of a sign-up with access needs (at once, or in the next digest), what the
digest says, and how `make run` takes the NoticesEmail parameter (pure: no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.models import Event
from shared.domain.notice_digest import (
    TIMES_LISTED_PER_EVENT,
    EventSignups,
    digest_message,
    digest_subject,
    next_digest,
    told_at_once,
)
from shared.domain.schedule import Schedule

LONDON = Schedule.of("07:00", "Europe/London")


def event(start: datetime, event_id: str = "e") -> Event:
    return Event(
        id=event_id, title=f"Title {event_id}", starts_at=start, ends_at=start + timedelta(minutes=90)
    )


@pytest.mark.parametrize(
    ("now", "start", "at_once"),
    [
        # Before the 07:00 run, an event that afternoon waits for that run's digest.
        ("2026-12-09T06:59:00+00:00", "2026-12-09T14:00:00+00:00", False),
        # At or after the run, the next digest is tomorrow's: an event today is told at once.
        ("2026-12-09T07:00:00+00:00", "2026-12-09T14:00:00+00:00", True),
        ("2026-12-09T08:00:00+00:00", "2026-12-10T06:59:00+00:00", True),
        ("2026-12-09T08:00:00+00:00", "2026-12-10T07:00:00+00:00", False),
        # Summer time: the run is at 06:00 UTC.
        ("2027-06-09T05:59:00+00:00", "2027-06-09T06:30:00+00:00", False),
        ("2027-06-09T06:00:00+00:00", "2027-06-09T06:30:00+00:00", True),
    ],
)
def test_a_sign_up_is_told_at_once_only_when_its_event_starts_before_the_next_digest(now, start, at_once):
    moment = datetime.fromisoformat(now)

    assert told_at_once(event(datetime.fromisoformat(start)), LONDON, moment) is at_once
    assert moment < next_digest(LONDON, moment) <= moment + timedelta(days=1)


def test_a_digest_lists_each_events_sign_ups_soonest_event_first_and_caps_the_times():
    later = event(datetime(2027, 1, 13, 14, 0, tzinfo=UTC), "later")
    sooner = event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC), "sooner")
    base = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    many = [base + timedelta(minutes=n) for n in range(TIMES_LISTED_PER_EVENT + 7)]

    message = digest_message([EventSignups(later, many), EventSignups(sooner, [base])], LONDON)

    assert message.index("See list_registrations for sooner.") < message.index(
        "See list_registrations for later."
    )
    assert "1 new sign-up with access needs. See list_registrations for sooner." in message
    assert f"{TIMES_LISTED_PER_EVENT + 7} new sign-ups with access needs." in message
    assert message.count("  - signed up ") == TIMES_LISTED_PER_EVENT + 1
    assert message.rstrip().endswith("  - and 7 more")
    assert digest_subject(1).endswith(": 1 new sign-up with access needs")
    assert digest_subject(1234).endswith(": 1,234 new sign-ups with access needs")
    assert max(len(digest_subject(n)) for n in (1, 10**6)) <= 100  # SNS's limit for a subject


SNS_MESSAGE_LIMIT = 262_144  # bytes (256 KiB), UTF-8


@pytest.mark.parametrize(
    ("events", "per_event", "title"),
    [
        (50, 100, "Co-production in a Digital World"),  # a season's 5,000 sign-ups on 50 events
        (5000, 1, "Ü" * 200),  # one each on 5,000 events with the longest non-ASCII titles
    ],
)
def test_a_season_of_sign_ups_fits_in_one_sns_message_and_everyone_is_counted(events, per_event, title):
    base = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    groups = [
        EventSignups(
            event(base + timedelta(days=1, hours=n), f"2026-12-{n:05d}").model_copy(update={"title": title}),
            [base + timedelta(seconds=s) for s in range(per_event)],
        )
        for n in range(events)
    ]

    message = digest_message(groups, LONDON)

    assert len(message.encode()) <= SNS_MESSAGE_LIMIT
    assert message.startswith(f"Since the last digest, {events * per_event:,} sign-ups for {events:,} events")
    assert "See list_registrations for 2026-12-00000." in message  # the soonest event is always there
    listed = message.count("See list_registrations for ")
    if listed < events:
        assert f"And {events - listed:,} more events" in message
