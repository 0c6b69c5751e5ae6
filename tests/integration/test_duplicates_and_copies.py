"""The duplicate guard (`duplicate_event`: one event per title and local day unless
`allow_duplicate`, held by a conditional write) and `copy_event` (next month's event from this one)."""

from __future__ import annotations

from infra.testkit.api import invoke_admin
from shared import services
from tests.integration.helpers import ZOOM, create_event, sign_up

TITLE = "Co-production in a Digital World"


def _create(title: str = TITLE, starts_at: str = "2026-12-09T14:00:00", **fields: object) -> dict:
    return invoke_admin({"action": "create_event", "title": title, "starts_at": starts_at, **fields})


def _ids(when: str = "upcoming") -> list[str]:
    return [e["id"] for e in invoke_admin({"action": "list_events", "when": when})["events"]]


# --- duplicate_event --------------------------------------------------------------------------------


def test_pressing_test_twice_makes_one_event(aws):
    first = _create()
    second = _create()

    assert first["ok"] is True
    assert second["ok"] is False
    assert second["error"]["code"] == "duplicate_event"
    assert first["event"]["id"] in second["error"]["message"]
    assert "allow_duplicate" in second["error"]["message"]
    assert second["error"]["fields"] == {"title": "is the title of another event on that day"}
    assert _ids() == [first["event"]["id"]]


def test_the_same_title_is_the_same_trimmed_in_any_case_and_spacing_on_the_same_local_day(aws):
    _create(starts_at="2026-12-09T10:00:00")

    assert _create("  co-production IN a   digital world ", "2026-12-09T18:00:00")["error"]["code"] == (
        "duplicate_event"
    )
    # 23:30 in New York on the 8th is the 9th in London, but the 8th is that event's own local day.
    assert _create(starts_at="2026-12-08T23:30:00", timezone="America/New_York")["ok"] is True
    assert _create(starts_at="2026-12-10T10:00:00")["ok"] is True
    assert _create("Co-production in a Digital World, part 2", "2026-12-09T16:00:00")["ok"] is True


def test_allow_duplicate_makes_a_second_event_and_the_guard_still_holds_for_a_third(aws):
    _create()
    second = _create(starts_at="2026-12-09T18:00:00", allow_duplicate=True)
    third = _create(starts_at="2026-12-09T19:00:00")

    assert second["ok"] is True and second["event"]["id"] == "2026-12-09-co-production-in-a-digital-world-2"
    assert third["error"]["code"] == "duplicate_event"
    assert "2026-12-09-co-production-in-a-digital-world-2" in third["error"]["message"]


def test_a_cancelled_or_deleted_event_frees_its_title_and_day(aws):
    cancelled = _create()["event"]["id"]
    assert invoke_admin({"action": "cancel_event", "event_id": cancelled})["ok"] is True
    again = _create()
    assert again["ok"] is True

    assert invoke_admin({"action": "delete_event", "event_id": again["event"]["id"]})["ok"] is True
    assert _create()["ok"] is True


def test_update_event_is_refused_onto_another_events_title_and_day_and_frees_the_old_one(aws):
    first = create_event("Morning", "2026-12-09T10:00:00")
    second = create_event("Afternoon", "2026-12-09T14:00:00")

    renamed = invoke_admin({"action": "update_event", "event_id": second, "title": "MORNING"})
    assert renamed["error"]["code"] == "duplicate_event"
    assert services.get().stores.events.get(second).title == "Afternoon"  # nothing half-written

    within_its_day = {"action": "update_event", "event_id": first, "starts_at": "2026-12-09T11:00:00"}
    assert invoke_admin(within_its_day)["ok"] is True
    away = {"action": "update_event", "event_id": first, "starts_at": "2026-12-10T11:00:00"}
    assert invoke_admin(away)["ok"] is True
    renamed_now = invoke_admin({"action": "update_event", "event_id": second, "title": "MORNING"})
    assert renamed_now["ok"] is True, renamed_now
    # The old title and day ("Afternoon", the 9th) are free again.
    assert _create("Afternoon", "2026-12-09T16:00:00")["ok"] is True
    forced = invoke_admin(
        {
            "action": "update_event",
            "event_id": second,
            "starts_at": "2026-12-10T15:00:00",
            "allow_duplicate": True,
        }
    )
    assert forced["ok"] is True


def test_two_admins_creating_the_same_event_at_once_make_one(aws):
    """The guard is the write's condition: an admin whose create lands between another's check and
    write would get a second event if it were a read. Here the other create lands just before
    this one's transaction, and this one is refused."""
    table = services.get().stores.events.table
    real_transact = table.transact
    other: list[dict] = []

    def the_other_admin_first(writes):
        if not other:
            other.append({})
            table.transact = real_transact  # type: ignore[method-assign]
            other[0] = _create(starts_at="2026-12-09T14:00:00")
        return real_transact(writes)

    table.transact = the_other_admin_first  # type: ignore[method-assign]
    try:
        mine = _create(starts_at="2026-12-09T14:00:00")
    finally:
        table.transact = real_transact  # type: ignore[method-assign]

    assert other[0]["ok"] is True
    assert mine["error"]["code"] == "duplicate_event"
    assert _ids() == [other[0]["event"]["id"]]


# --- copy_event -------------------------------------------------------------------------------------


def test_copy_event_makes_next_months_event_with_the_same_words_length_zone_and_places(aws):
    source = create_event(
        starts_at="2026-12-09T14:00:00", duration_minutes=120, capacity=40, timezone="Europe/London"
    )
    sign_up([source])

    answer = invoke_admin({"action": "copy_event", "event_id": source, "starts_at": "2027-01-13T14:00:00"})

    assert answer["ok"] is True, answer
    copy = answer["event"]
    assert copy["id"] == "2027-01-13-co-production-in-a-digital-world"
    assert copy["title"] == TITLE
    assert copy["description"] == "How can digital tools help people work together as equals?"
    assert (copy["starts_at"], copy["ends_at"]) == ("2027-01-13T14:00:00+00:00", "2027-01-13T16:00:00+00:00")
    assert (copy["timezone"], copy["capacity"]) == ("Europe/London", 40)
    assert (
        copy["zoom_join_url"]
        == copy["zoom_meeting_id"]
        == copy["zoom_passcode"]
        == copy["zoom_dial_in"]
        == ""
    )
    assert copy["registered_count"] == copy["waitlisted_count"] == 0
    assert services.get().stores.registrations.of_event(copy["id"]) == []
    assert [w["code"] for w in answer["warnings"]] == ["no_zoom_link"]


def test_copy_event_takes_any_create_field_to_change_and_zoom_details_only_if_given(aws):
    source = create_event(starts_at="2026-12-09T14:00:00")

    answer = invoke_admin(
        {
            "action": "copy_event",
            "event_id": source,
            "starts_at": "2027-01-13T10:00:00",
            "title": "Co-production in a Digital World: a year on",
            "capacity": None,
            "duration_minutes": 60,
            **ZOOM,
        }
    )

    copy = answer["event"]
    assert copy["title"] == "Co-production in a Digital World: a year on"
    assert copy["ends_at"] == "2027-01-13T11:00:00+00:00"
    assert copy["capacity"] is None
    assert copy["zoom_join_url"] == ZOOM["zoom_join_url"]
    assert answer["warnings"] == []


def test_copy_event_onto_the_same_day_is_a_duplicate_and_a_missing_source_is_not_found(aws):
    source = create_event(starts_at="2026-12-09T14:00:00")

    same_day = invoke_admin({"action": "copy_event", "event_id": source, "starts_at": "2026-12-09T18:00:00"})
    missing = invoke_admin({"action": "copy_event", "event_id": "nope", "starts_at": "2027-01-13T14:00:00"})
    no_start = invoke_admin({"action": "copy_event", "event_id": source})

    assert same_day["error"]["code"] == "duplicate_event"
    assert missing["error"]["code"] == "not_found"
    assert no_start["ok"] is False and "starts_at" in no_start["error"]["fields"]
