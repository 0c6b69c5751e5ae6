"""Hypothesis strategies and settings profiles for the property tests: any JSON at all, events
shaped like the admin actions' models (then mutated), and HTTP requests of any shape.

Profiles (chosen by the PROPERTY_PROFILE environment variable):
- `property` (the default, `make test`): 500 cases per test, derandomised (the same cases on every
  run, so a failure is never a fluke of the seed), no deadline (the machine is shared);
- `fuzz` (`make fuzz-property`, part of `make fuzz`): 5,000 random cases per test, a new seed
  each run, the reproduction blob printed with any failure.
"""

from __future__ import annotations

import json
import os
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "property", max_examples=500, derandomize=True, deadline=None, database=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "fuzz",
    max_examples=5000,
    derandomize=False,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)
PROFILE = settings.get_profile(os.environ.get("PROPERTY_PROFILE", "property"))


# ---------------------------------------------------------------------------------------------
# Any JSON
# ---------------------------------------------------------------------------------------------
def nested(depth: int, leaf: Any = None) -> Any:
    """`depth` lists inside one another (built iteratively: no recursion limit)."""
    value = leaf
    for n in range(depth):
        value = [value] if n % 2 else {"a": value}
    return value


ODD_TEXT = ["", " ", "\x00", "\r\n", "on", "true", "null", "[]", "{}", "ü", "\ud7ff", "\U0001d518"]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text()
    | st.sampled_from(ODD_TEXT)
)
huge_strings = st.integers(min_value=1_000, max_value=300_000).map(lambda n: "x" * n)
deep_values = st.integers(min_value=8, max_value=400).map(nested)

any_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=20), children, max_size=6)
    ),
    max_leaves=25,
)
junk = any_json | huge_strings | deep_values
"""Any value a JSON document can hold, huge strings and very deep nesting included."""


# ---------------------------------------------------------------------------------------------
# Values by their JSON schema (the admin actions' models), then mutated
# ---------------------------------------------------------------------------------------------
_BASE = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
_ZONES = ["Europe/London", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Mars/Olympus", ""]


def _datetime_text() -> st.SearchStrategy[str]:
    """Times around the tests' "now", naive or with an offset, and times far off."""
    moments = st.integers(min_value=-400 * 24 * 60, max_value=800 * 24 * 60).map(
        lambda minutes: _BASE + timedelta(minutes=minutes)
    )
    return st.one_of(
        moments.map(lambda d: d.replace(tzinfo=None).isoformat(timespec="minutes")),
        moments.map(lambda d: d.isoformat()),
        st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)).map(
            datetime.isoformat
        ),
        st.sampled_from(["2026-13-01T10:00", "2026-02-30T10:00", "tomorrow", "2026-12-09T25:00", "T"]),
    )


def _for_field(name: str, schema: dict[str, Any], defs: dict[str, Any], hints: dict[str, Any]) -> Any:
    """A value for one property: usually of its declared shape, with the field's likely values."""
    if name in hints:
        return hints[name] | _from_schema(schema, defs)
    if name in {"email", "to"}:
        return st.emails().map(str) | _from_schema(schema, defs)
    if name == "timezone":
        return st.sampled_from(_ZONES) | _from_schema(schema, defs)
    return _from_schema(schema, defs)


def _from_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return _from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_from_schema(s, defs) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)) | st.integers()
    if kind == "string":
        if schema.get("format") == "date-time":
            return _datetime_text()
        if schema.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat()) | st.text(max_size=12)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
        return st.text(min_size=low, max_size=min(high, 300)) | st.text(
            alphabet=string.ascii_letters + " -", min_size=max(low, 1), max_size=min(high, 60)
        )
    return junk


@st.composite
def model_shaped(draw: st.DrawFn, schema: dict[str, Any], hints: dict[str, Any]) -> dict[str, Any]:
    """A dict shaped by a model's JSON schema: required properties always, the others by chance."""
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    event: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name in required or "const" in prop or draw(st.booleans()):
            event[name] = draw(_for_field(name, prop, defs, hints))
    return event


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A valid-shaped dict with one to three things done to it: a field dropped, a value replaced
    by any JSON, a field added (known names too), or a value stretched past every limit."""
    event = dict(draw(base))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        move = draw(st.sampled_from(["drop", "replace", "add", "stretch"]))
        names = sorted(event)
        if move == "drop" and names:
            event.pop(draw(st.sampled_from(names)))
        elif move == "replace" and names:
            event[draw(st.sampled_from(names))] = draw(junk)
        elif move == "stretch" and names:
            event[draw(st.sampled_from(names))] = draw(huge_strings)
        else:
            event[draw(st.text(max_size=30) | st.sampled_from(names or ["x"]))] = draw(junk)
    return event


# ---------------------------------------------------------------------------------------------
# HTTP requests
# ---------------------------------------------------------------------------------------------
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/problem+json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data; boundary=x",
    "text/plain",
    "text/html",
    "application/xml",
    "application/octet-stream",
    ";",
    "",
]
ACCEPTS = [
    "application/json",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "*/*",
    "application/json;q=0.5, text/html;q=0.9",
    "text/*;q=nan, application/json;q=1e999",
    "image/png",
    ";;;,,,q=",
    "",
]


def form_body(fields: dict[str, Any]) -> bytes:
    """A web form's body: each value as its text (lists repeat the field), percent-encoded."""
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item if isinstance(item, str) else json.dumps(item)))
    return urlencode(pairs).encode()


def json_body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
