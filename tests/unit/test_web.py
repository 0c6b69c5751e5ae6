"""HTTP plumbing: content negotiation, bodies, and error fields (no AWS)."""

from __future__ import annotations

import base64
import json

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


def _problem(body: bytes, content_type: str = "application/json", encoded: bool = False) -> str:
    with pytest.raises(ValidationFailed) as caught:
        read_body(_event(body, content_type, encoded=encoded))
    assert caught.value.fields is not None
    return caught.value.fields["body"]


def test_json_nested_deeper_than_the_limit_is_refused_before_parsing():
    assert read_body(_event(b'{"a": ' + b"[" * 7 + b"]" * 7 + b"}", "application/json", encoded=False))
    assert "nested too deeply" in _problem(b'{"a": ' + b"[" * 8 + b"]" * 8 + b"}")
    # A 9 KB body of brackets exhausted json's recursion (a 503 before): now a plain 422.
    assert "nested too deeply" in _problem(b"[" * 4600 + b"]" * 4600)
    assert "nested too deeply" in _problem(b'{"a":' * 3000, "application/problem+json")


def test_brackets_inside_strings_do_not_count_as_nesting():
    body = b'{"name": "[[[[{{{{ \\" ]]]] [[[[[[[[[[", "organisation": "\\\\[[[[[[[[[["}'
    assert read_body(_event(body, "application/json", encoded=False))[0]["organisation"] == "\\[[[[[[[[[["
    # An unterminated string runs to the end: nothing after its quote counts, and json says why.
    assert _problem(b'{"a": "' + b"[" * 5000) == "is not valid JSON"


def test_too_many_fields_or_a_long_field_name_are_refused():
    fields = "&".join(f"f{n}=x" for n in range(51)).encode()
    assert "too many fields" in _problem(fields, "application/x-www-form-urlencoded")
    assert "too many fields" in _problem(b"a&" * 5000, "application/x-www-form-urlencoded")
    assert "too many fields" in _problem(json.dumps({f"f{n}": 1 for n in range(51)}).encode())
    assert "field name" in _problem(json.dumps({"x" * 101: 1}).encode())
    assert "field name" in _problem(b"x" * 101 + b"=1", "application/x-www-form-urlencoded")
    twenty_events = "&".join(f"event_ids=e{n}" for n in range(20)) + "&name=Ada&email=a%40b.org&consent=on"
    assert read_body(_event(twenty_events.encode(), "application/x-www-form-urlencoded"))[0]["name"] == "Ada"


def _raw(body: str, encoded: bool = True) -> APIGatewayProxyEventV2:
    return APIGatewayProxyEventV2(
        {
            "headers": {"content-type": "application/json"},
            "body": body,
            "isBase64Encoded": encoded,
            "requestContext": {"http": {"method": "POST", "path": "/signups"}},
            "rawPath": "/signups",
        }
    )


def test_a_large_body_is_refused_before_it_is_decoded_and_bad_base64_is_a_422():
    # Not valid base64 (its length is not a multiple of 4): decoding it would say so, so a 413
    # shows it was refused on its length alone.
    with pytest.raises(PayloadTooLarge):
        read_body(_raw("A" * (10 * 1024 * 1024 + 1)))
    with pytest.raises(PayloadTooLarge):
        read_body(_raw("x" * (16 * 1024 + 1), encoded=False))
    with pytest.raises(ValidationFailed) as caught:
        read_body(_raw("abc"))  # not base64: a 503 before
    assert caught.value.fields == {"body": "is not valid base64"}
    # Exactly at the limit, base64-encoded, is still read.
    assert read_body(_event(b'{"a":"' + b"x" * (16 * 1024 - 8) + b'"}', "application/json"))[0]["a"]


def test_thousands_of_event_ids_are_too_many_and_repeats_of_one_are_one():
    many = ",".join(f"e{n}" for n in range(3000))
    with pytest.raises(ValidationError) as caught:
        SignupRequest.model_validate({"event_ids": many})
    fields = fields_from_errors(caught.value.errors())
    assert fields["event_ids"] == "Select no more than 20 conversations at once"
    form = {"name": "Ada", "email": "ada@example.org", "role": "academic", "consent": "on"}
    request = SignupRequest.model_validate({**form, "event_ids": ["a"] * 3000 + ["b"]})
    assert request.event_ids == ["a", "b"]
