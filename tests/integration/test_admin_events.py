"""AdminFunction's event actions: create_event, update_event, list_events, get_event."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.testkit.api import invoke_admin
from infra.testkit.morning import pump
from shared import clock, services
from tests.integration.helpers import ZOOM, create_event, sign_up


def test_create_event_reads_naive_times_in_the_events_zone_and_answers_the_zoom_fields(aws):
    answer = invoke_admin(
        {
            "action": "create_event",
            "title": "Employing people with lived experience",
            "starts_at": "2027-06-09T14:00:00",
            "timezone": "Europe/London",
            **ZOOM,
        }
    )

    assert answer["ok"] is True
    event = answer["event"]
    assert event["id"] == "2027-06-09-employing-people-with-lived-experience"
    assert event["starts_at"] == "2027-06-09T14:00:00+01:00"
    assert event["ends_at"] == "2027-06-09T15:30:00+01:00"
    assert event["zoom_join_url"] == ZOOM["zoom_join_url"]
    stored = services.get().stores.events.get(event["id"])
    assert stored.starts_at.isoformat() == "2027-06-09T13:00:00+00:00"


def test_two_events_with_the_same_title_and_day_get_different_ids(aws):
    first = create_event("Same", "2026-12-09T10:00:00")
    second = create_event("Same", "2026-12-09T14:00:00", allow_duplicate=True)
    assert (first, second) == ("2026-12-09-same", "2026-12-09-same-2")


def test_create_event_names_each_bad_field(aws):
    answer = invoke_admin(
        {
            "action": "create_event",
            "title": "",
            "starts_at": "next tuesday",
            "timezone": "Mars/Olympus",
            "capacity": 0,
            "zoom_join_url": "javascript:alert(1)",
        }
    )

    assert answer["ok"] is False
    assert answer["error"]["code"] == "validation_error"
    assert {"title", "starts_at", "timezone", "capacity", "zoom_join_url"} <= set(answer["error"]["fields"])


def test_an_unknown_action_or_a_non_object_is_answered_not_raised(aws):
    unknown = invoke_admin({"action": "launch_rockets"})
    assert unknown["ok"] is False
    assert unknown["error"]["fields"]["action"].startswith("must be one of ")
    assert "create_event" in unknown["error"]["fields"]["action"]
    assert invoke_admin({})["ok"] is False
    ended_before_start = invoke_admin(
        {
            "action": "create_event",
            "title": "Backwards",
            "starts_at": "2026-12-09T14:00:00",
            "ends_at": "2026-12-09T13:00:00",
        }
    )
    assert ended_before_start["error"]["fields"] == {"ends_at": "must be after starts_at"}


def test_update_event_moves_the_time_keeps_the_duration_and_raises_the_sequence(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")

    answer = invoke_admin(
        {"action": "update_event", "event_id": event_id, "starts_at": "2026-12-10T10:00:00"}
    )

    assert answer["ok"] is True
    assert answer["event"]["starts_at"] == "2026-12-10T10:00:00+00:00"
    assert answer["event"]["ends_at"] == "2026-12-10T11:30:00+00:00"
    assert answer["event"]["sequence"] == 1


def test_update_event_never_overwrites_counts_moved_by_signups(aws):
    event_id = create_event(capacity=10)
    sign_up([event_id])

    invoke_admin({"action": "update_event", "event_id": event_id, "title": "A clearer title"})

    event = services.get().stores.events.get(event_id)
    assert event.title == "A clearer title"
    assert event.registered_count == 1
    assert event.counts == {"registered#academic": 1}


def test_update_event_can_lift_a_capacity_and_rejects_an_unknown_event(aws):
    event_id = create_event(capacity=10)

    lifted = invoke_admin({"action": "update_event", "event_id": event_id, "capacity": None})
    missing = invoke_admin({"action": "update_event", "event_id": "nope", "title": "x"})

    assert lifted["event"]["capacity"] is None
    assert missing["ok"] is False and missing["error"]["code"] == "not_found"


def test_list_events_shows_upcoming_or_past_one_compact_line_each(aws):
    coming = create_event("Coming", "2026-12-09T14:00:00", capacity=2)
    no_link = create_event("No link yet", "2026-12-10T14:00:00", zoom_join_url="")
    past = create_event("Past", "2026-10-01T14:00:00")
    for n in range(3):
        sign_up([coming], email=f"p{n}@example.org")

    upcoming = invoke_admin({"action": "list_events"})
    earlier = invoke_admin({"action": "list_events", "when": "past"})

    assert upcoming["events"] == [
        {
            "id": coming,
            "title": "Coming",
            "starts_at": "2026-12-09T14:00:00+00:00",
            "status": "scheduled",
            "capacity": 2,
            "registered": 2,
            "waitlisted": 1,
            "join_url_set": True,
            "links_sent": 0,
        },
        {
            "id": no_link,
            "title": "No link yet",
            "starts_at": "2026-12-10T14:00:00+00:00",
            "status": "scheduled",
            "capacity": None,
            "registered": 0,
            "waitlisted": 0,
            "join_url_set": False,
            "links_sent": 0,
        },
    ]
    assert [e["id"] for e in earlier["events"]] == [past]
    # No description, no Zoom details: those are get_event's.
    assert not any("zoom_passcode" in line or "description" in line for line in upcoming["events"])


def test_get_event_gives_everything_about_one_event_with_its_counts_and_links(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    event_id = create_event("Coming", "2026-12-09T14:00:00", capacity=1)
    sign_up([event_id], email="first@example.org")
    sign_up([event_id], email="second@example.org")
    invoke_admin({"action": "cancel_registration", "event_id": event_id, "email": "first@example.org"})
    clock.freeze(datetime(2026, 12, 9, 7, 0, tzinfo=UTC))
    invoke_admin({"action": "send_links", "event_id": event_id})
    pump(aws)

    answer = invoke_admin({"action": "get_event", "event_id": event_id})

    event = answer["event"]
    assert event["zoom_passcode"] == ZOOM["zoom_passcode"]
    assert event["description"] == "How can digital tools help people work together as equals?"
    assert event["counts"] == {"registered": 1, "waitlisted": 0, "cancelled": 1}
    assert event["counts_by_role"] == {
        "cancelled": {"academic": 1},
        "registered": {"academic": 1},
        "waitlisted": {"academic": 0},
    }
    assert (event["links_sent"], event["links_opened"], event["attended"]) == (1, 0, 0)
    assert answer["warnings"] == []
    listed = invoke_admin({"action": "list_events"})["events"][0]
    assert (listed["registered"], listed["waitlisted"], listed["links_sent"]) == (1, 0, 1)
    assert invoke_admin({"action": "get_event", "event_id": "nope"})["error"]["code"] == "not_found"


def test_the_benchmarks_events_are_accepted_by_create_event(aws):
    """`make bench` is not part of `make test`: this keeps its data within the admin's rules (a
    Zoom-only join URL broke it once)."""
    from bench.stack import create_event as bench_create_event

    event_id = bench_create_event("Benchmark conversation", 9, capacity=10)

    event = services.get().stores.events.get(event_id)
    assert event is not None and event.zoom_join_url == "https://zoom.us/j/123456789"
