"""The OpenAPI document lists every answer of every route (CONTRACT.md "Answers and errors"); HEAD
is answered like GET; any other method a path lacks is 405 with Allow. The running stack is
fuzzed against the same document in tests/openapi/."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from infra.testkit.api import call_api
from tests.integration.helpers import create_event

HTML = {"accept": "text/html"}
ERRORS = ("application/json", "text/html")

# CONTRACT.md, route by route: every status each answers (429 and 503 on every route).
EXPECTED = {
    ("get", "/events"): {200, 422},
    ("get", "/events/{event_id}"): {200, 404},
    ("get", "/events/{event_id}/calendar.ics"): {200, 304, 404},
    ("get", "/calendar.ics"): {200, 304},
    ("get", "/signup"): {200, 422},
    ("post", "/signups"): {200, 201, 303, 404, 409, 413, 415, 422, 429},
    ("post", "/manage/link"): {202, 413, 415, 422},
    ("get", "/manage"): {200, 404, 422},
    ("post", "/manage/cancel"): {200, 404, 413, 415, 422},
    ("post", "/manage/profile"): {200, 404, 413, 415, 422},
    ("get", "/unsubscribe"): {200, 404, 422},
    ("post", "/unsubscribe"): {200, 404, 422},
    ("get", "/unsubscribe/messages"): {200, 404, 422},
    ("post", "/unsubscribe/messages"): {200, 404, 422},
    ("get", "/join/{token}"): {200, 302, 404, 410},
    ("get", "/j/{code}"): {200, 302, 404, 410},
    ("get", "/openapi.json"): {200},
}


@pytest.fixture
def document(aws: Any) -> dict[str, Any]:
    answer = call_api("GET", "/openapi.json")
    assert answer.status == 200
    return answer.json()  # type: ignore[no-any-return]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_route_lists_every_status_it_answers(document: dict[str, Any]) -> None:
    listed = {
        (method, path): {int(status) for status in operation["responses"]}
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }

    assert listed == {route: statuses | {429, 503} for route, statuses in EXPECTED.items()}


def test_errors_are_json_or_a_page_with_the_error_schema(document: dict[str, Any]) -> None:
    signups = document["paths"]["/signups"]["post"]["responses"]
    for status in ("404", "409", "415", "422", "503"):
        content = signups[status]["content"]
        assert tuple(content) == ERRORS, status
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorAnswer"}
    assert "Retry-After" in signups["503"]["headers"]
    # API Gateway's own throttling answers before the app: its body, as well as the app's own.
    throttled = signups["429"]["content"]["application/json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/GatewayMessage"} in throttled
    events_throttled = document["paths"]["/events"]["get"]["responses"]["429"]["content"]
    assert events_throttled == {
        "application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}
    }


def test_bodies_and_answers_have_their_schemas_and_every_reference_resolves(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert set(paths["/signups"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert "event_ids" in document["components"]["schemas"]["SignupRequest"]["properties"]
    assert "email" in document["components"]["schemas"]["ManageLinkRequest"]["properties"]
    calendar = paths["/calendar.ics"]["get"]["responses"]
    assert list(calendar["200"]["content"]) == ["text/calendar"] and "content" not in calendar["304"]
    assert "content" not in paths["/join/{token}"]["get"]["responses"]["302"]
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    assert "HTTPValidationError" not in schemas  # Powertools' default 422, which this app never answers


def test_a_route_without_its_answers_declared_fails_the_document() -> None:
    from functions.api.openapi import openapi_document

    app = APIGatewayHttpResolver(enable_validation=True)

    @app.post("/manage/something-new")
    def something_new() -> Response[str]:
        return Response(status_code=200, body="")

    with pytest.raises(LookupError, match="POST /manage/something-new has no entry"):
        openapi_document(app)


def test_head_is_answered_like_get_without_a_body(aws: Any) -> None:
    event_id = create_event()
    for path, headers in (
        ("/events", {}),
        (f"/events/{event_id}", HTML),
        ("/calendar.ics", {}),
        ("/nowhere", {}),
    ):
        got, head = call_api("GET", path, headers=headers), call_api("HEAD", path, headers=headers)

        assert head.status == got.status, path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert got.body and head.body == "", path


def test_any_method_a_path_lacks_is_405_with_allow(aws: Any) -> None:
    for method, path, allowed in (
        ("TRACE", "/events", "GET, HEAD"),
        ("PROPFIND", "/signups", "POST"),
        ("DELETE", "/unsubscribe", "GET, HEAD, POST"),
        ("OPTIONS", "/manage/link", "POST"),
    ):
        answer = call_api(method, path)

        assert answer.status == 405, (method, path)
        assert answer.headers["allow"] == allowed
        assert answer.json()["error"]["code"] == "method_not_allowed"
