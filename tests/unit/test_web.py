"""HTTP plumbing: content negotiation, bodies, and error fields (no AWS)."""

from __future__ import annotations

import base64

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from functions.api.web import fields_from_errors, prefers_html, read_body
from shared.domain.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.domain.forms import SignupRequest


@pytest.mark.parametrize(
    ("accept", "page", "expected"),
    [
        ("", True, True),
        ("", False, False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False, True),
        ("application/json", True, False),
        ("text/html, application/json", False, False),
        ("text/html, application/json", True, True),
        ("*/*", True, True),
        ("*/*", False, False),
        ("application/json;q=0.5, text/html;q=0.9", False, True),
        ("text/*;q=0.2, application/json", True, False),
    ],
)
def test_accept_decides_html_or_json_and_a_tie_keeps_the_default(accept, page, expected):
    assert prefers_html({"accept": accept}, page=page) is expected


def _event(body: bytes, content_type: str, encoded: bool = True) -> APIGatewayProxyEventV2:
    return APIGatewayProxyEventV2(
        {
            "headers": {"content-type": content_type},
            "body": base64.b64encode(body).decode() if encoded else body.decode(),
            "isBase64Encoded": encoded,
            "requestContext": {"http": {"method": "POST", "path": "/signups"}},
            "rawPath": "/signups",
        }
    )


def test_a_form_keeps_repeated_event_ids_and_the_last_of_other_fields():
    data, is_form = read_body(
        _event(b"name=Ada&event_ids=a&event_ids=b&name=Ada+L", "application/x-www-form-urlencoded")
    )
    assert is_form
    assert data == {"name": "Ada L", "event_ids": ["a", "b"]}


def test_json_must_be_an_object_and_other_media_types_are_refused():
    assert read_body(_event(b'{"a": 1}', "application/json; charset=utf-8", encoded=False)) == (
        {"a": 1},
        False,
    )
    with pytest.raises(ValidationFailed):
        read_body(_event(b"[1]", "application/json", encoded=False))
    with pytest.raises(UnsupportedMediaType):
        read_body(_event(b"a", "text/plain"))
    with pytest.raises(PayloadTooLarge):
        read_body(_event(b"x" * (16 * 1024 + 1), "application/json"))


def test_validation_errors_become_flat_fields_without_echoing_input():
    with pytest.raises(ValidationError) as caught:
        SignupRequest.model_validate(
            {"name": "", "email": "secret-address@", "role": "x", "event_ids": "a", "consent": "no"}
        )
    fields = fields_from_errors(caught.value.errors(include_input=False))
    assert set(fields) == {"name", "email", "role", "consent"}
    assert "secret-address" not in repr(fields)
