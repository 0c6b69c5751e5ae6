"""`warnings` on create_event and update_event (issue 9 point 2): what an admin should look at
before the day, said in plain words, never a refusal."""

from __future__ import annotations

from infra.testkit.api import invoke_admin
from tests.integration.helpers import ZOOM

NO_ZOOM = {k: "" for k in ZOOM}


def create(starts_at: str, **fields: object) -> dict:
    answer = invoke_admin(
        {
            "action": "create_event",
            "title": "Co-production in a Digital World",
            "description": "How can digital tools help?",
            "starts_at": starts_at,
            "timezone": "Europe/London",
            **fields,
        }
    )
    assert answer["ok"], answer
    return answer


def codes(answer: dict) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


def test_an_event_with_everything_set_has_no_warnings(aws):  # the clock: 2026-11-25 10:00 UTC
    assert create("2026-12-09T14:00:00", **ZOOM)["warnings"] == []


def test_an_event_without_a_zoom_link_is_accepted_with_a_warning_until_one_is_added(aws):
    answer = create("2026-12-09T14:00:00")

    assert codes(answer) == ["no_zoom_link"]
    assert "zoom_join_url" in answer["warnings"][0]["message"]
    event_id = answer["event"]["id"]
    updated = invoke_admin({"action": "update_event", "event_id": event_id, **ZOOM})
    assert updated["ok"] and updated["warnings"] == []


def test_a_start_in_the_past_is_accepted_with_a_warning(aws):
    assert codes(create("2026-11-20T14:00:00", **ZOOM)) == ["starts_in_past"]


def test_an_event_later_today_after_the_morning_send_says_its_links_are_due(aws):
    answer = create("2026-11-25T18:00:00", **ZOOM)  # today, after 07:00's send moment

    assert codes(answer) == ["links_already_due"]
    assert "send_links" in answer["warnings"][0]["message"]


def test_the_mornings_run_counts_and_names_events_within_a_day_without_a_zoom_link(aws, capsys):
    from datetime import UTC, datetime

    from infra.testkit.morning import run_dispatch
    from shared import clock, services

    tomorrow = create("2026-12-10T14:00:00")["event"]["id"]  # no link, within 24 h of the run
    create("2026-12-09T18:00:00", **ZOOM)  # has its link
    create("2026-12-20T14:00:00")  # no link, but not yet within a day
    clock.freeze(datetime(2026, 12, 9, 17, 0, tzinfo=UTC))
    capsys.readouterr()

    run_dispatch("2026-12-09T17:00:00Z")

    out = capsys.readouterr().out
    assert '"EventsWithoutJoinUrl":[1.0]' in out.replace(" ", "")  # the metric the alarm watches
    assert services.get().dispatcher.without_join_url(clock.now()) == [tomorrow]  # what its log names
