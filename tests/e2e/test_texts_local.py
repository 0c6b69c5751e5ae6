"""The morning text on the local stack (`make run SMS_ENABLED=on IAM=on`): a late sign-up with a
mobile number is texted within seconds, the text shows at GET /_local/sms, and its short link
joins. A stack of its own: the shared one runs with texts off, as a deployment does by default."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.local_stack import LocalStack, start_local_stack, unique_address

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def texting_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = start_local_stack(
        tmp_path_factory.mktemp("e2e-texts"), seed=False, extra_env={"SMS_ENABLED": "on"}
    )
    yield stack
    stack.stop()


def test_a_late_sign_up_is_texted_and_the_short_link_joins(texting_stack: LocalStack) -> None:
    day = date.today() + timedelta(days=3)
    event = texting_stack.invoke(
        "AdminFunction",
        {
            "action": "create_event",
            "title": "Texts end to end: " + "a title long enough that one text cannot hold it whole " * 2,
            "starts_at": f"{day.isoformat()}T14:00:00",
            "zoom_join_url": "https://zoom.us/j/0000000077",
        },
    )["event"]
    noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=LONDON).astimezone(UTC)
    assert texting_stack.request("PUT", "/_local/clock", json_body={"now": noon.isoformat()}).status == 200
    try:
        texting_stack.request("DELETE", "/_local/sms")
        signed = texting_stack.request(
            "POST",
            "/signups",
            json_body={
                "name": "Text Person",
                "email": unique_address("texts"),
                "role": "lived_experience",
                "event_ids": [event["id"]],
                "consent": True,
                "phone": "07400 123456",
                "sms_consent": True,
            },
        )
        assert signed.status == 201, signed.text
        messages: list[dict[str, str]] = []
        deadline = time.monotonic() + 20
        while not messages and time.monotonic() < deadline:
            messages = texting_stack.get("/_local/sms").json()["messages"]
            time.sleep(0.2)
        assert [m["to"] for m in messages] == ["+447400123456"], texting_stack.log_tail()
        body = messages[0]["body"]
        assert body.startswith("Texts end to end: a title") and "..." in body.split("\n")[0]
        assert "Today 2:00pm UK time" in body
        code = re.search(r"/j/([2-9a-km-z]{12})$", body)
        assert code, body
        joined = texting_stack.get(f"/j/{code.group(1)}")
        assert joined.status == 302 and joined.headers["location"] == "https://zoom.us/j/0000000077"
    finally:
        texting_stack.request("DELETE", "/_local/clock")
