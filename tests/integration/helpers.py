"""Helpers for integration tests: events created through AdminFunction, sign-ups through the API."""

from __future__ import annotations

import re
from typing import Any

from infra.testkit.api import Answer, call_api, invoke_admin

ZOOM = {
    "zoom_join_url": "https://zoom.us/j/98765432100?pwd=SeCrEtPwD",
    "zoom_meeting_id": "987 6543 2100",
    "zoom_passcode": "Tr33house",
    "zoom_dial_in": "+44 203 481 5240 (meeting ID 987 6543 2100, passcode 556677)",
}
ZOOM_SECRETS = ["zoom.us", "98765432100", "987 6543 2100", "Tr33house", "SeCrEtPwD", "203 481 5240", "556677"]


def create_event(
    title: str = "Co-production in a Digital World", starts_at: str = "2026-12-09T14:00:00", **fields: Any
) -> str:
    answer = invoke_admin(
        {
            "action": "create_event",
            "title": title,
            "description": "How can digital tools help people work together as equals?",
            "starts_at": starts_at,
            "timezone": "Europe/London",
            **ZOOM,
            **fields,
        }
    )
    assert answer["ok"], answer
    return str(answer["event"]["id"])


def person(
    name: str = "Ada Lovelace", email: str = "ada@example.org", role: str = "academic"
) -> dict[str, Any]:
    return {"name": name, "email": email, "role": role, "consent": True}


def sign_up(event_ids: list[str], **overrides: Any) -> Answer:
    body = {**person(), "event_ids": event_ids, **overrides}
    return call_api("POST", "/signups", json_body=body)


def token_from(text: str, route: str) -> str:
    # <key id>.<payload>.<mac> (tokens made before key ids: <payload>.<mac>)
    match = re.search(
        rf"{re.escape(route)}[?/](?:token=)?((?:[0-9]+\.)?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", text
    )
    assert match, f"no {route} link in the text"
    return match.group(1)


def text_part(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_part(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())
