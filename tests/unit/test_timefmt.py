"""Times in words: what people read in every email, in the event's own zone with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.models import Event
from shared.domain.timefmt import (
    date_in_words,
    span_in_words,
    start_in_words,
    time_in_words,
    when_in_words,
    zone_in_words,
)


def make_event(starts_at: datetime, minutes: int = 90, timezone: str = "Europe/London") -> Event:
    return Event(
        id="ev1",
        title="Co-production in a Digital World",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        timezone=timezone,
    )


def test_winter_event_in_london_reads_as_the_contract_example():
    # Given a 2pm event in December (UK on GMT)
    event = make_event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    # When it is put into words
    words = when_in_words(event)
    # Then it reads exactly as the contract's example
    assert words == "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)"


def test_summer_event_in_london_is_shown_in_bst_not_utc():
    # Given an event stored as 13:00 UTC in June, which is 2pm in the UK
    event = make_event(datetime(2026, 6, 10, 13, 0, tzinfo=UTC))
    # Then the words give UK clock time and say BST
    assert when_in_words(event) == "Wednesday 10 June 2026, 2:00pm to 3:30pm UK time (BST)"


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        # Clocks go back at 02:00 BST on Sunday 25 October 2026: an afternoon event that day is GMT.
        (datetime(2026, 10, 25, 14, 0, tzinfo=UTC), "Sunday 25 October 2026, 2:00pm to 3:30pm UK time (GMT)"),
        # The Saturday before is still BST.
        (
            datetime(2026, 10, 24, 13, 0, tzinfo=UTC),
            "Saturday 24 October 2026, 2:00pm to 3:30pm UK time (BST)",
        ),
        # Clocks go forward at 01:00 GMT on Sunday 28 March 2027: an afternoon event that day is BST.
        (datetime(2027, 3, 28, 13, 0, tzinfo=UTC), "Sunday 28 March 2027, 2:00pm to 3:30pm UK time (BST)"),
        # The Saturday before is still GMT.
        (datetime(2027, 3, 27, 14, 0, tzinfo=UTC), "Saturday 27 March 2027, 2:00pm to 3:30pm UK time (GMT)"),
    ],
)
def test_clock_change_days_name_the_zone_in_force_at_the_event(starts_at, expected):
    assert when_in_words(make_event(starts_at)) == expected


def test_event_spanning_the_clock_change_names_both_abbreviations():
    # Given an event from 00:30 BST (23:30 UTC) to 03:00 GMT on the night the clocks go back
    event = make_event(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), minutes=210)
    # Then both zone names are given, in order
    assert when_in_words(event) == "Sunday 25 October 2026, 12:30am to 3:00am UK time (BST, then GMT)"


def test_event_crossing_midnight_names_both_days():
    # Given an event from 11pm to 12:30am UK time in winter
    event = make_event(datetime(2026, 12, 9, 23, 0, tzinfo=UTC))
    # Then the end carries its own day
    assert when_in_words(event) == (
        "Wednesday 9 December 2026, 11:00pm to Thursday 10 December 2026, 12:30am UK time (GMT)"
    )


def test_event_ending_exactly_at_midnight_ends_on_the_same_day():
    event = make_event(datetime(2026, 12, 9, 22, 30, tzinfo=UTC))
    assert when_in_words(event) == "Wednesday 9 December 2026, 10:30pm to midnight UK time (GMT)"


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (0, 0, "midnight"),
        (0, 15, "12:15am"),
        (9, 5, "9:05am"),
        (11, 59, "11:59am"),
        (12, 0, "midday"),
        (12, 30, "12:30pm"),
        (13, 0, "1:00pm"),
        (23, 45, "11:45pm"),
    ],
)
def test_times_use_twelve_hour_clock_with_lowercase_am_pm_and_words_for_noon_and_midnight(
    hour, minute, expected
):
    assert time_in_words(datetime(2026, 1, 1, hour, minute)) == expected


def test_dates_are_spelt_out_without_depending_on_the_locale():
    assert date_in_words(datetime(2027, 2, 1)) == "Monday 1 February 2027"


@pytest.mark.parametrize(
    ("timezone", "moment", "expected"),
    [
        ("Europe/Paris", datetime(2026, 12, 9, 12, tzinfo=UTC), "Paris time (CET)"),
        ("Europe/Paris", datetime(2026, 7, 9, 12, tzinfo=UTC), "Paris time (CEST)"),
        ("America/New_York", datetime(2026, 12, 9, 12, tzinfo=UTC), "New York time (EST)"),
        ("Asia/Kolkata", datetime(2026, 12, 9, 12, tzinfo=UTC), "Kolkata time (IST)"),
        # tzdata has only a number for Dubai ("+04"): say it as an offset from UTC.
        ("Asia/Dubai", datetime(2026, 12, 9, 12, tzinfo=UTC), "Dubai time (UTC+4)"),
        ("UTC", datetime(2026, 12, 9, 12, tzinfo=UTC), "UTC"),
        ("Etc/GMT+5", datetime(2026, 12, 9, 12, tzinfo=UTC), "UTC-5"),
    ],
)
def test_other_zones_are_named_after_their_place_and_abbreviation(timezone, moment, expected):
    local = moment.astimezone(ZoneInfo(timezone))
    assert zone_in_words(timezone, local) == expected


def test_event_in_another_zone_is_shown_in_that_zone():
    # Given a Paris event at 15:00 local (14:00 UTC) in winter
    event = make_event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC), minutes=60, timezone="Europe/Paris")
    assert when_in_words(event) == "Wednesday 9 December 2026, 3:00pm to 4:00pm Paris time (CET)"


def test_half_hour_offset_zone_shows_minutes_of_offset():
    local = datetime(2026, 12, 9, 12, tzinfo=UTC).astimezone(ZoneInfo("Asia/Kathmandu"))
    assert zone_in_words("Asia/Kathmandu", local) == "Kathmandu time (UTC+5:45)"


def test_span_accepts_times_in_any_zone_and_shows_them_in_the_given_one():
    starts_at = datetime(2026, 12, 9, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    words = span_in_words(starts_at, starts_at + timedelta(hours=1), "Europe/London")
    assert words == "Wednesday 9 December 2026, 2:00pm to 3:00pm UK time (GMT)"


def test_start_in_words_gives_just_the_start():
    event = make_event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    assert start_in_words(event) == "Wednesday 9 December 2026 at 2:00pm UK time (GMT)"
