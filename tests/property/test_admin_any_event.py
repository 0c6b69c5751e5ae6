"""AdminFunction answers any JSON value at all as its test event with `{"ok": ...}`: never an
exception, never the answer for a failure of ours (`unavailable`), always an answer Lambda can
serialise and an admin can read (CONTRACT.md, "Functions invoked outside HTTP").

Events come from the actions' own models (shaped as they ask, and then mutated) and from arbitrary
JSON, against real moto resources from template.yaml holding events and registrations."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions.admin.handler import ACTIONS
from infra.testkit.api import invoke_admin
from shared import services
from tests.integration.helpers import create_event, sign_up
from tests.property.strategies import PROFILE, deep_values, huge_strings, junk, model_shaped, mutated

MAX_REFUSAL_BYTES = 8 * 1024  # a refusal names fields and says what they want: it never echoes junk


def check_answer(answer: Any) -> None:
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
    json.dumps(answer, allow_nan=False)  # Lambda must be able to return it
    if answer["ok"]:
        return
    assert set(answer) == {"ok", "error"}, answer
    error = answer["error"]
    assert isinstance(error["message"], str) and error["message"].strip()
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error["code"]), error
    assert error["code"] != "unavailable", f"a failure of ours, not a refusal: see the log ({error})"
    fields = error.get("fields", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()), fields
    assert len(json.dumps(answer)) < MAX_REFUSAL_BYTES, "a refusal echoed its input"


def any_event(event_ids: list[str]) -> st.SearchStrategy[Any]:
    """Two in five events shaped as an action's model asks, two in five of those mutated, and one
    in five anything else (any JSON; junk, a list, other case for the action; huge or deep values)."""
    hints = {"event_id": st.sampled_from(event_ids)}
    shaped = st.one_of(
        [model_shaped(model.model_json_schema(), hints) for _name, (model, _run) in sorted(ACTIONS.items())]
    )
    actions = st.sampled_from(sorted(ACTIONS))
    anything = st.one_of(
        junk,
        st.dictionaries(st.just("action"), junk | actions.map(lambda a: [a]) | actions.map(str.upper)),
        st.fixed_dictionaries({"action": actions}, optional={"x": junk, "event_id": junk}),
        st.builds(lambda action, n: {"action": action, "y" * n: 1}, actions, st.integers(1, 200_000)),
        st.builds(
            lambda action, value: {"action": action, "title": value}, actions, huge_strings | deep_values
        ),
    )
    return st.one_of(shaped, shaped, mutated(shaped), mutated(shaped), anything)


def test_admin_function_answers_any_event_with_ok_true_or_a_plain_refusal(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "1000")
    services.reset()
    event_ids = [
        create_event("Co-production in a Digital World", "2026-12-09T14:00:00"),
        create_event("When to re-balance the power?", "2027-01-13T14:00:00", capacity=2),
        create_event("What happened last time", "2026-11-20T14:00:00"),
    ]
    assert sign_up(event_ids[:2]).status == 201
    seen = {"ok": 0, "refused": 0}

    @PROFILE
    @given(event=any_event([*event_ids, "no-such-event"]))
    def answers(event: Any) -> None:
        answer = invoke_admin(event)
        check_answer(answer)
        seen["ok" if answer["ok"] else "refused"] += 1

    answers()
    # Both sides were reached: valid-shaped events ran actions, and junk was refused.
    assert seen["ok"] > 0 and seen["refused"] > 0, seen


MALFORMED = [  # (event, the field its refusal names)
    ({"action": ["create_event"]}, "action"),  # raised TypeError (unhashable list) before
    ({"action": {"name": "create_event"}}, "action"),  # raised TypeError before
    ({"action": 7}, "action"),
    ({"action": None}, "action"),
    ({}, "action"),
    ({"action": "CREATE_EVENT"}, "action"),
    ([{"action": "list_events"}], "body"),
    ("list_events", "body"),
    (None, "body"),
    (1.5, "body"),
    ({"action": "list_events", "when": ["past"]}, "when"),
    ({"action": "list_events", "x" * 100_000: 1}, "x" * 99 + "…"),  # was echoed whole (100 KB)
    ({"action": "create_event", "title": "x" * 1_000_000, "starts_at": "2026-12-09T14:00"}, "title"),
    # Found by the property test: both escaped ZoneInfo as an OSError (answered unavailable).
    ({"action": "create_event", "title": "t", "starts_at": "2026-12-09", "timezone": "x" * 1000}, "timezone"),
    ({"action": "update_event", "event_id": "e", "timezone": "Europe"}, "timezone"),
]


def test_malformed_events_are_refused_naming_the_field(aws):
    for event, field in MALFORMED:
        answer = invoke_admin(event)
        check_answer(answer)
        assert answer["ok"] is False and field in answer["error"]["fields"], (repr(event)[:80], answer)
    # Thousands of unknown fields: twenty named, the answer stays readable.
    answer = invoke_admin({"action": "list_events", **{f"junk{n}": n for n in range(5000)}})
    check_answer(answer)
    assert len(answer["error"]["fields"]) == 20


def test_a_fault_of_ours_inside_an_action_is_answered_not_raised(aws, monkeypatch, caplog):
    model, _run = ACTIONS["list_events"]

    def broken(_request: Any) -> dict[str, Any]:
        raise KeyError("a bug")

    monkeypatch.setitem(ACTIONS, "list_events", (model, broken))
    answer = invoke_admin({"action": "list_events"})
    assert answer["ok"] is False and answer["error"]["code"] == "unavailable", answer
    assert any(r.getMessage() == "unexpected failure" for r in caplog.records)
