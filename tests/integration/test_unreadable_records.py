"""Stored items that cannot be read (issue 8, point 3): put straight into the table, as older code
(a year written `999`) or someone editing the table in the console might have left them. Every
public route and the morning send go on for everyone else, each bad item is logged by id and
counted, and admins see it, rewrite it, cancel it or delete it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from infra.testkit import FIXED_NOW, raw_table
from infra.testkit.api import call_api, invoke_admin
from infra.testkit.morning import add_registrants, join_emails_by_recipient, pump, run_dispatch
from shared import clock, services
from shared.domain.tokens import Purpose, sign
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_observability import emf_records, metric_values

GOOD_START = "2026-12-09T14:00:00"
# id -> the attributes of an event item that cannot be read, beside its keys.
BAD_EVENTS: dict[str, dict[str, Any]] = {
    # What the old code wrote for a year below 1000: strftime's %Y gives "999".
    "year-999": {"starts_at": "999-12-09T14:00:00Z", "ends_at": "999-12-09T15:30:00Z"},
    "year-10000": {"starts_at": "10000-01-01T14:00:00Z", "ends_at": "10000-01-01T15:30:00Z"},
    "garbage": {"starts_at": "next tuesday", "ends_at": "soon", "registered_count": "lots"},
    "missing": {},
    "bad-zone": {
        "starts_at": "2026-12-10T14:00:00Z",
        "ends_at": "2026-12-10T15:30:00Z",
        "timezone": "Mars/Olympus",
    },
}


def put_bad_event(event_id: str, attributes: dict[str, Any]) -> None:
    sort_start = str(attributes.get("starts_at", ""))
    raw_table.put_item(
        {
            "PK": f"EVENT#{event_id}",
            "SK": "EVENT",
            "GSI1PK": "EVENTS",
            "GSI1SK": f"{sort_start}#{event_id}",
            "id": event_id,
            "title": f"Damaged {event_id}",
            "status": "scheduled",
            "zoom_join_url": "https://zoom.us/j/111",
            **attributes,
        }
    )


@pytest.fixture
def damaged(aws, monkeypatch):
    """A good event with a registrant, every bad event above, and a registration of the good
    event whose stored time cannot be read."""
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    good = create_event(starts_at=GOOD_START)
    (address,) = add_registrants(good, 1, now=clock.now())
    for event_id, attributes in BAD_EVENTS.items():
        put_bad_event(event_id, attributes)
    raw_table.put_item(
        {
            "PK": f"EVENT#{good}",
            "SK": "REG#damaged-person",
            "GSI2PK": "PERSON#damaged-person",
            "GSI2SK": f"2026-12-09T14:00:00Z#{good}",
            "event_id": good,
            "person_id": "damaged-person",
            "email": "damaged@example.org",
            "status": "registered",
            "registered_at": "999-01-01T00:00:00Z",
        }
    )
    return {"good": good, "address": address, "stack": aws}


def join_path(event_id: str, person_id: str) -> str:
    return "/join/" + sign(
        Purpose.JOIN, [event_id, person_id], FIXED_NOW + timedelta(days=60), services.get().keys
    )


def test_public_routes_leave_unreadable_events_out_and_never_answer_5xx(damaged, capsys):
    good = damaged["good"]
    capsys.readouterr()

    events = call_api("GET", "/events")
    page = call_api("GET", "/signup", headers={"accept": "text/html"})
    feed = call_api("GET", "/calendar.ics")

    assert events.status == 200
    assert [e["id"] for e in events.json()["events"]] == [good]
    assert page.status == 200 and "Damaged" not in page.body and good in page.body
    assert feed.status == 200 and feed.body.count("BEGIN:VEVENT") == 1
    for event_id in BAD_EVENTS:
        assert call_api("GET", f"/events/{event_id}").status == 404
        assert call_api("GET", f"/events/{event_id}/calendar.ics").status == 404
        assert call_api("GET", join_path(event_id, "someone")).status == 404
        signup = sign_up([event_id])
        assert signup.status < 500, (event_id, signup.status, signup.body)
    counted = metric_values(emf_records(capsys.readouterr().out))
    assert counted["UnreadableRecords"] >= 3 * len(BAD_EVENTS)


def test_a_year_0999_in_the_stored_form_reads_as_a_past_event_everywhere(damaged):
    put_bad_event("year-0999", {"starts_at": "0999-12-09T14:00:00Z", "ends_at": "0999-12-09T15:30:00Z"})

    page = call_api("GET", "/events/year-0999")
    calendar = call_api("GET", "/events/year-0999/calendar.ics")
    past = invoke_admin({"action": "list_events", "when": "past"})

    assert page.status == 200 and page.json()["starts_at"].startswith("0999-12-09T")
    assert "enddt=0999-12-09T15:30:00Z" in page.json()["outlook_calendar_url"]
    assert calendar.status == 200 and "BEGIN:VEVENT" in calendar.body
    assert call_api("GET", join_path("year-0999", "someone")).status == 404
    assert sign_up(["year-0999"]).status == 409  # ended: closed, as any past event
    assert ("year-0999", "scheduled") in [(line["id"], line["status"]) for line in past["events"]]


def test_each_unreadable_item_is_logged_by_id_and_field_names_only(damaged, caplog):
    caplog.set_level(logging.WARNING)
    call_api("GET", "/events")

    skipped = [r for r in caplog.records if r.getMessage() == "unreadable record skipped"]
    assert {r.record_id for r in skipped} == set(BAD_EVENTS)  # type: ignore[attr-defined]
    garbage = next(r for r in skipped if r.record_id == "garbage")  # type: ignore[attr-defined]
    assert garbage.levelno == logging.WARNING
    assert set(garbage.fields_at_fault) == {"starts_at", "ends_at", "registered_count"}  # type: ignore[attr-defined]
    logged = json.dumps([vars(r) for r in skipped], default=str)
    assert "next tuesday" not in logged and "zoom.us" not in logged


def test_the_morning_send_goes_on_for_everyone_else(damaged, capsys):
    clock.freeze(FIXED_NOW.replace(month=12, day=9, hour=7))

    answer = run_dispatch("2026-12-09T07:00:00Z")
    pump(damaged["stack"])

    assert answer == {"events": [{"event_id": damaged["good"], "queued": 1, "skipped": 0}]}
    assert join_emails_by_recipient() == {damaged["address"]: 1}
    assert metric_values(emf_records(capsys.readouterr().out))["UnreadableRecords"] >= len(BAD_EVENTS)


def test_list_events_shows_each_unreadable_event_marked_with_its_raw_fields(damaged):
    answer = invoke_admin({"action": "list_events"})

    assert answer["ok"] is True
    lines = {line["id"]: line for line in answer["events"]}
    assert lines[damaged["good"]]["status"] == "scheduled"
    for event_id in BAD_EVENTS:
        assert lines[event_id]["status"] == "unreadable"
        assert lines[event_id]["unreadable"] is True
    assert lines["year-999"]["raw"]["starts_at"] == "999-12-09T14:00:00Z"
    assert set(lines["year-999"]["problems"]) == {"starts_at", "ends_at"}
    assert lines["missing"]["problems"].keys() >= {"starts_at", "ends_at"}
    assert set(lines["bad-zone"]["problems"]) == {"timezone"}
    # list_registrations of the good event: the damaged registration is left out, not a crash.
    registrations = invoke_admin({"action": "list_registrations", "event_id": damaged["good"]})
    assert registrations["ok"] is True
    assert [r["email"] for r in registrations["registrations"]] == [damaged["address"]]


def test_update_event_rewrites_an_unreadable_event_which_then_reads_everywhere(damaged):
    refused = invoke_admin({"action": "update_event", "event_id": "year-999", "title": "Fixed"})
    answer = invoke_admin(
        {
            "action": "update_event",
            "event_id": "year-999",
            "starts_at": "2026-12-16T14:00:00",
            "title": "Fixed",
        }
    )

    assert refused["ok"] is False and "starts_at" in refused["error"]["fields"]
    assert answer["ok"] is True, answer
    assert answer["event"]["starts_at"] == "2026-12-16T14:00:00+00:00"
    assert answer["event"]["ends_at"] == "2026-12-16T15:30:00+00:00"
    assert answer["event"]["zoom_join_url"] == "https://zoom.us/j/111"  # kept: it could be read
    stored = raw_table.get_item(raw_table.event_key("year-999"))
    assert (
        stored["starts_at"] == "2026-12-16T14:00:00Z" and stored["GSI1SK"] == "2026-12-16T14:00:00Z#year-999"
    )
    assert "year-999" in [e["id"] for e in call_api("GET", "/events").json()["events"]]
    garbage = invoke_admin(
        {"action": "update_event", "event_id": "garbage", "starts_at": "2026-12-17T10:00:00"}
    )
    assert garbage["ok"] is True and garbage["event"]["registered_count"] == 0  # counted again


def test_cancel_and_delete_work_on_unreadable_events(damaged):
    dry = invoke_admin({"action": "cancel_event", "event_id": "garbage", "dry_run": True})
    cancelled = invoke_admin({"action": "cancel_event", "event_id": "garbage"})
    deleted = invoke_admin({"action": "delete_event", "event_id": "missing"})

    assert dry["ok"] is True and dry["notified"] == 0
    assert raw_table.get_item(raw_table.event_key("garbage"))["status"] == "cancelled" or not dry["dry_run"]
    assert cancelled["ok"] is True and cancelled["notified"] == 0
    assert cancelled["warnings"][0]["code"] == "unreadable_event"
    assert raw_table.get_item(raw_table.event_key("garbage"))["status"] == "cancelled"
    assert deleted["ok"] is True
    assert raw_table.get_item(raw_table.event_key("missing")) is None
    assert "missing" not in [line["id"] for line in invoke_admin({"action": "list_events"})["events"]]


def test_the_manage_page_of_a_person_with_an_unreadable_registration_answers(damaged, caplog):
    caplog.set_level(logging.WARNING)
    token = sign(Purpose.MANAGE, ["damaged-person"], FIXED_NOW + timedelta(days=30), services.get().keys)
    answer = call_api("GET", "/manage", query={"token": token})

    assert answer.status == 200
    assert any(
        getattr(r, "record_id", "") == f"EVENT#{damaged['good']}/REG#damaged-person" for r in caplog.records
    )


def test_copy_of_an_unreadable_event_says_it_cannot_be_read_not_that_there_is_none(damaged):
    answer = invoke_admin({"action": "copy_event", "event_id": "garbage", "starts_at": "2027-01-13T14:00:00"})

    assert answer["ok"] is False
    assert "cannot be read" in answer["error"]["message"]
    assert "update_event" in answer["error"]["message"]
    assert "There is no event" not in answer["error"]["message"]


@pytest.mark.parametrize("format", ["json", "csv"])
def test_the_report_names_the_events_it_could_not_count(damaged, format):
    answer = invoke_admin({"action": "report", "from": "2026-12-01", "to": "2026-12-31", "format": format})

    assert answer["ok"] is True
    assert answer["totals"]["events"] == 1  # the good one
    (warning,) = answer["warnings"]
    assert warning["code"] == "unreadable_event"
    for event_id in BAD_EVENTS:
        assert event_id in warning["message"]


def create(title: str, starts_at: str) -> dict[str, Any]:
    return invoke_admin(
        {"action": "create_event", "title": title, "starts_at": starts_at, "timezone": "Europe/London"}
    )


def test_an_event_rewritten_onto_another_day_holds_that_day_and_frees_its_old_one(aws):
    broken = create("Broken", "2026-12-20T10:00:00")["event"]["id"]
    raw_table.update_item(
        Key=raw_table.event_key(broken),
        UpdateExpression="SET starts_at = :x",
        ExpressionAttributeValues={":x": {"S": "garbage"}},
    )
    repaired = invoke_admin(
        {"action": "update_event", "event_id": broken, "starts_at": "2026-12-21T10:00:00"}
    )
    assert repaired["ok"], repaired

    # Its new day is guarded like any other event's...
    again = create("Broken", "2026-12-21T12:00:00")
    assert again["ok"] is False and again["error"]["code"] == "duplicate_event"
    assert broken in again["error"]["message"]
    # ...and the day it was on before is free, not held by an event that is no longer there.
    assert create("Broken", "2026-12-20T15:00:00")["ok"] is True
