"""The one error map: every failure an entry point answers becomes a `Problem` here, which the API
shapes as `{"error": {...}}` with its HTTP status (and pages), and AdminFunction as
`{"ok": false, "error": {...}}`.

- A domain error (shared/domain/errors.py) carries its own code, status and sentence.
- A validation error becomes `validation_error` with `fields`: flat field names (`body` for the
  body as a whole), each with a sentence for a person, never a validator's wording where a
  friendlier one is known, and never echoing the input.
- `rate_limited` (429) carries Retry-After: the seconds until the limit's window ends.
- Anything else is `unavailable` (503, Retry-After): logged by type and stack, never its message
  (messages can carry addresses or names), and no stack trace reaches a caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.boundary import JsonObject
from shared.domain.errors import DomainError, RateLimited, Unavailable, ValidationFailed
from shared.observability import logger_for

RETRY_AFTER_SECONDS = "30"
_LOCATIONS = ("body", "query", "path", "header")


@dataclass(frozen=True)
class Problem:
    code: str
    status: int
    message: str
    fields: dict[str, str] | None = None
    retry_after: str | None = None

    def detail(self) -> JsonObject:
        detail: JsonObject = {"code": self.code, "message": self.message}
        if self.fields is not None:
            detail["fields"] = self.fields
        return detail

    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after else {}


def from_domain(error: DomainError) -> Problem:
    retry = RETRY_AFTER_SECONDS if isinstance(error, Unavailable) else None
    if isinstance(error, RateLimited) and error.retry_after_seconds:
        retry = str(error.retry_after_seconds)  # CONTRACT.md: 429 carries Retry-After too
    return Problem(error.code, error.status, error.message, error.fields, retry)


def field_problems(
    errors: Sequence[Mapping[str, Any]], friendly: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Flat field name -> what is wrong, from pydantic's (or Powertools') errors, in `friendly`'s
    words where it has them (by field, then by pydantic's error type)."""
    fields: dict[str, str] = {}
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in _LOCATIONS]
        name = str(loc[0]) if loc else "body"
        if name in fields:
            continue
        kind = str(error.get("type", ""))
        words = friendly.get(name, {}).get(kind)
        if words is None and kind == "value_error":
            words = str(error.get("msg", "")).removeprefix("Value error, ")
        if words is None:
            words = "is required" if kind == "missing" else str(error.get("msg", "is not valid")).lower()
        fields[name] = words
    return fields


def validation_failed(
    errors: Sequence[Mapping[str, Any]], friendly: Mapping[str, Mapping[str, str]], message: str | None = None
) -> ValidationFailed:
    return ValidationFailed(message, fields=field_problems(errors, friendly))


def from_unexpected(error: BaseException, service: str) -> Problem:
    """Log an unexpected failure without its message (messages can carry input), and answer 503."""
    import traceback  # only on this rare path (cold start)

    logger_for(service).error(
        "unexpected failure",
        extra={
            "error_type": type(error).__name__,
            "stack": "".join(traceback.format_tb(error.__traceback__)),
        },
    )
    return from_domain(Unavailable())
