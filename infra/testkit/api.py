"""The functions called in-process as Lambda calls them: API Gateway HTTP API v2 events (payload
format 2.0, see tests/fixtures/README.md), a Lambda context, and the emails moto's SES accepted."""

from __future__ import annotations

import base64
import email
import email.parser
import email.policy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from infra.testkit import ACCOUNT, REGION


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str | list[str]] | None = None,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    form: dict[str, str | list[str]] | None = None,
    raw_body: str | None = None,
    source_ip: str = "203.0.113.7",
) -> dict[str, Any]:
    """An HTTP API v2 event the way API Gateway builds it (see tests/fixtures/README.md)."""
    all_headers = {"accept": "application/json", "user-agent": "pytest"}
    body: str | None = None
    encoded = False
    if json_body is not None:
        body = json.dumps(json_body)
        all_headers["content-type"] = "application/json"
    elif form is not None:
        body = base64.b64encode(urlencode(form, doseq=True).encode()).decode()
        encoded = True
        all_headers["content-type"] = "application/x-www-form-urlencoded"
    elif raw_body is not None:
        body = raw_body
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    raw_query = urlencode(query or {}, doseq=True)
    query_params = {k: ",".join(v) if isinstance(v, list) else v for k, v in query.items()} if query else None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "api-id",
            "domainName": "events.example.org",
            "domainPrefix": "events",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "pytest",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795600800000,
        },
        "isBase64Encoded": encoded,
    }
    if query_params:
        event["queryStringParameters"] = query_params
    if body is not None:
        event["body"] = body
    return event


class LambdaContext:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ApiFunction"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def call_api(method: str, path: str, **kwargs: Any) -> Answer:
    from functions.api.handler import lambda_handler

    result = lambda_handler(http_event(method, path, **kwargs), LambdaContext())
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return Answer(status=result["statusCode"], headers=headers, body=body)


def invoke_admin(event: dict[str, Any]) -> dict[str, Any]:
    from functions.admin.handler import lambda_handler

    return lambda_handler(event, LambdaContext())  # type: ignore[no-any-return]


def sent_messages() -> list[Any]:
    """moto's SES record of every message it accepted, in send order (the live list)."""
    from moto.ses.models import ses_backends

    return ses_backends[ACCOUNT][REGION].sent_messages  # type: ignore[no-any-return]


def outbox() -> list[email.message.EmailMessage]:
    """Every message moto's SES accepted, parsed by Python's email package, in send order."""
    return [
        email.message_from_string(message.raw_data, policy=email.policy.default)  # type: ignore[misc]
        for message in sent_messages()
    ]


def outbox_headers() -> list[email.message.EmailMessage]:
    """The same messages with only their headers parsed (the body stays raw text): for counting
    who got what across thousands of emails, where parsing every MIME part is most of the cost."""
    parser = email.parser.Parser(policy=email.policy.default)
    return [
        parser.parsestr(message.raw_data, headersonly=True)  # type: ignore[misc]
        for message in sent_messages()
    ]
