"""Plain words for an admin's test event that does not fit its action: the one translation from
pydantic's errors to sentences naming the field and the form it wants.

Every action's model (functions/admin/registry.ACTIONS) gets it without writing a word: what a
field wants is read from the model itself (its type, `Literal` choices or enum values, length and
range limits, `title` and `description`), so it stays true when a limit changes. A validator's
own words (`raise ValueError("must be ...")`, or a `PydanticCustomError` of a type of our own) are
already a person's, and are kept. Nothing of
the input is echoed but the names of unknown fields, shortened.

    title: is too long; give a title (at most 200 characters)
    capacity: is out of range; give a whole number from 1 to 100000
    when: give one of upcoming or past
    starts_at: give a date and time like 2026-12-09T14:00:00
    colour: is not something this action takes; it takes action, event_id, ...
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core.core_schema import ErrorType

MAX_FIELDS = 20  # an event full of junk still gets an answer of a readable size
IN_MESSAGE = 3  # problems spelled out in the message; the rest are in `fields`
_MAX_NAME = 100
WHOLE = "body"  # the test event as a whole (a rule across fields)

# What is wrong, before what the field wants ("" when the wanted form says it all).
_LEADS = {
    "missing": "is missing; ",
    "string_too_long": "is too long; ",
    "too_long": "has too many items; ",
    "too_short": "has too few items; ",
    "greater_than": "is out of range; ",
    "greater_than_equal": "is out of range; ",
    "less_than": "is out of range; ",
    "less_than_equal": "is out of range; ",
    "multiple_of": "is out of range; ",
    "string_pattern_mismatch": "is not in the form it takes; ",
    "json_invalid": "is not valid JSON; ",
}
# A validator's own sentence, behind pydantic's prefix.
_OWN_WORDS = {"value_error": "Value error, ", "assertion_error": "Assertion failed, "}
# Pydantic's own error types; any other is a `PydanticCustomError` of ours, in our words.
_PYDANTICS = frozenset(get_args(ErrorType))


def plain_fields(model: type[BaseModel], errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Field name -> what is wrong and the form it wants, for each field at fault (its first
    problem), at most MAX_FIELDS of them."""
    known = _fields_of(model)
    fields: dict[str, str] = {}
    for error in errors:
        loc = error.get("loc", ())
        name = _shortened(str(loc[0])) if loc else WHOLE
        if name in fields:
            continue
        if len(fields) == MAX_FIELDS:
            break
        fields[name] = _problem(error, known.get(name), known)
    return fields


def plain_message(fields: Mapping[str, str]) -> str:
    """The error's message: the first problems as sentences, each naming its field."""
    sentences = [
        _sentence(problem) if name == WHOLE else f"{name}: {problem}."
        for name, problem in list(fields.items())[:IN_MESSAGE]
    ]
    if len(fields) > IN_MESSAGE:
        sentences.append(f"And {len(fields) - IN_MESSAGE} more: see fields.")
    return " ".join(sentences)


def wants(name: str, info: FieldInfo) -> str:
    """What a field takes, in words: "a whole number from 1 to 100000"."""
    return _describe(info.annotation, _limits(info), info.title or name.replace("_", " "))


def _problem(error: Mapping[str, Any], info: FieldInfo | None, known: Mapping[str, FieldInfo]) -> str:
    kind, loc = str(error.get("type", "")), error.get("loc", ())
    if kind in _OWN_WORDS or kind not in _PYDANTICS:
        return str(error.get("msg", "")).removeprefix(_OWN_WORDS.get(kind, ""))
    if not loc:
        return "give a JSON object with the fields this action takes: " + ", ".join(known)
    if kind == "extra_forbidden" or info is None:
        return "is not something this action takes; it takes " + ", ".join(known)
    lead = _LEADS.get(kind, "")
    if kind == "string_too_short":
        lead = "is empty; " if _limits(info).min_length <= 1 else "is too short; "
    if kind == "string_pattern_mismatch" and info.description:
        return f"{lead}give {info.description}"
    return f"{lead}give {wants(str(loc[0]), info)}"


def _fields_of(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The names a test event uses (the alias where there is one): `action` first, then the
    model's order."""
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    return dict(sorted(fields.items(), key=lambda item: item[0] != "action"))


@dataclass(frozen=True)
class Limits:
    """A field's length and range constraints, as its model declares them."""

    min_length: int = 0
    max_length: int | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None


NO_LIMITS = Limits()


def _limits(info: FieldInfo) -> Limits:
    found = {
        key: getattr(constraint, key)
        for constraint in info.metadata
        for key in ("min_length", "max_length", "ge", "gt", "le", "lt")
        if getattr(constraint, key, None) is not None
    }
    return Limits(**found)


def _describe(annotation: Any, limits: Limits, noun: str) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        forms = [_describe(arg, limits, noun) for arg in args if arg is not type(None)]
        return _either(list(dict.fromkeys(forms)))
    if origin is Literal:
        return "one of " + _either([str(arg) for arg in args])
    if origin in (list, tuple, set, frozenset):
        one = noun.removesuffix("s") if noun.endswith("s") else "value"  # event ids: each an event id
        item = _describe(args[0], NO_LIMITS, one) if args else "a value"
        count = _count(limits, "item")
        return f"a list{' of ' + count if count else ''}, each {item}"
    if isinstance(annotation, type):
        return _describe_type(annotation, limits, noun)
    return _article(noun)


def _describe_type(annotation: type, limits: Limits, noun: str) -> str:
    if issubclass(annotation, Enum):
        return "one of " + _either([str(member.value) for member in annotation])
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _range(limits, whole=True)
    if annotation is float:
        return "a number" + _range(limits, whole=False)
    if annotation is datetime:
        return "a date and time like 2026-12-09T14:00:00"
    if annotation is date:
        return "a date like 2026-12-09"
    if annotation is time:
        return "a time like 14:00"
    if issubclass(annotation, BaseModel):
        return "an object with " + ", ".join(_fields_of(annotation))
    if annotation is dict:
        return "an object"
    if annotation is str:
        count = _count(limits, "character")
        return f"{_article(noun)} ({count})" if count else _article(noun)
    return _article(noun)


def _range(limits: Limits, whole: bool) -> str:
    step = 1 if whole else 0
    low = limits.ge if limits.gt is None else limits.gt + step
    high = limits.le if limits.lt is None else limits.lt - step
    if low is not None and high is not None:
        return f" from {_number(low)} to {_number(high)}"
    if low is not None:
        return f" of at least {_number(low)}" if step or limits.gt is None else f" above {_number(low)}"
    if high is not None:
        return f" of at most {_number(high)}" if step or limits.lt is None else f" below {_number(high)}"
    return ""


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _count(limits: Limits, unit: str) -> str:
    low, high = limits.min_length, limits.max_length
    if high is not None and low > 1:
        return f"{low} to {high} {unit}s"
    if high is not None:
        return f"at most {high} {unit}{'s' if high != 1 else ''}"
    if low > 1:
        return f"at least {low} {unit}s"
    return ""


def _either(choices: list[str]) -> str:
    return choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " or " + choices[-1]


def _article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _sentence(problem: str) -> str:
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _shortened(text: str) -> str:
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1] + "…"
