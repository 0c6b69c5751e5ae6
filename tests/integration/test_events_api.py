"""Public event routes: lists, one event, calendars, OpenAPI, content negotiation, errors."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from infra.testkit import BASE_URL, FIXED_NOW, raw_table
from infra.testkit.api import call_api
from shared import clock
from tests.integration.helpers import ZOOM_SECRETS, create_event, sign_up

HTML = {"accept": "text/html"}


def _cancel(event_id: str) -> None:
    raw_table.update_item(
        Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": "EVENT"}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": "cancelled"}},
    )


def test_events_lists_those_not_yet_ended_soonest_first_with_cancelled_ones_marked(aws):
    later = create_event("Later", "2027-02-10T14:00:00")
    sooner = create_event("Sooner", "2026-12-09T14:00:00")
    create_event("Past", "2026-10-01T14:00:00")
    running = create_event("Running now", "2026-11-25T09:30:00")
    _cancel(later)

    events = call_api("GET", "/events").json()["events"]

    assert [e["id"] for e in events] == [running, sooner, later]
    assert [e["status"] for e in events] == ["scheduled", "scheduled", "cancelled"]


def test_past_events_are_listed_latest_first(aws):
    older = create_event("Older", "2026-09-01T14:00:00")
    newer = create_event("Newer", "2026-10-01T14:00:00")
    create_event("Coming", "2026-12-09T14:00:00")

    events = call_api("GET", "/events", query={"when": "past"}).json()["events"]

    assert [e["id"] for e in events] == [newer, older]


def test_an_event_has_the_contract_fields_with_the_offset_of_its_zone(aws):
    event_id = create_event("Summer conversation", "2027-06-09T14:00:00", capacity=30)
    sign_up([event_id])

    event = call_api("GET", f"/events/{event_id}").json()

    assert set(event) == {
        "id",
        "title",
        "description",
        "starts_at",
        "ends_at",
        "timezone",
        "status",
        "spaces_left",
        "calendar_url",
        "google_calendar_url",
        "outlook_calendar_url",
    }
    assert event["starts_at"] == "2027-06-09T14:00:00+01:00"
    assert event["ends_at"] == "2027-06-09T15:30:00+01:00"
    assert event["spaces_left"] == 29
    assert event["calendar_url"] == f"{BASE_URL}/events/{event_id}/calendar.ics"
    assert event["google_calendar_url"].startswith("https://calendar.google.com/")
    assert event["outlook_calendar_url"].startswith("https://outlook.live.com/")


def test_unlimited_events_have_null_spaces_left(aws):
    event_id = create_event()
    assert call_api("GET", f"/events/{event_id}").json()["spaces_left"] is None


def test_an_unknown_event_is_404(aws):
    answer = call_api("GET", "/events/nope")
    assert answer.status == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert call_api("GET", "/events/nope/calendar.ics").status == 404


def test_a_bad_when_is_422_naming_it(aws):
    answer = call_api("GET", "/events", query={"when": "someday"})
    assert answer.status == 422
    assert "when" in answer.json()["error"]["fields"]


def test_no_public_answer_or_public_calendar_carries_zoom_details(aws):
    event_id = create_event()
    create_event("Another", "2027-01-13T14:00:00")
    answers = [
        call_api("GET", "/events"),
        call_api("GET", "/events", headers=HTML),
        call_api("GET", f"/events/{event_id}"),
        call_api("GET", f"/events/{event_id}", headers=HTML),
        call_api("GET", f"/events/{event_id}/calendar.ics"),
        call_api("GET", "/calendar.ics"),
        call_api("GET", "/signup", headers=HTML),
        call_api("GET", "/signup"),
        call_api("GET", "/openapi.json"),
        sign_up([event_id]),
    ]
    for answer in answers:
        assert answer.status in (200, 201)
        assert not any(secret in answer.body for secret in ZOOM_SECRETS), answer.body[:200]


def test_the_event_calendar_is_one_vevent_with_a_stable_uid_and_a_timezone(aws):
    event_id = create_event()

    first = call_api("GET", f"/events/{event_id}/calendar.ics")
    second = call_api("GET", f"/events/{event_id}/calendar.ics")

    assert first.headers["content-type"].startswith("text/calendar")
    assert first.body == second.body
    calendar = icalendar.Calendar.from_ical(first.body)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{event_id}@events.example.org"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
    assert vevent.decoded("DTSTART").isoformat() == "2026-12-09T14:00:00+00:00"
    assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent
    assert (
        call_api(
            "GET", f"/events/{event_id}/calendar.ics", headers={"if-none-match": first.headers["etag"]}
        ).status
        == 304
    )


def test_the_feed_holds_every_upcoming_scheduled_event(aws):
    coming = create_event("Coming", "2026-12-09T14:00:00")
    cancelled = create_event("Cancelled", "2027-01-13T14:00:00")
    create_event("Past", "2026-10-01T14:00:00")
    _cancel(cancelled)

    calendar = icalendar.Calendar.from_ical(call_api("GET", "/calendar.ics").body)

    assert [str(v["UID"]).split("@")[0] for v in calendar.walk("VEVENT")] == [coming]


def test_events_answer_html_to_a_browser(aws):
    create_event()
    answer = call_api("GET", "/events", headers=HTML)
    assert answer.headers["content-type"].startswith("text/html")
    assert "Co-production in a Digital World" in answer.body
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_signup_page_lists_open_events_and_pre_ticks_one(aws):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("Employing people with lived experience", "2027-01-13T14:00:00")
    create_event("Past", "2026-10-01T14:00:00")

    page = call_api("GET", "/signup", query={"event": second}, headers=HTML).body

    assert f'value="{first}">' in page
    assert f'value="{second}" checked' in page
    assert "Past" not in page
    assert 'action="/signups"' in page and 'method="post"' in page


def test_a_tie_or_no_accept_header_keeps_each_routes_default(aws):
    create_event()
    assert (
        call_api("GET", "/events", headers={"accept": ""})
        .headers["content-type"]
        .startswith("application/json")
    )
    tie = {"accept": "text/html, application/json"}
    assert call_api("GET", "/events", headers=tie).headers["content-type"].startswith("application/json")
    assert call_api("GET", "/signup", headers=tie).headers["content-type"].startswith("text/html")
    json_first = {"accept": "application/json"}
    assert (
        call_api("GET", "/signup", headers=json_first).headers["content-type"].startswith("application/json")
    )


def test_a_wrong_method_is_405_and_an_unknown_path_404(aws):
    wrong = call_api("PUT", "/events")
    assert wrong.status == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET, HEAD"
    assert call_api("GET", "/nothing-here").status == 404
    page = call_api("GET", "/nothing-here", headers=HTML)
    assert page.status == 404 and "Page not found" in page.body


def test_an_unexpected_failure_is_a_503_without_a_trace(aws, monkeypatch):
    from shared.stores.events import EventStore

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(EventStore, "by_start", explode)

    answer = call_api("GET", "/events")

    assert answer.status == 503
    assert answer.headers["retry-after"]
    assert "secret internals" not in answer.body and "Traceback" not in answer.body


def test_openapi_describes_the_routes_and_the_signup_body(aws):
    document = call_api("GET", "/openapi.json").json()

    for path in (
        "/events",
        "/events/{event_id}",
        "/events/{event_id}/calendar.ics",
        "/calendar.ics",
        "/signup",
        "/signups",
        "/manage/link",
        "/manage",
        "/manage/cancel",
        "/manage/profile",
        "/unsubscribe",
    ):
        assert path in document["paths"], path
    body = document["paths"]["/signups"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    assert "event_ids" in document["components"]["schemas"]["SignupRequest"]["properties"]


def test_an_event_that_has_ended_moves_to_the_past(aws):
    event_id = create_event("Today", "2026-11-25T09:30:00")
    assert [e["id"] for e in call_api("GET", "/events").json()["events"]] == [event_id]

    clock.freeze(FIXED_NOW + timedelta(hours=2))

    assert call_api("GET", "/events").json()["events"] == []
    assert [e["id"] for e in call_api("GET", "/events", query={"when": "past"}).json()["events"]] == [
        event_id
    ]
