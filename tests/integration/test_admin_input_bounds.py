"""What an admin may type (issue 8, points 3 and 8): dates in a sensible range, and join links that
lead only to the meeting service, checked again at /join for values already stored."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin
from infra.testkit.morning import add_registrants
from shared import clock, services
from tests.integration.helpers import create_event
from tests.integration.test_observability import emf_records, metric_values
from tests.integration.test_unreadable_records import join_path
from tests.unit.test_join_urls import HOSTILE

RANGE = "Give a date between 1 January 2020 and 25 November 2031."  # the frozen now: 25 Nov 2026


@pytest.mark.parametrize(
    "starts_at",
    [
        "0999-12-09T14:00:00",
        "0001-01-01T00:00:00",
        "2019-12-31T23:00:00",
        "2031-11-26T10:00:00",
        "9999-12-31T23:30:00",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00-12:00",
    ],
)
def test_create_event_refuses_a_start_out_of_range_naming_the_field(aws, starts_at):
    answer = invoke_admin({"action": "create_event", "title": "Out of range", "starts_at": starts_at})

    assert answer == {
        "ok": False,
        "error": {"code": "validation_error", "message": RANGE, "fields": {"starts_at": RANGE}},
    }
    assert invoke_admin({"action": "list_events"})["events"] == []


def test_a_year_10000_is_not_a_date_and_ends_are_bounded_too(aws):
    too_far = invoke_admin({"action": "create_event", "title": "Far", "starts_at": "10000-01-01T00:00:00"})
    late_end = invoke_admin(
        {
            "action": "create_event",
            "title": "Long",
            "starts_at": "2026-12-09T14:00:00",
            "ends_at": "9999-12-31T00:00:00",
        }
    )
    long_end = invoke_admin(
        {
            "action": "create_event",
            "title": "Long",
            "starts_at": "2026-12-09T14:00:00",
            "ends_at": "2026-12-10T14:00:01",
        }
    )

    assert too_far["error"]["fields"] == {
        "starts_at": "must be a date and time like 2026-12-09T14:00:00 (an offset such as +01:00 is optional)"
    }
    assert late_end["error"]["fields"] == {"ends_at": RANGE}
    assert long_end["error"]["fields"] == {"ends_at": "must be at most 24 hours after starts_at"}


def test_update_event_checks_the_same_range_and_changes_nothing_when_refused(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00")

    answer = invoke_admin(
        {"action": "update_event", "event_id": event_id, "starts_at": "0999-12-09T14:00:00"}
    )

    assert answer["error"]["fields"] == {"starts_at": RANGE}
    stored = raw_table.get_item(raw_table.event_key(event_id))
    assert stored["starts_at"] == "2026-12-09T14:00:00Z"


def test_the_first_and_last_days_of_the_range_are_accepted(aws):
    first = invoke_admin(
        {"action": "create_event", "title": "First", "starts_at": "2020-01-01T00:00:00", "timezone": "UTC"}
    )
    last = invoke_admin({"action": "create_event", "title": "Last", "starts_at": "2031-11-25T08:00:00"})

    assert first["ok"] is True and last["ok"] is True


def test_create_refuses_every_hostile_join_url_naming_the_field(aws):
    # One stack for the whole table (the unit tests check each link's rule on its own). Admin
    # fields are trimmed first: a link with a tab at its end is the link.
    for url in [u for u in HOSTILE if u and u.strip() == u]:
        created = invoke_admin(
            {
                "action": "create_event",
                "title": "Phish",
                "starts_at": "2026-12-09T14:00:00",
                "zoom_join_url": url,
            }
        )

        assert created["ok"] is False, url
        assert list(created["error"]["fields"]) == ["zoom_join_url"], url
        assert created["error"]["fields"]["zoom_join_url"].startswith(
            "must be an https:// link on zoom.us or zoomgov.com"
        )
    assert invoke_admin({"action": "list_events"})["events"] == []


def test_update_refuses_a_hostile_join_url_and_keeps_the_old_one(aws):
    event_id = create_event()

    answer = invoke_admin(
        {"action": "update_event", "event_id": event_id, "zoom_join_url": "https://zoom.us@evil.example/"}
    )

    assert answer["ok"] is False and list(answer["error"]["fields"]) == ["zoom_join_url"]
    assert raw_table.get_item(raw_table.event_key(event_id))["zoom_join_url"].startswith("https://zoom.us/j/")


def test_join_url_hosts_lets_another_meeting_service_in(aws, monkeypatch):
    monkeypatch.setenv("JOIN_URL_HOSTS", "meet.example.org")
    services.reset()

    answer = invoke_admin(
        {
            "action": "create_event",
            "title": "Elsewhere",
            "starts_at": "2026-12-09T14:00:00",
            "zoom_join_url": "https://room.meet.example.org/abc",
        }
    )

    assert answer["ok"] is True and answer["event"]["zoom_join_url"] == "https://room.meet.example.org/abc"


@pytest.mark.parametrize(
    "stored", ["https://evil.example/phish", "https://zoom.us@evil.example/", "javascript:alert(1)"]
)
def test_a_stored_hostile_join_url_is_never_redirected_to(aws, capsys, caplog, stored):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    (address,) = add_registrants(event_id, 1, now=clock.now())
    raw_table.update_item(
        Key=raw_table.event_key(event_id),
        UpdateExpression="SET zoom_join_url = :url",
        ExpressionAttributeValues={":url": {"S": stored}},
    )
    clock.freeze(datetime(2026, 12, 9, 13, 55, tzinfo=UTC))
    caplog.set_level(logging.WARNING)
    capsys.readouterr()

    page = call_api(
        "GET", join_path(event_id, services.get().person_id_for(address)), headers={"accept": "text/html"}
    )

    assert page.status == 200
    assert "location" not in page.headers
    assert "not ready yet" in page.body and "evil" not in page.body
    assert metric_values(emf_records(capsys.readouterr().out)).get("JoinUrlRefused") == 1
    assert any(
        getattr(r, "event_id", None) == event_id
        for r in caplog.records
        if r.getMessage() == "stored join URL refused"
    )


def test_a_good_stored_join_url_still_redirects_in_its_canonical_form(aws):
    event_id = create_event(starts_at="2026-12-09T14:00:00", zoom_join_url="https://Charity.ZOOM.us/j/42")
    (address,) = add_registrants(event_id, 1, now=clock.now())
    clock.freeze(datetime(2026, 12, 9, 13, 55, tzinfo=UTC))

    answer = call_api("GET", join_path(event_id, services.get().person_id_for(address)))

    assert answer.status == 302
    assert answer.headers["location"] == "https://charity.zoom.us/j/42"
