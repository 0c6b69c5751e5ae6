"""Every admin action has a ready-made Lambda console test event in infra/console-events/, and
each one, replayed in an admin's order of work, answers ok."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from functions.admin.handler import ACTIONS  # importing the handler registers every action
from infra.testkit import FIXED_NOW
from infra.testkit.api import invoke_admin
from shared import clock, services
from tests.integration.helpers import sign_up

CONSOLE_EVENTS = Path(__file__).resolve().parents[2] / "infra" / "console-events"

# The order an admin would meet them in; forget_person (a dry run) last.
ORDER = [
    "create_event",
    "update_event",
    "copy_event",
    "website_snippet",
    "list_events",
    "get_event",
    "add_registration",
    "list_registrations",
    "send_links",
    "resend_link",
    "preview_email",
    "message_registrants",
    "export_registrations",
    "report",
    "send_follow_up",
    "export_person",
    "unsuppress",
    "cancel_registration",
    "cancel_event",
    "delete_event",
    "forget_person",
]


def load(action: str) -> dict:
    return json.loads((CONSOLE_EVENTS / f"{action}.json").read_text())


def variants(action: str) -> list[str]:
    """Other examples of an action (`<action>_<variant>.json`, as report_csv.json for report),
    replayed right after it."""
    return sorted(
        path.stem
        for path in CONSOLE_EVENTS.glob(f"{action}_*.json")
        if path.stem not in ACTIONS and json.loads(path.read_text())["action"] == action
    )


def test_there_is_one_console_event_per_action_and_it_names_its_action():
    files = {path.stem: json.loads(path.read_text()) for path in CONSOLE_EVENTS.glob("*.json")}
    variant_files = {name for action in ACTIONS for name in variants(action)}

    assert set(files) - variant_files == set(ACTIONS) == set(ORDER)
    assert all(files[name]["action"] == name for name in ACTIONS)
    assert all(files[name]["action"] in ACTIONS for name in variant_files)


def test_every_console_event_replays_ok(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "1000")
    services.reset()
    answers = {}
    for action in ORDER:
        if action == "add_registration":
            # Someone has signed up on the website by now.
            event_id = load("list_registrations")["event_id"]
            assert sign_up([event_id], email="ada@example.org").status == 201
        if action == "delete_event":
            draft = {
                **load("create_event"),
                "title": "A draft nobody signed up for",
                "starts_at": "2027-02-10T14:00:00",
            }
            assert invoke_admin(draft)["event"]["id"] == load("delete_event")["event_id"]
        if action == "send_follow_up":
            # A follow-up goes after the event: the admin comes back the day after.
            clock.freeze(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))
        for name in [action, *variants(action)]:
            answers[name] = invoke_admin(load(name))
            assert answers[name]["ok"] is True, (name, answers[name])
        clock.freeze(FIXED_NOW)

    assert answers["create_event"]["event"]["id"] == load("update_event")["event_id"]
    assert answers["copy_event"]["event"]["id"] == "2027-02-10-co-production-in-a-digital-world"
    assert answers["copy_event"]["warnings"] == []
    assert answers["get_event"]["event"]["zoom_passcode"] == "replace-me"
    assert answers["list_registrations"]["counts"]["registered"] == 2
    assert answers["cancel_event"]["dry_run"] is True
    assert answers["report_csv"]["s3_uri"].endswith(".csv")
    assert answers["message_registrants"]["audience_count"] == 2
    assert (answers["send_follow_up"]["audience_count"], answers["send_follow_up"]["not_attended"]) == (2, 2)
