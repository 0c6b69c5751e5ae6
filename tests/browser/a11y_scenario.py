"""One story through the local stack that makes every email kind, read back from its outbox as
real MIME: sign-ups (a confirmation, and one for a waiting list), a cancellation that offers the
place on, the morning send (DispatchFunction at a frozen 07:00), a change of time, an organisers'
message, a cancelled event, a manage link and both follow-ups (after the end, one person having
joined). Built once per session for the accessibility tests of pages and emails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.local_stack import LocalStack, unique_address

# A link standing on its own in the plain text (not one inside a calendar link's query).
LINK = re.compile(r"(?<![\w%=&:/.])http://127\.0\.0\.1:\d+/[^\s<>\"')]+")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, f"no HTML part in {message['Subject']!r}"
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no plain text part in {message['Subject']!r}"
    return str(part.get_content())


def link_in(message: EmailMessage, path: str) -> str:
    """The first link in the plain text whose path starts with `path` (its path and query)."""
    found = [link for link in LINK.findall(text_of(message)) if link.split("/", 3)[3].startswith(path[1:])]
    assert found, f"no {path} link in {message['Subject']!r}:\n{text_of(message)}"
    return "/" + found[0].split("/", 3)[3]


def sign_up(stack: LocalStack, address: str, name: str, *event_ids: str) -> None:
    body = {"name": name, "email": address, "role": "lived_experience", "event_ids": list(event_ids)}
    answer = stack.request("POST", "/signups", json_body={**body, "consent": True})
    assert answer.status in (200, 201), answer.text


def one_more_email(stack: LocalStack, address: str, had: int) -> EmailMessage:
    emails = stack.emails_to(address, at_least=had + 1, timeout=30)
    assert len(emails) == had + 1, [m["Subject"] for m in emails]
    return emails[-1]


def morning_moment(event: dict[str, Any]) -> datetime:
    """The morning send's run moment for the event: 07:00 UK time on its day, or the day before."""
    start = datetime.fromisoformat(event["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    moment = start.replace(hour=7, minute=0, second=0, microsecond=0)
    return (moment if moment <= start else moment - timedelta(days=1)).astimezone(UTC)


@dataclass
class Scenario:
    emails: dict[str, EmailMessage] = field(default_factory=dict)  # kind → the email
    soon: dict[str, Any] = field(default_factory=dict)  # the event whose links went out
    full: dict[str, Any] = field(default_factory=dict)  # capacity 1, taken
    dropped: dict[str, Any] = field(default_factory=dict)  # cancelled by an admin
    spare_join: EmailMessage | None = None  # the join link of someone who never unsubscribes

    def frozen(self, stack: LocalStack, now: datetime) -> None:
        assert stack.request("PUT", "/_local/clock", json_body={"now": now.isoformat()}).status == 200


def build(stack: LocalStack) -> Scenario:
    scenario = Scenario()
    full = scenario.full = stack.create_event(
        "Accessibility check: a full one", starts_in=timedelta(days=40), capacity=1
    )
    first, second = unique_address("a11y-first"), unique_address("a11y-second")
    sign_up(stack, first, "Ada Lovelace", full["id"])
    scenario.emails["confirmation"] = one_more_email(stack, first, 0)
    sign_up(stack, second, "Mary Seacole", full["id"])
    scenario.emails["waiting list"] = one_more_email(stack, second, 0)
    # The first cancels (JSON, with the token from their email): the second is offered the place.
    token = link_in(scenario.emails["confirmation"], "/manage").split("token=", 1)[1]
    cancel = stack.request("POST", "/manage/cancel", json_body={"token": token, "event_id": full["id"]})
    assert cancel.status == 200, cancel.text
    scenario.emails["place offered"] = one_more_email(stack, second, 1)
    assert stack.request("POST", "/manage/link", json_body={"email": first}).status == 202
    scenario.emails["manage link"] = one_more_email(stack, first, 1)

    dropped = scenario.dropped = stack.create_event(
        "Accessibility check: called off", starts_in=timedelta(days=41)
    )
    third = unique_address("a11y-third")
    sign_up(stack, third, "Rosalind Franklin", dropped["id"])
    one_more_email(stack, third, 0)
    answer = stack.invoke("AdminFunction", {"action": "cancel_event", "event_id": dropped["id"]})
    assert answer.get("ok") is True, answer
    scenario.emails["cancellation"] = one_more_email(stack, third, 1)

    _morning_and_after(stack, scenario)
    return scenario


def _morning_and_after(stack: LocalStack, scenario: Scenario) -> None:
    soon = scenario.soon = stack.create_event("Accessibility check: the morning", starts_in=timedelta(days=2))
    came, missed = unique_address("a11y-came"), unique_address("a11y-missed")
    sign_up(stack, came, "Mae Jemison", soon["id"])
    sign_up(stack, missed, "Alan Turing", soon["id"])
    one_more_email(stack, came, 0)
    one_more_email(stack, missed, 0)
    try:
        scenario.frozen(stack, morning_moment(soon))
        moment = morning_moment(soon).isoformat()
        answer = stack.invoke("DispatchFunction", {"scheduled_time": moment})
        assert any(row["event_id"] == soon["id"] for row in answer["events"]), answer
        scenario.emails["join link"] = one_more_email(stack, came, 1)
        scenario.spare_join = one_more_email(stack, missed, 1)  # kept unused by the pages' clicks
        later = (datetime.fromisoformat(soon["starts_at"]) + timedelta(hours=1)).replace(tzinfo=None)
        answer = stack.invoke(
            "AdminFunction",
            {"action": "update_event", "event_id": soon["id"], "starts_at": later.isoformat()},
        )
        assert answer.get("ok") is True, answer
        scenario.emails["change"] = one_more_email(stack, came, 2)
        one_more_email(stack, missed, 2)
        words = {"subject": "Before we meet", "message": "Bring a cup of tea.\n\nWe will start on time."}
        answer = stack.invoke(
            "AdminFunction", {"action": "message_registrants", "event_id": soon["id"], **words}
        )
        assert answer.get("ok") is True, answer
        scenario.emails["message"] = one_more_email(stack, came, 3)
        one_more_email(stack, missed, 3)
        starts = datetime.fromisoformat(soon["starts_at"]) + timedelta(hours=1)
        scenario.frozen(stack, starts)
        assert stack.get(link_in(scenario.emails["join link"], "/join/")).status == 302  # came joins
        scenario.frozen(stack, starts + timedelta(days=1))
        follow_up = {
            "recording_url": "https://example.org/recording",
            "feedback_url": "https://example.org/feedback",
        }
        answer = stack.invoke(
            "AdminFunction", {"action": "send_follow_up", "event_id": soon["id"], **follow_up}
        )
        assert answer.get("ok") is True, answer
        scenario.emails["follow-up (came)"] = one_more_email(stack, came, 4)
        scenario.emails["follow-up (missed)"] = one_more_email(stack, missed, 4)
    finally:
        stack.request("DELETE", "/_local/clock")
