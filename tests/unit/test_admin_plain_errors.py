"""Every registered admin action, given bad input of each kind, answers in plain words: a sentence
naming the field and the form it wants, never a validator's wording (issue 9 point 6).

The cases are made from functions/admin/registry.ACTIONS and each action's own model, so an action
added later is covered the day it is registered. Each case is first checked to fail the model's
validation, so no action ever runs here (and nothing needs AWS)."""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from functions.admin.handler import ACTIONS, run_action
from functions.admin.plain_errors import IN_MESSAGE

# Pydantic's (and Python's) wording, which a volunteer cannot act on.
FORBIDDEN = (
    "should be",
    "should have",
    "input should",
    "string should",
    "extra inputs",
    "field required",
    "validation error",
    "pydantic",
    "type=",
    "input_value",
    "value error",
    "assertion failed",
    "enumeration member",
    "unable to parse",
    "valid integer",
    "valid boolean",
    "valid dictionary",
    "valid string",
    "[type",
    "errors.pydantic.dev",
    "traceback",
)
EXAMPLE_DATE = "2026-12-09"


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {info.alias or name: info for name, info in model.model_fields.items() if name != "action"}


def _base(annotation: Any) -> Any:
    """The type under `X | None`."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        return others[0] if len(others) == 1 else annotation
    return annotation


def _limit(info: FieldInfo, key: str) -> Any:
    return next((getattr(c, key) for c in info.metadata if getattr(c, key, None) is not None), None)


def _choices(kind: Any) -> list[str] | None:
    if get_origin(kind) is Literal:
        return [str(arg) for arg in get_args(kind)]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(member.value) for member in kind]
    return None


def _field_cases(name: str, info: FieldInfo) -> Iterator[tuple[str, Any]]:
    """(kind of bad input, value) for one field, from its type and limits."""
    kind = _base(info.annotation)
    yield "an object where a value belongs", {"an": "object"}
    if kind is str and (longest := _limit(info, "max_length")) is not None:
        yield "too long", "x" * (longest + 1)
    if kind is str and (_limit(info, "min_length") or 0) >= 1:
        yield "empty", "   "
    if kind is int:
        yield "not a number", "many"
        if (low := _limit(info, "ge")) is not None:
            yield "too small", low - 1
        if (high := _limit(info, "le")) is not None:
            yield "too large", high + 1
    if kind is bool:
        yield "not true or false", "maybe"
    if kind in (date, datetime):
        yield "not a date", "next tuesday"
    if _choices(kind) is not None:
        yield "not one of the choices", "nonsense"


def cases() -> Iterator[Any]:
    for action, (model, _run) in sorted(ACTIONS.items()):
        fields = _fields(model)
        yield pytest.param(action, "unknown field", "colour", {"colour": "blue"}, id=f"{action}-unknown")
        required = [name for name, info in fields.items() if info.is_required()]
        for name in required:
            yield pytest.param(action, "missing", name, {}, id=f"{action}-missing-{name}")
        for name, info in fields.items():
            for kind, value in _field_cases(name, info):
                yield pytest.param(action, kind, name, {name: value}, id=f"{action}-{name}-{kind}")


def assert_plain(text: str) -> None:
    assert text.strip(), "an empty sentence"
    for fragment in FORBIDDEN:
        assert fragment not in text.lower(), f"validator's wording {fragment!r} in {text!r}"


@pytest.mark.parametrize(("action", "kind", "field", "bad"), list(cases()))
def test_every_action_answers_bad_input_in_plain_words_naming_the_field(action, kind, field, bad):
    model, _run = ACTIONS[action]
    event = {"action": action, **bad}
    with pytest.raises(ValidationError):
        model.model_validate(event)  # refused before the action runs

    answer = run_action(event)

    assert answer["ok"] is False, answer
    error = answer["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    problem = error["fields"][field]
    assert_plain(error["message"])
    for text in error["fields"].values():
        assert_plain(text)
    if list(error["fields"]).index(field) < IN_MESSAGE:
        assert f"{field}: {problem}" in error["message"]
    else:
        assert "see fields" in error["message"]
    info = _fields(model).get(field)
    expect_the_form(kind, problem, info, sorted({"action", *_fields(model)}))


def expect_the_form(kind: str, problem: str, info: FieldInfo | None, accepted: list[str]) -> None:
    """The sentence says what the field wants, from the model's own limits and choices."""
    if kind == "unknown field":
        assert problem.startswith("is not something this action takes; it takes action, ")
        assert all(name in problem for name in accepted)
        return
    assert info is not None
    base = _base(info.annotation)
    if kind == "missing":
        assert problem.startswith("is missing; give ")
    if kind == "too long":
        assert str(_limit(info, "max_length")) in problem and "characters" in problem
    if kind in ("too small", "too large", "not a number") and _limit(info, "ge") is not None:
        assert f"from {_limit(info, 'ge')} to {_limit(info, 'le')}" in problem
    if kind == "not one of the choices" or (kind == "missing" and _choices(base)):
        assert all(choice in problem for choice in _choices(base) or [])
    if kind == "not true or false":
        assert "true or false" in problem
    if base in (date, datetime):  # dates: an example of the form, whatever was wrong
        assert EXAMPLE_DATE in problem


def test_the_cases_cover_every_action_and_every_kind():
    made = list(cases())
    assert {case.values[0] for case in made} == set(ACTIONS)
    kinds = {case.values[1] for case in made}
    assert {
        "unknown field",
        "missing",
        "an object where a value belongs",
        "too long",
        "empty",
        "not a number",
        "too small",
        "too large",
        "not true or false",
        "not a date",
        "not one of the choices",
    } <= kinds


def test_a_field_alone_in_error_gets_exact_words():
    assert run_action({"action": "list_events", "when": "soon"})["error"] == {
        "code": "validation_error",
        "message": "when: give one of upcoming or past.",
        "fields": {"when": "give one of upcoming or past"},
    }
    capacity = run_action(
        {"action": "create_event", "title": "A", "starts_at": "2027-01-13T14:00", "capacity": 0}
    )
    assert capacity["error"]["fields"] == {
        "capacity": "is out of range; give a whole number from 1 to 100000"
    }
    report = run_action({"action": "report", "from": "13/01/2027"})
    assert report["error"]["fields"] == {
        "from": "give a date like 2026-12-09",
        "to": "is missing; give a date like 2026-12-09",
    }
    assert report["error"]["message"] == (
        "from: give a date like 2026-12-09. to: is missing; give a date like 2026-12-09."
    )


def test_a_rule_across_fields_keeps_its_own_words_and_junk_stays_readable():
    nobody = run_action({"action": "cancel_registration", "event_id": "e"})["error"]
    assert nobody["fields"] == {
        "body": "give the email, or the person_id from list_registrations for someone without email"
    }
    assert nobody["message"].startswith("Give the email, or the person_id")

    junk = run_action({"action": "delete_event", "event_id": "e", **{f"k{i}" * 50: i for i in range(5000)}})
    assert len(junk["error"]["fields"]) == 20
    assert all(len(name) <= 100 for name in junk["error"]["fields"])
    assert junk["error"]["message"].endswith("And 17 more: see fields.")


def test_a_validators_own_words_are_kept():
    # check_address's PydanticCustomError (a type of our own) and its ValueError, as written.
    not_ascii = run_action({"action": "resend_link", "event_id": "e", "email": "Ünï@example.org"})
    assert not_ascii["error"]["fields"]["email"].startswith("can only use the letters a to z")
    assert not_ascii["error"]["fields"]["email"].endswith("(here: Ü ï)")
    zone = run_action(
        {"action": "create_event", "title": "A", "starts_at": "2027-01-13T14:00", "timezone": "Mars"}
    )
    assert zone["error"]["fields"] == {"timezone": "is not a known IANA time zone, like Europe/London"}


def test_what_a_field_wants_is_read_from_any_model():
    """The words come from the model, so actions added later (lists, optional fields, other limits)
    get them without writing any."""
    from pydantic import Field

    from functions.admin.plain_errors import plain_fields, wants

    class Later(BaseModel):
        model_config = {"extra": "forbid"}
        event_ids: list[str] = Field(default_factory=list, max_length=50)
        audience: Literal["registered", "everyone"] | None = None
        seats: int = Field(default=1, gt=0, lt=11)
        share: float = Field(default=0.5, ge=0, le=1)
        subject: str = Field(min_length=3, max_length=150)
        recording_url: str | None = Field(default=None, max_length=500)

    info = Later.model_fields
    assert wants("event_ids", info["event_ids"]) == "a list of at most 50 items, each an event id"
    assert wants("audience", info["audience"]) == "one of registered or everyone"
    assert wants("seats", info["seats"]) == "a whole number from 1 to 10"
    assert wants("share", info["share"]) == "a number from 0 to 1"
    assert wants("subject", info["subject"]) == "a subject (3 to 150 characters)"
    assert wants("recording_url", info["recording_url"]) == "a recording url (at most 500 characters)"
    with pytest.raises(ValidationError) as refused:
        Later.model_validate({"event_ids": "one", "seats": 11, "subject": "hi", "audience": "all"})
    assert plain_fields(Later, refused.value.errors()) == {
        "event_ids": "give a list of at most 50 items, each an event id",
        "audience": "give one of registered or everyone",
        "seats": "is out of range; give a whole number from 1 to 10",
        "subject": "is too short; give a subject (3 to 150 characters)",
    }
