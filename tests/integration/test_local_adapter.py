"""The local stack's HTTP adapter: real HTTP requests in, API Gateway HTTP API v2 events out.

Given a request like the one behind each fixture in tests/fixtures/, When it goes through the
adapter on a loopback port, Then the event the function receives has the fixture's keys, shape
and values, apart from what differs by nature (ids, times, source IP). And the function's answer
comes back as API Gateway would send it. The local-only routes are served by the adapter itself.
"""

from __future__ import annotations

import base64
import email
import email.policy
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from infra.local.functions import FunctionSpec, Invoker, functions_from_template
from infra.local.outbox import Outbox
from infra.local.resources import load_template, parameter_defaults
from infra.local.server import CorsConfig, Gateway, HttpRequest, LocalHttpServer, cors_from_template
from infra.local.sms import SmsInbox
from infra.local.throttle import TokenBucket, throttle_from_template

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REQUEST_TIME = datetime(2020, 3, 12, 19, 3, 58, 390000, tzinfo=UTC)
ACCOUNT = "123456789012"
REGION = "eu-west-2"

# A $default route on the $default stage carries neither (the sample fixture came from a routed API).
NOT_ON_DEFAULT_ROUTE = {"pathParameters", "stageVariables"}
# Real HTTP APIs leave these keys out when empty; fixtures written by hand show [] or null.
ABSENT_WHEN_EMPTY = {"cookies", "queryStringParameters", "pathParameters"}
DIFFERS_BY_NATURE = {"apiId", "domainName", "domainPrefix", "requestId", "timeEpoch", "sourceIp"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Adapter:
    server: LocalHttpServer
    events: list[dict[str, Any]] = field(default_factory=list)
    answer: Any = None

    @property
    def port(self) -> int:
        return self.server.port

    def handler(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer if self.answer is not None else {"statusCode": 204}

    def send(
        self, method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b""
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers or []:
            connection.putheader(name, value)
        if body or method in {"POST", "PUT", "PATCH"}:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        response.read_body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response

    @property
    def event(self) -> dict[str, Any]:
        assert len(self.events) == 1, f"the function was called {len(self.events)} times"
        return self.events[0]


def start_adapter(**gateway_args: Any) -> Adapter:
    server = LocalHttpServer(("127.0.0.1", 0), quiet=True)
    adapter = Adapter(server)
    server.gateway = Gateway(api=adapter.handler, now=lambda: REQUEST_TIME, **gateway_args)
    server.serve_in_background()
    return adapter


@pytest.fixture
def adapter() -> Iterator[Adapter]:
    running = start_adapter()
    yield running
    running.server.shutdown()
    running.server.server_close()


def assert_matches_fixture(event: dict[str, Any], expected: dict[str, Any]) -> None:
    wanted_keys = {
        key
        for key, value in expected.items()
        if key not in NOT_ON_DEFAULT_ROUTE and not (key in ABSENT_WHEN_EMPTY and not value)
    }
    assert set(event) == wanted_keys
    for key in wanted_keys - {"headers", "requestContext"}:
        assert event[key] == expected[key], key
    for name, value in expected["headers"].items():
        assert event["headers"].get(name) == value, name
    context, expected_context = event["requestContext"], expected["requestContext"]
    assert set(context) == set(expected_context)
    assert set(context["http"]) == set(expected_context["http"])
    for key, value in expected_context.items():
        if key not in DIFFERS_BY_NATURE and key != "http":
            assert context[key] == value, key
    for key, value in expected_context["http"].items():
        if key not in DIFFERS_BY_NATURE:
            assert context["http"][key] == value, key
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["timeEpoch"] == int(REQUEST_TIME.timestamp() * 1000)
    assert isinstance(context["requestId"], str) and context["requestId"]
    assert re.fullmatch(r"[a-z0-9]+", context["apiId"])
    assert context["domainName"] == "127.0.0.1" and context["domainPrefix"] == "127"


def test_sample_event_request_becomes_the_same_event(adapter: Adapter) -> None:
    # Given the request behind the sample event
    expected = fixture("apigw-http-api-v2-event.json")
    headers = [
        ("header1", "value1"),
        ("header2", "value1"),
        ("header2", "value2"),
        ("Cookie", "cookie1; cookie2"),
        ("User-Agent", "agent"),
        ("Content-Type", "application/json"),
    ]
    # When it goes through the adapter
    adapter.send("POST", "/my/path?" + expected["rawQueryString"], headers, expected["body"].encode())
    # Then the function receives the fixture's event
    assert_matches_fixture(adapter.event, expected)
    assert "cookie" not in adapter.event["headers"]


def test_form_post_arrives_base64_encoded_like_the_fixture(adapter: Adapter) -> None:
    expected = fixture("apigw-http-api-v2-form-post.json")
    form = base64.b64decode(expected["body"])
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", expected["headers"]["accept"]),
        ("Origin", "https://www.example.org"),
        ("Referer", "https://www.example.org/conversations"),
        ("User-Agent", "Mozilla/5.0"),
    ]
    adapter.send("POST", "/signups", headers, form)
    assert_matches_fixture(adapter.event, expected)
    assert adapter.event["isBase64Encoded"] is True
    assert base64.b64decode(adapter.event["body"]) == form


def test_get_without_query_cookies_or_body_leaves_those_keys_out(adapter: Adapter) -> None:
    adapter.send("GET", "/events", [("Accept", "application/json")])
    event = adapter.event
    assert event["rawQueryString"] == ""
    assert {"queryStringParameters", "cookies", "body", "pathParameters", "stageVariables"}.isdisjoint(event)
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["time"] == "12/Mar/2020:19:03:58 +0000"


def test_path_is_decoded_query_string_kept_and_parameters_decoded(adapter: Adapter) -> None:
    adapter.send("GET", "/manage/caf%C3%A9?email=ada%40example.org&event=a&event=b&empty=&name=Ada+L")
    event = adapter.event
    assert event["rawPath"] == "/manage/café"
    assert event["requestContext"]["http"]["path"] == "/manage/café"
    assert event["rawQueryString"] == "email=ada%40example.org&event=a&event=b&empty=&name=Ada+L"
    assert event["queryStringParameters"] == {
        "email": "ada@example.org",
        "event": "a,b",
        "empty": "",
        "name": "Ada L",
    }


def test_headers_are_lower_cased_and_api_gateway_adds_its_own(adapter: Adapter) -> None:
    adapter.send("GET", "/events", [("X-Custom", "One"), ("X-Custom", "Two"), ("Connection", "keep-alive")])
    headers = adapter.event["headers"]
    assert headers["x-custom"] == "One,Two"
    assert "connection" not in headers
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == str(adapter.port)
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert all(name == name.lower() for name in headers)


@pytest.mark.parametrize(
    ("content_type", "extra", "as_text"),
    [
        ("application/json; charset=utf-8", [], True),
        ("text/plain", [], True),
        ("application/xml", [], True),
        ("application/octet-stream", [], False),
        (None, [], False),
        ("application/json", [("Content-Encoding", "gzip")], False),
    ],
)
def test_only_text_bodies_arrive_as_text(
    adapter: Adapter, content_type: str | None, extra: list[tuple[str, str]], as_text: bool
) -> None:
    headers = ([("Content-Type", content_type)] if content_type else []) + extra
    adapter.send("POST", "/signups", headers, b'{"a": 1}')
    event = adapter.event
    assert event["isBase64Encoded"] is (not as_text)
    body = event["body"] if as_text else base64.b64decode(event["body"]).decode()
    assert body == '{"a": 1}'


def test_response_headers_cookies_and_base64_body_are_mapped(adapter: Adapter) -> None:
    adapter.answer = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/pdf", "X-Count": 3},
        "multiValueHeaders": {"X-Many": ["a", "b"]},
        "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
        "body": base64.b64encode(b"%PDF-\x00\xff").decode(),
        "isBase64Encoded": True,
    }
    response = adapter.send("GET", "/file")
    assert response.status == 201
    assert response.read_body == b"%PDF-\x00\xff"  # type: ignore[attr-defined]
    assert response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("X-Count") == "3"
    assert response.headers.get_all("X-Many") == ["a", "b"]
    assert response.headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.getheader("Apigw-Requestid")


def test_result_without_status_code_is_200_json_as_api_gateway_infers(adapter: Adapter) -> None:
    adapter.answer = {"hello": "world"}
    response = adapter.send("GET", "/x")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read_body) == {"hello": "world"}  # type: ignore[attr-defined]


def test_plain_string_result_is_the_body(adapter: Adapter) -> None:
    adapter.answer = "Hello from Lambda!"
    response = adapter.send("GET", "/x")
    assert (response.status, response.read_body) == (200, b"Hello from Lambda!")  # type: ignore[attr-defined]


def test_a_failing_function_is_api_gateways_bare_500_without_a_trace(adapter: Adapter) -> None:
    adapter.answer = RuntimeError("secret detail")
    response = adapter.send("GET", "/x")
    assert response.status == 500
    assert json.loads(response.read_body) == {"message": "Internal Server Error"}  # type: ignore[attr-defined]


def test_head_gets_headers_without_body(adapter: Adapter) -> None:
    adapter.answer = {"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": "<p>hi</p>"}
    response = adapter.send("HEAD", "/signup")
    assert response.status == 200
    assert response.read_body == b""  # type: ignore[attr-defined]
    assert adapter.event["requestContext"]["http"]["method"] == "HEAD"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "FOO"])
def test_every_method_reaches_the_function_as_api_gateway_passes_it(adapter: Adapter, method: str) -> None:
    # http.server would answer 501 itself; API Gateway's `$default` ANY route passes any method on.
    adapter.answer = {"statusCode": 405, "headers": {"Allow": "GET, HEAD"}, "body": ""}
    response = adapter.send(method, "/events")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"
    assert adapter.event["requestContext"]["http"]["method"] == method


# --- local-only routes ------------------------------------------------------------------------


def test_root_redirects_to_the_signup_page_without_calling_the_function(adapter: Adapter) -> None:
    response = adapter.send("GET", "/?event=abc")
    assert response.status == 302
    assert response.getheader("Location") == "/signup?event=abc"
    assert adapter.events == []


def echo_handler(event: Any, context: Any) -> dict[str, Any]:
    return {
        "got": event,
        "function_name": context.function_name,
        "ms_left": context.get_remaining_time_in_millis(),
    }


def failing_handler(event: Any, context: Any) -> None:
    raise ValueError("bad input")


@pytest.fixture
def invoking_adapter() -> Iterator[Adapter]:
    functions = {
        "EchoFunction": FunctionSpec("EchoFunction", f"{__name__}.echo_handler", timeout_seconds=10),
        "FailingFunction": FunctionSpec("FailingFunction", f"{__name__}.failing_handler"),
        "MissingFunction": FunctionSpec("MissingFunction", "functions.nowhere.handler.lambda_handler"),
    }
    running = start_adapter(invoker=Invoker(functions))
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_invoke_route_runs_the_function_with_the_body_as_event(invoking_adapter: Adapter) -> None:
    response = invoking_adapter.send("POST", "/_local/invoke/EchoFunction", [], b'{"action": "list_events"}')
    assert response.status == 200
    result = json.loads(response.read_body)  # type: ignore[attr-defined]
    assert result["got"] == {"action": "list_events"}
    assert result["function_name"] == "local-EchoFunction"
    assert 0 < result["ms_left"] <= 10_000


def test_invoke_route_answers_404_for_a_function_the_template_lacks(invoking_adapter: Adapter) -> None:
    response = invoking_adapter.send("POST", "/_local/invoke/NoSuchFunction", [], b"{}")
    assert response.status == 404
    assert json.loads(response.read_body)["error"]["code"] == "not_found"  # type: ignore[attr-defined]


# Nested too deeply for json on every supported Python (3.13 parses 5,000 levels; 3.11 does not).
@pytest.mark.parametrize("body", [b"{", b"[" * 100_000 + b"]" * 100_000])
def test_invoke_route_answers_400_for_a_body_lambda_could_not_unmarshal(
    invoking_adapter: Adapter, body: bytes
) -> None:
    response = invoking_adapter.send("POST", "/_local/invoke/EchoFunction", [], body)
    assert response.status == 400
    assert json.loads(response.read_body)["error"]["fields"] == {"body": "is not JSON"}  # type: ignore[attr-defined]


def test_invoke_route_reports_an_unhandled_error_as_lambda_invoke_does(invoking_adapter: Adapter) -> None:
    response = invoking_adapter.send("POST", "/_local/invoke/FailingFunction", [], b"{}")
    assert response.status == 200
    assert response.getheader("X-Amz-Function-Error") == "Unhandled"
    payload = json.loads(response.read_body)  # type: ignore[attr-defined]
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "bad input")


def test_a_handler_module_that_does_not_exist_yet_is_an_import_error(invoking_adapter: Adapter) -> None:
    response = invoking_adapter.send("POST", "/_local/invoke/MissingFunction", [], b"{}")
    assert json.loads(response.read_body)["errorType"] == "Runtime.ImportModuleError"  # type: ignore[attr-defined]


def test_clock_route_freezes_and_unfreezes_the_shared_clock(adapter: Adapter) -> None:
    from shared import clock

    try:
        response = adapter.send("PUT", "/_local/clock", [], b'{"now": "2026-12-09T07:00:00Z"}')
        assert response.status == 200
        assert clock.now() == datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
        assert json.loads(response.read_body) == {"now": "2026-12-09T07:00:00+00:00", "frozen": True}  # type: ignore[attr-defined]
        naive = adapter.send("PUT", "/_local/clock", [], b'{"now": "2026-12-09T07:00:00"}')
        assert naive.status == 422
        assert clock.now() == datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
        response = adapter.send("DELETE", "/_local/clock")
        assert response.status == 200
        assert not clock.is_frozen()
    finally:
        clock.unfreeze()


def test_unknown_local_route_is_404_and_wrong_method_405(adapter: Adapter) -> None:
    assert adapter.send("GET", "/_local/nothing").status == 404
    response = adapter.send("POST", "/_local/clock", [], b"{}")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, PUT, DELETE"


# --- the outbox, read from moto's SES ---------------------------------------------------------


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    from infra.testkit.plain_moto import plain_moto

    with plain_moto(monkeypatch):
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="events@example.org")
        yield boto3.client("sesv2", region_name=REGION)


def confirmation_email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Conversations on Co-production <events@example.org>"
    message["To"] = "Ada <ada@example.org>"
    message["Subject"] = "You're signed up: Sitting at the table as equals"
    message.set_content("Hello Ada,\n\nYou're signed up.\n")
    message.add_alternative("<p>Hello Ada,</p><p>You're signed up.</p>", subtype="html")
    message.add_attachment(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        maintype="text",
        subtype="calendar",
        filename="sitting-at-the-table.ics",
    )
    return message


def test_outbox_lists_what_ses_sent_and_serves_its_files(ses: Any) -> None:
    # Given an email sent through SES v2 as raw MIME
    raw = confirmation_email().as_bytes()
    message_id = ses.send_email(
        FromEmailAddress="Conversations on Co-production <events@example.org>",
        Destination={"ToAddresses": ["ada@example.org"]},
        Content={"Raw": {"Data": raw}},
    )["MessageId"]
    running = start_adapter(outbox=Outbox(ACCOUNT, REGION))
    try:
        # When the outbox is read as JSON
        response = running.send("GET", "/_local/outbox", [("Accept", "*/*")])
        messages = json.loads(response.read_body)["messages"]  # type: ignore[attr-defined]
        # Then it holds that email, whole
        assert [m["message_id"] for m in messages] == [message_id]
        assert messages[0]["from"] == "Conversations on Co-production <events@example.org>"
        assert messages[0]["to"] == ["ada@example.org"]
        assert messages[0]["subject"] == "You're signed up: Sitting at the table as equals"
        parsed = email.message_from_string(messages[0]["raw"], policy=email.policy.default)
        assert [part.get_filename() for part in parsed.iter_attachments()] == ["sitting-at-the-table.ics"]

        # And a browser gets a page with the text and links to each file
        page = running.send("GET", "/_local/outbox", [("Accept", "text/html,*/*;q=0.8")])
        html = page.read_body.decode()  # type: ignore[attr-defined]
        assert page.getheader("Content-Type").startswith("text/html")
        assert "You&#x27;re signed up: Sitting at the table as equals" in html
        assert "Hello Ada," in html
        assert f'href="/_local/outbox/{message_id}/attachments/0"' in html
        calendar = running.send("GET", f"/_local/outbox/{message_id}/attachments/0")
        assert calendar.getheader("Content-Type") == "text/calendar"
        assert calendar.read_body.startswith(b"BEGIN:VCALENDAR")  # type: ignore[attr-defined]
        eml = running.send("GET", f"/_local/outbox/{message_id}.eml")
        assert eml.getheader("Content-Type") == "message/rfc822"
        assert b"Subject: You're signed up" in eml.read_body  # type: ignore[attr-defined]

        # And DELETE empties it
        assert running.send("DELETE", "/_local/outbox").status == 200
        emptied = running.send("GET", "/_local/outbox")
        assert json.loads(emptied.read_body) == {"messages": []}  # type: ignore[attr-defined]
    finally:
        running.server.shutdown()
        running.server.server_close()


# --- the text messages, read from moto's SNS ----------------------------------------------------


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    from infra.testkit.plain_moto import plain_moto

    with plain_moto(monkeypatch):
        yield boto3.client("sns", region_name=REGION)


def test_sms_lists_what_sns_sent_in_order_and_delete_empties_it(sns: Any) -> None:
    # Given two texts published through SNS, as the transport publishes them
    sns.publish(PhoneNumber="+447700900123", Message="Housing and health\nJoin: https://x.org/j/abc")
    sns.publish(PhoneNumber="+447700900456", Message="second")
    running = start_adapter(sms=SmsInbox(ACCOUNT, REGION))
    try:
        # When the inbox is read
        response = running.send("GET", "/_local/sms")
        # Then it holds both, in send order, number and body exactly
        assert response.status == 200 and response.getheader("Content-Type").startswith("application/json")
        assert json.loads(response.read_body) == {  # type: ignore[attr-defined]
            "messages": [
                {"to": "+447700900123", "body": "Housing and health\nJoin: https://x.org/j/abc"},
                {"to": "+447700900456", "body": "second"},
            ]
        }
        # And HEAD is answered like GET without a body; other methods are 405 with Allow
        assert running.send("HEAD", "/_local/sms").status == 200
        for method in ("POST", "PUT", "PATCH"):
            refused = running.send(method, "/_local/sms")
            assert refused.status == 405 and refused.getheader("Allow") == "GET, DELETE"
        # And DELETE empties it, moto's own copy too, and later texts are listed afresh
        deleted = running.send("DELETE", "/_local/sms")
        assert (deleted.status, json.loads(deleted.read_body)) == (200, {"removed": 2})  # type: ignore[attr-defined]
        from moto.sns.models import sns_backends

        assert not sns_backends[ACCOUNT][REGION].sms_message_objects
        assert json.loads(running.send("GET", "/_local/sms").read_body) == {"messages": []}  # type: ignore[attr-defined]
        sns.publish(PhoneNumber="+447700900789", Message="third")
        after = json.loads(running.send("GET", "/_local/sms").read_body)  # type: ignore[attr-defined]
        assert after == {"messages": [{"to": "+447700900789", "body": "third"}]}
    finally:
        running.server.shutdown()
        running.server.server_close()


def test_sms_without_an_inbox_is_503(adapter: Adapter) -> None:
    assert adapter.send("GET", "/_local/sms").status == 503


# --- what the adapter reads from template.yaml ------------------------------------------------


def test_functions_and_their_handlers_come_from_the_template() -> None:
    functions = functions_from_template(load_template())
    assert functions["ApiFunction"].handler == "functions.api.handler.lambda_handler"
    assert functions["ApiFunction"].events_of_type("HttpApi")
    assert functions["SenderFunction"].events_of_type("SQS")


def test_cors_follows_the_http_apis_configuration() -> None:
    template = load_template()
    api_events = [
        e.properties for e in functions_from_template(template)["ApiFunction"].events_of_type("HttpApi")
    ]
    cors = cors_from_template(template, api_events, parameter_defaults(template))
    assert cors is not None
    assert cors.allowed_origin("https://www.example.org") == "https://www.example.org"
    assert cors.allowed_origin("https://evil.example") is None


def test_preflight_is_answered_by_the_gateway_and_cors_headers_added() -> None:
    running = start_adapter(
        cors=CorsConfig(
            allow_origins=("https://www.example.org",), allow_methods=("GET", "POST"), max_age=600
        )
    )
    running.answer = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": "{}"}
    try:
        preflight = running.send(
            "OPTIONS",
            "/signups",
            [("Origin", "https://www.example.org"), ("Access-Control-Request-Method", "POST")],
        )
        assert preflight.status == 204
        assert preflight.getheader("Access-Control-Allow-Origin") == "https://www.example.org"
        assert preflight.getheader("Access-Control-Allow-Methods") == "GET,POST"
        assert running.events == []
        allowed = running.send("GET", "/events", [("Origin", "https://www.example.org")])
        assert allowed.headers.get_all("Access-Control-Allow-Origin") == ["https://www.example.org"]
        other = running.send("GET", "/events", [("Origin", "https://evil.example")])
        assert other.getheader("Access-Control-Allow-Origin") is None
    finally:
        running.server.shutdown()
        running.server.server_close()


# --- API Gateway's throttling ---------------------------------------------------------------


def test_the_stage_throttling_comes_from_the_template_and_its_parameters() -> None:
    template = load_template()
    api_events = [{"ApiId": {"Ref": "HttpApi"}}]

    default = throttle_from_template(template, api_events, parameter_defaults(template))
    given = throttle_from_template(
        template, api_events, {**parameter_defaults(template), "ApiThrottlingRateLimit": "300"}
    )

    # The defaults sized in docs/performance.md.
    assert default is not None and (default.rate, default.burst) == (250.0, 500)
    assert given is not None and given.rate == 300.0


def test_a_burst_over_the_limit_is_api_gateways_429_and_never_reaches_the_function() -> None:
    now = [0.0]
    calls: list[dict[str, Any]] = []

    def api(event: dict[str, Any]) -> Any:
        calls.append(event)
        return {"statusCode": 200, "body": "{}"}

    gateway = Gateway(api=api, throttle=TokenBucket(rate=2, burst=3, clock=lambda: now[0]))
    request = HttpRequest(method="GET", target="/events", headers=[])

    burst = [gateway.handle(request).status for _ in range(4)]
    now[0] += 0.5  # one token back at 2 a second
    after = [gateway.handle(request).status for _ in range(2)]
    local = gateway.handle(HttpRequest(method="GET", target="/_local/clock", headers=[])).status

    assert burst == [200, 200, 200, 429] and after == [200, 429]
    assert len(calls) == 4
    throttled = gateway.handle(request)
    assert json.loads(throttled.body) == {"message": "Too Many Requests"}
    assert local == 200  # the local-only routes are not API Gateway's
