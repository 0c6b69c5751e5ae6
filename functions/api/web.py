"""HTTP plumbing of the public API: content negotiation, request bodies, answers, and the API's own
words for validation errors (the error map itself is functions/error_map.py)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from functions import error_map
from shared.boundary import JsonObject
from shared.config import get_settings
from shared.domain.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.observability import logger_for

logger = logger_for("api")

MAX_BODY_BYTES = 16 * 1024
JSON = "application/json"
HTML = "text/html; charset=utf-8"


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


def read_body(event: APIGatewayProxyEventV2) -> tuple[JsonObject, bool]:
    """The request body as a dict, and whether it came from an HTML form.

    Forms keep repeated fields as lists only where they repeat (`event_ids`); JSON must be an object.
    Size, JSON nesting and field count are checked before any parsing work (CONTRACT.md, "Answers
    and errors"): 413 over 16 KiB, else 422 with `fields.body` saying why.
    """
    data = _body_bytes(event)
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return _checked_fields(_form_fields(data)), True
    if content_type == JSON or content_type.endswith("+json"):
        return _checked_fields(_json_object(data)), False
    if not data and not content_type:
        return {}, False
    raise UnsupportedMediaType(
        "Please send JSON (application/json) or a web form (application/x-www-form-urlencoded)."
    )


MAX_JSON_DEPTH = 8
"""Objects and arrays inside one another: a sign-up needs 2 (the body and its `event_ids`)."""
MAX_FIELDS = 50
"""Fields in a body (a form's repeated `event_ids` each count): a sign-up has at most 30."""
MAX_FIELD_NAME = 100


def _unreadable(why: str, message: str = "The body could not be read.") -> ValidationFailed:
    return ValidationFailed(message, fields={"body": why})


def _body_bytes(event: APIGatewayProxyEventV2) -> bytes:
    """The body's bytes, refused with 413 before decoding when it is over the limit."""
    raw = event.body or ""
    too_large = PayloadTooLarge(f"That request is too large (the limit is {MAX_BODY_BYTES // 1024} KiB).")
    # Checked on the text first, so that a huge body is never decoded: a character is at least one
    # byte, and base64 spends 4 characters on 3 bytes.
    if len(raw) > (MAX_BODY_BYTES + 2) // 3 * 4:
        raise too_large
    try:
        data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8", "surrogatepass")
    except ValueError:  # binascii.Error: API Gateway never sends it, but nothing else may answer
        raise _unreadable("is not valid base64") from None
    if len(data) > MAX_BODY_BYTES:
        raise too_large
    return data


def _form_fields(data: bytes) -> JsonObject:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable("is not valid UTF-8", "The form could not be read.") from None
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    except ValueError:  # more than max_num_fields, counted before any field is decoded
        raise _too_many_fields() from None
    return {k: (v if k == "event_ids" else v[-1]) for k, v in fields.items()}


def _json_object(data: bytes) -> JsonObject:
    if _json_too_deep(data, MAX_JSON_DEPTH):
        raise _unreadable(
            f"is nested too deeply (at most {MAX_JSON_DEPTH} levels of objects and arrays)",
            "The body is nested too deeply.",
        )
    try:
        parsed = json.loads(data or b"null")
    except (ValueError, RecursionError):  # RecursionError: never, after the depth check
        raise _unreadable("is not valid JSON", "The body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise _unreadable("must be a JSON object", "The body must be a JSON object.")
    return parsed


def _too_many_fields() -> ValidationFailed:
    return _unreadable(f"has too many fields (at most {MAX_FIELDS})", "The body has too many fields.")


def _checked_fields(fields: JsonObject) -> JsonObject:
    if len(fields) > MAX_FIELDS:
        raise _too_many_fields()
    if any(len(name) > MAX_FIELD_NAME for name in fields):
        raise _unreadable(
            f"has a field name longer than {MAX_FIELD_NAME} characters", "A field name is too long."
        )
    return fields


def _json_too_deep(data: bytes, limit: int) -> bool:
    """Do objects and arrays nest more than `limit` deep (outside strings)? Checked before parsing,
    whose recursion a 9 KB body of brackets would exhaust. A body with no more than `limit`
    brackets (every sign-up) costs two counts; any other 16 KiB body at most about 3 ms."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    import re  # only for bodies with many brackets (json has imported it already)
    from itertools import accumulate

    # Strings removed (an unterminated one runs to the end), then only the brackets kept.
    brackets = re.sub(rb'(?s)"(?:[^"\\]++|\\.?)*+(?:"|\Z)', b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > limit


_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


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
        "email_not_ascii": (
            "Your email address can only use the letters a to z, numbers and . _ - + before the @."
            " Our email service cannot send to other letters. Please use another address."
        ),
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


def fields_from_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Flat field name -> what is wrong, in the words above. Never echoes input."""
    return error_map.field_problems(errors, _FRIENDLY)


def validation_failed(error: ValidationError) -> ValidationFailed:
    return error_map.validation_failed(error.errors(include_input=False), _FRIENDLY)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, ensure_ascii=False, default=str),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _page_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'"
    )


# Pages carry personal tokens in their URLs: never send them on as a Referer, never frame them.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": _page_policy("'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

# scheme://host[:port] and nothing else: lower-case DNS labels (or an IPv4 address), no wildcard,
# user, path, query, quote or separator, so that nothing an admin types can widen the policy.
_ORIGIN = re.compile(
    r"(?P<origin>https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?::[0-9]{1,5})?)/?"
)


def frame_ancestors(allowed_origins: str) -> str:
    """The CSP `frame-ancestors` sources for the AllowedOrigins setting: each plain origin in it,
    lower-cased (a trailing slash dropped); anything else in the list (a path, a wildcard, a
    quote, a `;`) is left out. `'none'` when nothing is left."""
    origins: list[str] = []
    for item in allowed_origins.split(","):
        match = _ORIGIN.fullmatch(item.strip().lower())
        if match and match["origin"] not in origins:
            origins.append(match["origin"])
    return " ".join(origins) or "'none'"


def framable_page_headers() -> dict[str, str]:
    """PAGE_HEADERS for the sign-up page and its answers, which the charity's own pages (the
    origins in AllowedOrigins) may show in an iframe; no X-Frame-Options, which would contradict it."""
    policy = _page_policy(frame_ancestors(get_settings().allowed_origins))
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status, content_type=HTML, body=html, headers={**PAGE_HEADERS, **(headers or {})}
    )
