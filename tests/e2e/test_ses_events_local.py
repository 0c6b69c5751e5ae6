"""SesEventsFunction through the local stack's `/_local/invoke/` route, as an admin would replay
SES's EventBridge payload from the Lambda console (CONTRACT.md "Local-only routes")."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.e2e.local_stack import LocalStack, unique_address

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def bounce_for(address: str) -> dict[str, Any]:
    text = (FIXTURES / "ses-eventbridge-bounce-permanent.json").read_text()
    return json.loads(text.replace("recipient@example.com", address))  # type: ignore[no-any-return]


def sign_up(stack: LocalStack, address: str, event_id: str) -> dict[str, Any]:
    answer = stack.request(
        "POST",
        "/signups",
        json_body={
            "name": "Rita Recipient",
            "email": address,
            "role": "frontline_staff",
            "event_ids": [event_id],
            "consent": True,
        },
    )
    assert answer.status == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_given_a_local_permanent_bounce_when_the_person_signs_up_again_then_they_are_not_emailed(
    local_stack: LocalStack,
) -> None:
    # Given someone signed up, whose confirmation went out
    first = local_stack.create_event("End-to-end bounce, first", starts_in=timedelta(days=20))
    second = local_stack.create_event("End-to-end bounce, second", starts_in=timedelta(days=21))
    address = unique_address("bounce")
    assert sign_up(local_stack, address, first["id"])["signup"]["confirmation"] == "sent"
    assert len(local_stack.emails_to(address)) == 1

    # When SES reports a permanent bounce for their address (in another case), through the invoke route
    answer = local_stack.invoke("SesEventsFunction", bounce_for(address.upper()))

    # Then it is suppressed, and a later sign-up is registered but sends nothing
    assert answer == {"suppressed": 1, "ignored": 0}
    again = sign_up(local_stack, address, second["id"])
    assert again["signup"] == {
        "registrations": [{"event_id": second["id"], "status": "registered"}],
        "confirmation": "suppressed",
    }
    local_stack.wait_until_the_outbound_queue_is_empty()  # nothing left that could still send
    assert len(local_stack.emails_to(address, timeout=0)) == 1
