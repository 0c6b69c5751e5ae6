"""Attended: the join link first opened between 15 minutes before the start and the end.

Opens earlier (mail scanners on delivery at 07:00) set `opened_at` only; the event counts
`links_opened` and `attended` apart, and `list_registrations` shows both times.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.testkit.api import call_api, invoke_admin, outbox
from shared import clock, services
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_morning_send import EVENT_DAY_0700, join_link_in_ics


@pytest.fixture
def fast_ses(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


def _open(token: str, at: datetime) -> int:
    clock.freeze(at)
    return call_api("GET", f"/join/{token}").status


def _people(event_id: str) -> dict[str, dict[str, object]]:
    answer = invoke_admin({"action": "list_registrations", "event_id": event_id})
    return {r["email"]: r for r in answer["registrations"]}


def test_only_an_open_while_the_event_is_on_counts_as_attending(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    for n, address in enumerate(
        ["early@example.org", "edge@example.org", "late@example.org", "after@example.org"]
    ):
        sign_up([event_id], email=address, name=f"Person {n}")
    tokens = {message["To"].addresses[0].addr_spec: join_link_in_ics(message) for message in outbox()}

    # A scanner at delivery, then the person at 2:10pm; the edge of the window; the end; too late.
    assert _open(tokens["early@example.org"], EVENT_DAY_0700) == 302
    assert _open(tokens["early@example.org"], datetime(2026, 12, 9, 14, 10, tzinfo=UTC)) == 302
    assert _open(tokens["edge@example.org"], datetime(2026, 12, 9, 13, 45, tzinfo=UTC)) == 302
    assert _open(tokens["late@example.org"], datetime(2026, 12, 9, 13, 44, 59, tzinfo=UTC)) == 302
    assert _open(tokens["after@example.org"], datetime(2026, 12, 9, 15, 30, 1, tzinfo=UTC)) == 302

    people = _people(event_id)
    assert people["early@example.org"]["opened_at"].startswith("2026-12-09T07:00")
    assert people["early@example.org"]["joined_at"].startswith("2026-12-09T14:10")
    assert people["edge@example.org"]["joined_at"].startswith("2026-12-09T13:45")
    assert people["late@example.org"]["joined_at"] is None  # one second before the window
    assert people["after@example.org"]["joined_at"] is None  # one second after the end
    event = services.get().stores.events.get(event_id)
    assert (event.links_opened, event.attended) == (4, 2)


def test_a_second_open_in_the_window_keeps_the_first_time_and_counts_once(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    (message,) = outbox()
    token = join_link_in_ics(message)

    _open(token, datetime(2026, 12, 9, 14, 1, tzinfo=UTC))
    _open(token, datetime(2026, 12, 9, 14, 20, tzinfo=UTC))

    assert _people(event_id)["ada@example.org"]["joined_at"].startswith("2026-12-09T14:01")
    assert services.get().stores.events.get(event_id).attended == 1
