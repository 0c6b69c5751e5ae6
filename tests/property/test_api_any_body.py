"""ApiFunction answers any request on its POST routes with a status CONTRACT.md lists and a JSON
or HTML answer of the contract's shape ("Answers and errors"): never a 5xx, whatever the body,
its content type, its encoding or the headers.

Bodies are sign-ups shaped as the form asks (many of them succeed), those mutated, any JSON,
raw bytes, bodies nested too deeply and bodies too large; sent as JSON, as a web form or as
anything else; against real moto resources from template.yaml holding events and a person whose
manage and unsubscribe tokens the requests sometimes carry."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions.api.handler import app, lambda_handler
from infra.testkit import BASE_URL, FIXED_NOW, REDIRECT_URL
from infra.testkit.api import LambdaContext, http_event, invoke_admin, outbox
from shared import services
from shared.domain.models import Role
from tests.integration.helpers import create_event, sign_up, text_part, token_from
from tests.property.strategies import (
    ACCEPTS,
    CONTENT_TYPES,
    PROFILE,
    any_json,
    form_body,
    json_body,
    junk,
    mutated,
)

POST_ROUTES = sorted(route.path for route in app._static_routes if route.method == "POST")
ERROR_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    409: "event_closed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}
SUCCESSES = {200, 201, 202, 303}
# "ünï@example.org" was stored, then answered 503 (issue 8, point 1): this test found it too.
ODD_ADDRESSES = ["ada@example.org", "ünï@example.org", "not an address", "a@[127.0.0.1]", "a@bücher.example"]


def check_answer(status: int, headers: dict[str, str], body: str) -> None:
    assert status in SUCCESSES or status in ERROR_CODES, f"{status}: {body[:300]}"
    if status == 303:
        assert headers["location"].startswith(REDIRECT_URL) and body == ""
        return
    content_type = headers.get("content-type", "")
    if content_type.startswith("text/html"):
        assert body.lstrip().lower().startswith("<!doctype html"), body[:200]
        return
    assert content_type == "application/json", content_type
    answer = json.loads(body)
    if status >= 400:
        assert set(answer) == {"error"}, answer
        error = answer["error"]
        assert error["code"] == ERROR_CODES[status] and isinstance(error["message"], str), error
        assert set(error) <= {"code", "message", "fields"}, error
        fields = error.get("fields", {})
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()), fields
    if status == 429:
        assert headers["retry-after"].isdigit()


def signup_shaped(open_ids: list[str], other_ids: list[str], tokens: list[str]) -> st.SearchStrategy[Any]:
    """The fields of every POST route: as a person (or a person's browser) would fill them, so that
    many sign-ups succeed, or with any values of each field's kind."""
    names = st.sampled_from(["Ada Lovelace", "  Grace  ", "Zoë O'Brien"]) | st.text(
        alphabet=st.characters(categories=["L", "Zs", "Pd"]), min_size=1, max_size=100
    )
    valid = st.fixed_dictionaries(
        {
            "name": names,
            "email": st.emails().map(str),
            "role": st.sampled_from([r.value for r in Role]),
            "event_ids": st.lists(st.sampled_from(open_ids), min_size=1, max_size=2)
            | st.lists(st.sampled_from(open_ids + other_ids), min_size=1, max_size=2),
            "consent": st.sampled_from([True, "on", "yes", "true"]),
        },
        optional={
            "organisation": st.text(max_size=200),
            "access_needs": st.text(max_size=40),
            "access_needs_consent": st.sampled_from([True, "on", False]),
        },
    )
    ids = st.sampled_from(open_ids + other_ids)
    any_kind = st.fixed_dictionaries(
        {
            "name": names | st.text(max_size=120),
            "email": st.emails().map(str) | st.sampled_from(ODD_ADDRESSES),
            "role": st.sampled_from([r.value for r in Role]) | st.text(max_size=20),
            "event_ids": st.lists(ids, min_size=1, max_size=3) | ids | st.lists(st.text(max_size=10)),
            "consent": st.sampled_from([True, "on", "yes", "true", False, "off", ""]),
        },
        optional={
            "organisation": st.text(max_size=220),
            "access_needs": st.text(max_size=1100),
            "access_needs_consent": st.sampled_from([True, "on", False]),
            "website": st.sampled_from(["", "http://spam.example"]),
            "form": st.just("signup_page"),
            "token": st.sampled_from(tokens) | st.text(max_size=40),
            "event_id": ids | st.text(max_size=10),
            "all": st.sampled_from(["true", "on", "no", True]),
        },
    )
    return valid | any_kind | mutated(valid | any_kind)


@st.composite
def requests(draw: st.DrawFn, fields: st.SearchStrategy[Any], tokens: list[str]) -> dict[str, Any]:
    """An HTTP API v2 event for one of the POST routes (`/signups` more often: it does the most)."""
    shape = draw(st.sampled_from(["json", "json", "form", "form", "any json", "raw", "deep", "large"]))
    content_types = st.sampled_from(CONTENT_TYPES) | st.text(max_size=40)
    if shape in {"json", "form"}:
        value = draw(fields)
        body = json_body(value) if shape == "json" else form_body(value)
        wanted = "application/json" if shape == "json" else "application/x-www-form-urlencoded"
        content_type = draw(st.just(wanted) | content_types)
    else:
        body = {
            "any json": lambda: json_body(draw(any_json | junk)),
            "raw": lambda: draw(st.binary(max_size=300)),
            "deep": lambda: draw(st.sampled_from([b"[", b'{"a":', b'[{"a":'])) * draw(st.integers(5, 9000)),
            "large": lambda: b"{" + b" " * draw(st.integers(16 * 1024 - 2, 64 * 1024)) + b"}",
        }[shape]()
        content_type = draw(content_types)
    headers = {"content-type": content_type, "accept": draw(st.sampled_from(ACCEPTS) | st.text(max_size=40))}
    if draw(st.booleans()):
        headers["referer"] = draw(st.sampled_from([f"{BASE_URL}/signup", "https://elsewhere.example/"]))
    names = st.text(min_size=1, max_size=10).map(str.lower)
    headers.update(draw(st.dictionaries(names, st.text(max_size=20), max_size=2)))
    query = draw(st.none() | st.fixed_dictionaries({"token": st.sampled_from(tokens) | st.text(max_size=30)}))
    event = http_event(
        "POST",
        draw(st.sampled_from(["/signups", *POST_ROUTES])),
        query=query,
        headers=headers,
        source_ip=str(draw(st.ip_addresses(v=4))),
    )
    try:
        text = body.decode("utf-8")
        encoded = draw(st.booleans())
    except UnicodeDecodeError:
        encoded = True
    event["body"] = base64.b64encode(body).decode() if encoded else text
    event["isBase64Encoded"] = encoded
    return event


def person_tokens(address: str) -> list[str]:
    """A registered person's manage and unsubscribe tokens, as their emails carry them."""
    app = services.get()
    manage = token_from(text_part(outbox()[-1]), "/manage")
    unsubscribe = app.links.unsubscribe(app.person_id_for(address), FIXED_NOW)
    return [manage, token_from(unsubscribe, "/unsubscribe")]


def test_the_post_routes_answer_any_request_as_the_contract_says(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "1000")
    services.reset()
    event_ids = [
        create_event("Co-production in a Digital World", "2026-12-09T14:00:00"),
        create_event("When to re-balance the power?", "2027-01-13T14:00:00", capacity=1),
        create_event("What happened last time", "2026-11-20T14:00:00"),
        create_event("Called off", "2027-02-10T14:00:00"),
    ]
    assert invoke_admin({"action": "cancel_event", "event_id": event_ids[3]})["ok"]
    assert sign_up(event_ids[:2]).status == 201
    tokens = person_tokens("ada@example.org")
    statuses: dict[int, int] = {}

    fields = signup_shaped(event_ids[:2], [*event_ids[2:], "no-such-event"], tokens)

    @PROFILE
    @given(event=requests(fields, tokens))
    def answers(event: dict[str, Any]) -> None:
        result = lambda_handler(event, LambdaContext())
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        check_answer(result["statusCode"], headers, body)
        statuses[result["statusCode"]] = statuses.get(result["statusCode"], 0) + 1

    answers()
    # Real sign-ups happened, and every kind of refusal was met.
    assert {201, 202, 404, 413, 415, 422} <= set(statuses), statuses
