"""The whole system as `make run` starts it, over real HTTP: the adapter, the functions, moto,
the outbox, the clock, the invoke route and the queue pump (CONTRACT.md "Local-only routes")."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import icalendar

from tests.e2e.local_stack import LocalStack, start_local_stack, unique_address


def sign_up(stack: LocalStack, address: str, *event_ids: str) -> dict[str, object]:
    answer = stack.request(
        "POST",
        "/signups",
        json_body={
            "name": "Ada Lovelace",
            "email": address,
            "role": "lived_experience",
            "event_ids": list(event_ids),
            "consent": True,
        },
    )
    assert answer.status == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_root_redirects_to_the_signup_page(local_stack: LocalStack) -> None:
    answer = local_stack.get("/", headers={"Accept": "text/html"})
    assert answer.status == 302
    assert answer.headers["Location"] == "/signup"


def test_demo_events_are_seeded_and_public_answers_carry_no_zoom_details(local_stack: LocalStack) -> None:
    answer = local_stack.get("/events")
    assert answer.status == 200
    titles = [event["title"] for event in answer.json()["events"]]
    assert "No one person owns the truth" in titles
    assert "Sitting at the table as equals" in titles
    past = [event["title"] for event in local_stack.get("/events?when=past").json()["events"]]
    assert "When to re-balance the power?" in past
    assert "zoom.us" not in answer.text and "zoom.us" not in json.dumps(past)


def test_a_signup_sends_one_confirmation_whose_mime_and_calendar_files_parse(local_stack: LocalStack) -> None:
    # Given an event, and someone who signs up for it through the JSON API
    event = local_stack.create_event("End-to-end outbox round trip", starts_in=timedelta(days=10))
    address = unique_address("outbox")
    signup = sign_up(local_stack, address, event["id"])
    assert signup["signup"]["registrations"] == [{"event_id": event["id"], "status": "registered"}]  # type: ignore[index]

    # When the outbox is read
    (message,) = local_stack.emails_to(address)

    # Then it holds one confirmation: text and HTML twins, and an .ics that parses
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "End-to-end outbox round trip" in text.get_content()
    assert message.get_body(preferencelist=("html",)) is not None
    calendars = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    calendar = icalendar.Calendar.from_ical(calendars[0].get_payload(decode=True))
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "End-to-end outbox round trip"


def test_the_outbox_has_a_page_for_browsers_and_can_be_emptied(local_stack: LocalStack) -> None:
    event = local_stack.create_event("End-to-end outbox page", starts_in=timedelta(days=12))
    address = unique_address("page")
    sign_up(local_stack, address, event["id"])
    assert local_stack.emails_to(address)

    page = local_stack.get("/_local/outbox", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "End-to-end outbox page" in page.text
    assert ".ics" in page.text

    assert local_stack.request("DELETE", "/_local/outbox").status == 200
    assert local_stack.emails_to(address, timeout=0) == []


def test_the_text_message_inbox_reads_the_stacks_sns_and_can_be_emptied(local_stack: LocalStack) -> None:
    import boto3

    sns = boto3.client(
        "sns", endpoint_url=local_stack.moto_endpoint(), region_name="eu-west-2", **local_stack.moto_keys()
    )
    local_stack.request("DELETE", "/_local/sms")
    sns.publish(PhoneNumber="+447700900123", Message="End-to-end text")

    listed = local_stack.get("/_local/sms")
    assert listed.status == 200
    assert listed.json() == {"messages": [{"to": "+447700900123", "body": "End-to-end text"}]}
    assert local_stack.request("POST", "/_local/sms").status == 405
    assert local_stack.request("DELETE", "/_local/sms").json() == {"removed": 1}
    assert local_stack.get("/_local/sms").json() == {"messages": []}


def test_a_frozen_clock_is_seen_by_every_function(local_stack: LocalStack) -> None:
    event = local_stack.create_event("End-to-end frozen clock", starts_in=timedelta(days=3))
    upcoming = {e["id"] for e in local_stack.get("/events").json()["events"]}
    assert event["id"] in upcoming
    after_it_ended = datetime.fromisoformat(event["ends_at"]).astimezone(UTC) + timedelta(days=1)
    try:
        frozen = local_stack.request("PUT", "/_local/clock", json_body={"now": after_it_ended.isoformat()})
        assert frozen.status == 200
        assert frozen.json() == {"now": after_it_ended.isoformat(), "frozen": True}
        assert event["id"] not in {e["id"] for e in local_stack.get("/events").json()["events"]}
        assert event["id"] in {e["id"] for e in local_stack.get("/events?when=past").json()["events"]}
    finally:
        assert local_stack.request("DELETE", "/_local/clock").status == 200
    assert event["id"] in {e["id"] for e in local_stack.get("/events").json()["events"]}


def test_invoke_runs_a_function_as_the_consoles_test_does(local_stack: LocalStack) -> None:
    answer = local_stack.invoke("AdminFunction", {"action": "list_events", "when": "upcoming"})
    assert answer["ok"] is True
    assert all("join_url_set" in event for event in answer["events"])  # one compact line each
    missing = local_stack.request("POST", "/_local/invoke/NoSuchFunction", json_body={})
    assert missing.status == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_cors_preflight_is_answered_for_the_charitys_site(local_stack: LocalStack) -> None:
    answer = local_stack.request(
        "OPTIONS",
        "/signups",
        headers={"Origin": "https://www.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "https://www.example.org"


def test_ctrl_c_stops_the_stack_cleanly(tmp_path: Path) -> None:
    stack = start_local_stack(tmp_path, seed=False)
    assert stack.get("/events").json() == {"events": []}
    assert stack.stop() == 0
    assert "Stopped." in stack.log_tail()


def test_the_morning_send_runs_locally_and_the_join_link_leads_to_zoom(local_stack: LocalStack) -> None:
    # Given someone signed up for an event in three days (before its send moment)
    event = local_stack.create_event("End-to-end morning send", starts_in=timedelta(days=3))
    address = unique_address("morning")
    sign_up(local_stack, address, event["id"])
    assert len(local_stack.emails_to(address)) == 1
    # When an admin sends that event's links now (the queue pump hands them to SenderFunction)
    answer = local_stack.invoke("AdminFunction", {"action": "send_links", "event_id": event["id"]})
    assert answer == {"ok": True, "event_id": event["id"], "queued": 1, "skipped": 0}, answer
    emails = local_stack.emails_to(address, at_least=2, timeout=20)
    join = emails[1].get_body(preferencelist=("plain",))
    assert join is not None
    (link,) = set(re.findall(r"http://127\.0\.0\.1:\d+/join/[\w\-.]+", join.get_content()))
    # Then, from the send moment on, the link redirects to the event's Zoom meeting
    frozen = local_stack.request("PUT", "/_local/clock", json_body={"now": event["starts_at"]})
    assert frozen.status == 200
    try:
        followed = local_stack.request("GET", urlsplit(link).path)
    finally:
        local_stack.request("DELETE", "/_local/clock")
    assert followed.status == 302
    assert followed.headers["location"] == event["zoom_join_url"]


def test_every_method_gets_the_apps_own_answer_as_deployed(local_stack: LocalStack) -> None:
    for method in ("TRACE", "PROPFIND", "PATCH", "FOO"):
        answer = local_stack.request(method, "/events")

        assert answer.status == 405, method
        assert answer.headers["Allow"] == "GET, HEAD"
        assert answer.json()["error"]["code"] == "method_not_allowed"
    head = local_stack.request("HEAD", "/events")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Type"] == "application/json"


def test_each_function_runs_under_its_own_role_with_permissions_enforced(local_stack: LocalStack) -> None:
    """The e2e and browser stacks run as `make run IAM=on`: every flow above passed with each
    function limited to its own role's actions, and moto refuses credentials it did not issue."""
    import boto3
    from botocore.exceptions import ClientError

    log = local_stack.log_path.read_text(errors="replace")
    assert "\npermissions: enforced (each function with its own role from template.yaml" in log
    stranger = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.moto_endpoint(),
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        stranger.list_tables()
    except ClientError as refused:
        assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    else:
        raise AssertionError("moto answered a caller it never issued credentials to")
    match = re.search(r"moto credentials +(\S+) \(profile local-stack\)", log)
    assert match, log
    assert Path(match.group(1)).stat().st_mode & 0o777 == 0o600  # readable by its owner only
    local_user = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.moto_endpoint(),
        region_name="eu-west-2",
        **local_stack.moto_keys(),
    )
    assert "local-Table" in local_user.list_tables()["TableNames"]
