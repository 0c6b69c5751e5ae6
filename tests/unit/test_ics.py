"""Calendar files: what people's calendars import, public and emailed, and the subscribable feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from shared.domain.models import Event, EventStatus
from shared.mail.ics import calendar_feed, event_calendar

UID_DOMAIN = "events.example.org"
PUBLIC_URL = "https://events.example.org/events/ev1"
JOIN_URL = "https://events.example.org/join/personal-token"
ZOOM_SECRETS = ("zoom.us", "987 6543 2100", "98765432100", "s3cret-pass", "+44 20 7946 0000")
LONDON = ZoneInfo("Europe/London")


def make_event(**changes) -> Event:
    fields = {
        "id": "ev1",
        "title": "Co-production in a Digital World",
        "description": "A conversation about co-production online.\nAll are welcome.",
        "starts_at": datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 9, 15, 30, tzinfo=UTC),
        "zoom_join_url": "https://us02web.zoom.us/j/98765432100?pwd=abc",
        "zoom_meeting_id": "987 6543 2100",
        "zoom_passcode": "s3cret-pass",
        "zoom_dial_in": "+44 20 7946 0000",
        "sequence": 0,
        "created_at": datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 10, 2, 9, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return Event(**fields)


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def only_event(calendar: Calendar):
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def assert_no_zoom_details(data: bytes) -> None:
    text = data.decode()
    unfolded = text.replace("\r\n ", "")
    for secret in ZOOM_SECRETS:
        assert secret not in unfolded, f"{secret!r} leaked into a calendar file"


def test_public_file_is_a_published_event_with_stable_uid_and_its_zone():
    # Given a scheduled event in London
    event = make_event()
    # When its public calendar file is built
    data = event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)
    calendar = parse(data)
    vevent = only_event(calendar)
    # Then it is a PUBLISH calendar with one VEVENT and the zone it uses
    assert calendar["VERSION"] == "2.0"
    assert "Conversations on Co-production" in str(calendar["PRODID"])
    assert calendar["METHOD"] == "PUBLISH"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()
    # And the event keeps its UID, sequence, status and local start with its TZID
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 0
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.start == datetime(2026, 12, 9, 14, 0, tzinfo=LONDON)
    assert vevent.end == datetime(2026, 12, 9, 15, 30, tzinfo=LONDON)
    assert vevent["SUMMARY"] == "Co-production in a Digital World"
    assert str(vevent["URL"]) == PUBLIC_URL
    assert PUBLIC_URL in vevent["DESCRIPTION"]
    assert "All are welcome." in vevent["DESCRIPTION"]
    # And it is not an invitation: nobody organises or attends it
    assert "ORGANIZER" not in vevent
    assert "ATTENDEE" not in vevent
    assert b"ORGANIZER" not in data
    assert b"ATTENDEE" not in data


def test_public_file_never_carries_zoom_details():
    data = event_calendar(make_event(), uid_domain=UID_DOMAIN, url=PUBLIC_URL)
    assert_no_zoom_details(data)


def test_emailed_file_carries_the_personal_join_link_but_no_zoom_details():
    # Given an event and a person's own join link
    event = make_event()
    # When the file for their email is built
    data = event_calendar(event, uid_domain=UID_DOMAIN, url=JOIN_URL, details_url=PUBLIC_URL)
    vevent = only_event(parse(data))
    # Then its URL is their join link and its description gives both links
    assert str(vevent["URL"]) == JOIN_URL
    assert JOIN_URL in vevent["DESCRIPTION"]
    assert PUBLIC_URL in vevent["DESCRIPTION"]
    # And it shares the public file's UID, so the two never make two calendar entries
    public = only_event(parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)))
    assert vevent["UID"] == public["UID"]
    assert_no_zoom_details(data)


def test_changed_event_keeps_its_uid_and_carries_the_higher_sequence():
    event = make_event(sequence=3, starts_at=datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    vevent = only_event(parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)))
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 3
    assert vevent.start == datetime(2026, 12, 9, 15, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "event",
    [make_event(sequence=2), make_event(sequence=2, status=EventStatus.cancelled)],
    ids=["cancelled flag", "cancelled event"],
)
def test_cancellation_file_says_cancelled_with_the_same_uid(event):
    data = event_calendar(event, uid_domain=UID_DOMAIN, url=JOIN_URL, details_url=PUBLIC_URL, cancelled=True)
    vevent = only_event(parse(data))
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 2
    assert "cancelled" in vevent["DESCRIPTION"]


def test_cancelled_event_is_marked_cancelled_even_without_the_flag():
    data = event_calendar(make_event(status=EventStatus.cancelled), uid_domain=UID_DOMAIN, url=PUBLIC_URL)
    assert only_event(parse(data))["STATUS"] == "CANCELLED"


@pytest.mark.parametrize(
    ("starts_at", "offset", "abbreviation"),
    [
        (datetime(2026, 10, 25, 14, 0, tzinfo=UTC), timedelta(0), "GMT"),  # clocks went back that morning
        (datetime(2026, 10, 24, 13, 0, tzinfo=UTC), timedelta(hours=1), "BST"),
        (datetime(2027, 3, 28, 13, 0, tzinfo=UTC), timedelta(hours=1), "BST"),  # clocks went forward
        (datetime(2027, 3, 27, 14, 0, tzinfo=UTC), timedelta(0), "GMT"),
    ],
)
def test_clock_change_days_put_the_event_at_2pm_uk_time_by_the_files_own_vtimezone(
    starts_at, offset, abbreviation
):
    # Given a 2pm UK event on either side of a clock change
    event = make_event(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90))
    # When the file is built and read back
    calendar = parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL))
    vevent = only_event(calendar)
    # Then DTSTART is 2pm local in Europe/London
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.start.replace(tzinfo=None) == datetime(
        starts_at.year, starts_at.month, starts_at.day, 14, 0
    )
    # And the file's own VTIMEZONE (what a calendar without tz data relies on) agrees on the offset
    (vtimezone,) = calendar.walk("VTIMEZONE")
    zone_from_file = vtimezone.to_tz(lookup_tzid=False)
    local = vevent.start.replace(tzinfo=zone_from_file)
    assert local.utcoffset() == offset
    assert local.tzname() == abbreviation
    assert local.astimezone(UTC) == starts_at


def test_same_event_gives_the_same_bytes_every_time():
    event = make_event()
    first = event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)
    second = event_calendar(make_event(), uid_domain=UID_DOMAIN, url=PUBLIC_URL)
    assert first == second


def test_dtstamp_comes_from_the_events_last_update_unless_given():
    event = make_event()
    vevent = only_event(parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)))
    assert vevent["DTSTAMP"].dt == datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
    stamped = event_calendar(
        event, uid_domain=UID_DOMAIN, url=PUBLIC_URL, dtstamp=datetime(2026, 11, 5, 7, 0, tzinfo=UTC)
    )
    assert only_event(parse(stamped))["DTSTAMP"].dt == datetime(2026, 11, 5, 7, 0, tzinfo=UTC)


def test_title_and_description_with_ical_special_characters_come_back_intact():
    title = "Power, money; and <script>alert('x')</script> \\ back"
    description = "Line one, with a comma;\nline two\n\nA new paragraph."
    event = make_event(title=title, description=description)
    vevent = only_event(parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL)))
    assert vevent["SUMMARY"] == title
    assert vevent["DESCRIPTION"].startswith(description)


def test_event_in_utc_needs_no_vtimezone():
    event = make_event(timezone="UTC")
    calendar = parse(event_calendar(event, uid_domain=UID_DOMAIN, url=PUBLIC_URL))
    assert calendar.walk("VTIMEZONE") == []
    assert calendar.get_missing_tzids() == set()
    assert only_event(calendar).start == datetime(2026, 12, 9, 14, 0, tzinfo=UTC)


def test_feed_lists_every_event_soonest_first_with_each_zone_once():
    # Given events in London (two years) and one in Paris, out of order
    london_2027 = make_event(
        id="ev3",
        starts_at=datetime(2027, 6, 9, 13, 0, tzinfo=UTC),
        ends_at=datetime(2027, 6, 9, 14, 30, tzinfo=UTC),
    )
    paris = make_event(
        id="ev2",
        timezone="Europe/Paris",
        starts_at=datetime(2027, 1, 13, 13, 0, tzinfo=UTC),
        ends_at=datetime(2027, 1, 13, 14, 0, tzinfo=UTC),
    )
    london_2026 = make_event(id="ev1")
    # When the feed is built
    data = calendar_feed(
        [london_2027, paris, london_2026],
        uid_domain=UID_DOMAIN,
        url_for=lambda event: f"https://events.example.org/events/{event.id}",
    )
    calendar = parse(data)
    # Then it is a named, refreshing calendar
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Conversations on Co-production"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert b"X-PUBLISHED-TTL:PT1H" in data
    # With one VTIMEZONE per zone and nothing missing
    assert sorted(tz["TZID"] for tz in calendar.walk("VTIMEZONE")) == ["Europe/London", "Europe/Paris"]
    assert calendar.get_missing_tzids() == set()
    # And every event, soonest first, each pointing at its public page
    vevents = calendar.walk("VEVENT")
    assert [str(v["UID"]) for v in vevents] == [
        "ev1@events.example.org",
        "ev2@events.example.org",
        "ev3@events.example.org",
    ]
    assert [str(v["URL"]) for v in vevents] == [
        f"https://events.example.org/events/{e}" for e in ("ev1", "ev2", "ev3")
    ]
    assert vevents[1]["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevents[1].start == datetime(2027, 1, 13, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    # And no Zoom details and no invitations anywhere in it
    assert_no_zoom_details(data)
    assert b"ORGANIZER" not in data
    assert b"ATTENDEE" not in data


def test_feed_vtimezone_covers_every_year_it_lists():
    later = make_event(
        id="ev9",
        starts_at=datetime(2027, 7, 14, 13, 0, tzinfo=UTC),
        ends_at=datetime(2027, 7, 14, 14, 30, tzinfo=UTC),
    )
    calendar = parse(
        calendar_feed([make_event(), later], uid_domain=UID_DOMAIN, url_for=lambda e: PUBLIC_URL)
    )
    (vtimezone,) = calendar.walk("VTIMEZONE")
    zone = vtimezone.to_tz(lookup_tzid=False)
    assert datetime(2027, 7, 14, 14, 0, tzinfo=zone).tzname() == "BST"
    assert datetime(2026, 12, 9, 14, 0, tzinfo=zone).tzname() == "GMT"


def test_feed_is_byte_for_byte_stable_whatever_the_input_order():
    events = [make_event(id="ev1"), make_event(id="ev2", timezone="Europe/Paris"), make_event(id="ev3")]
    first = calendar_feed(events, uid_domain=UID_DOMAIN, url_for=lambda e: PUBLIC_URL)
    second = calendar_feed(list(reversed(events)), uid_domain=UID_DOMAIN, url_for=lambda e: PUBLIC_URL)
    assert first == second


def test_empty_feed_is_still_a_valid_calendar():
    calendar = parse(calendar_feed([], uid_domain=UID_DOMAIN, url_for=lambda e: PUBLIC_URL))
    assert calendar["X-WR-CALNAME"] == "Conversations on Co-production"
    assert calendar.walk("VEVENT") == []
