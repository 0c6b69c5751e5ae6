"""HTTP plumbing of the public API: content negotiation, request bodies, answers and the one error map."""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from shared.domain.errors import (
    DomainError,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)

logger = Logger(service="api")

MAX_BODY_BYTES = 16 * 1024
JSON = "application/json"
HTML = "text/html; charset=utf-8"
RETRY_AFTER_SECONDS = "30"


def _accept_quality(accept: str, wanted: str) -> float:
    """The q-value the Accept header gives `wanted` (type/subtype), counting wildcards."""
    best, best_specificity = 0.0, -1
    major = wanted.split("/")[0]
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        quality = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media == wanted:
            specificity = 2
        elif media == f"{major}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best, best_specificity = quality, specificity
    return best


def prefers_html(headers: Mapping[str, str], *, page: bool) -> bool:
    """Does the caller prefer HTML? Pages default to HTML, the JSON API to JSON; a tie keeps the default."""
    accept = headers.get("accept", "")
    if not accept.strip():
        return page
    html = _accept_quality(accept, "text/html")
    json_quality = _accept_quality(accept, "application/json")
    if html == json_quality:
        return page
    return html > json_quality


def read_body(event: APIGatewayProxyEventV2) -> tuple[dict[str, Any], bool]:
    """The request body as a dict, and whether it came from an HTML form.

    Forms keep repeated fields as lists only where they repeat (`event_ids`); JSON must be an object.
    """
    raw = event.body or ""
    data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"That request is too large (the limit is {MAX_BODY_BYTES // 1024} KiB).")
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(data.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise ValidationFailed(
                "The form could not be read.", fields={"body": "is not valid UTF-8"}
            ) from None
        form: dict[str, Any] = {k: (v if k == "event_ids" else v[-1]) for k, v in fields.items()}
        return form, True
    if content_type == JSON or content_type.endswith("+json"):
        try:
            parsed = json.loads(data or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed(
                "The body is not valid JSON.", fields={"body": "is not valid JSON"}
            ) from None
        if not isinstance(parsed, dict):
            raise ValidationFailed(
                "The body must be a JSON object.", fields={"body": "must be a JSON object"}
            )
        return parsed, False
    if not data and not content_type:
        return {}, False
    raise UnsupportedMediaType(
        "Please send JSON (application/json) or a web form (application/x-www-form-urlencoded)."
    )


# Messages a person can act on, GOV.UK style, by field and pydantic error type.
_FRIENDLY: dict[str, dict[str, str]] = {
    "name": {
        "missing": "Enter your name",
        "string_too_short": "Enter your name",
        "string_too_long": "Your name must be 100 characters or fewer",
        "value_error": "Your name must not contain control characters",
    },
    "email": {
        "missing": "Enter your email address",
        "value_error": "Enter an email address in the correct format, like name@example.com",
        "string_too_long": "Enter an email address in the correct format, like name@example.com",
    },
    "role": {
        "missing": "Select the option that best describes you",
        "enum": "Select one of the listed roles",
    },
    "organisation": {"string_too_long": "Organisation must be 200 characters or fewer"},
    "access_needs": {"string_too_long": "Access needs must be 1,000 characters or fewer"},
    "event_ids": {
        "missing": "Select at least one conversation",
        "too_short": "Select at least one conversation",
        "too_long": "Select no more than 20 conversations at once",
        "string_pattern_mismatch": "One of the event ids is not valid",
    },
    "consent": {
        "missing": "Agree to the privacy notice to sign up",
        "value_error": "Agree to the privacy notice to sign up",
        "bool_parsing": "Agree to the privacy notice to sign up",
    },
}


def fields_from_errors(errors: list[Any]) -> dict[str, str]:
    """Flat field name -> what is wrong, from pydantic (or Powertools) errors. Never echoes input."""
    fields: dict[str, str] = {}
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        name = str(loc[0]) if loc else "body"
        if name in fields:
            continue
        kind = error.get("type", "")
        friendly = _FRIENDLY.get(name, {}).get(kind)
        if friendly is None and kind == "value_error":
            friendly = str(error.get("msg", "")).removeprefix("Value error, ")
        if friendly is None:
            friendly = "is required" if kind == "missing" else str(error.get("msg", "is not valid")).lower()
        fields[name] = friendly
    return fields


def validation_failed(error: ValidationError) -> ValidationFailed:
    return ValidationFailed(fields=fields_from_errors(error.errors(include_input=False)))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, ensure_ascii=False, default=str),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


# Pages carry personal tokens in their URLs: never send them on as a Referer, never frame them.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status, content_type=HTML, body=html, headers={**PAGE_HEADERS, **(headers or {})}
    )


def error_body(error: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.fields is not None:
        body["fields"] = error.fields
    return {"error": body}


def error_headers(error: DomainError) -> dict[str, str]:
    return {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(error, Unavailable) else {}


def log_unexpected(error: BaseException) -> None:
    """Log an unexpected failure without its message: messages can carry input (addresses, names)."""
    logger.error(
        "unexpected failure",
        extra={
            "error_type": type(error).__name__,
            "stack": "".join(traceback.format_tb(error.__traceback__)),
        },
    )
