"""Shared fixtures: real moto resources created from template.yaml, a frozen clock, and helpers
that build API Gateway HTTP API v2 events (payload format 2.0) as AWS sends them."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

# Lambda sets the function's environment before importing its handler; Powertools Metrics reads
# its namespace when the handler module is imported, which in tests happens at collection.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CoProductionConversations")

FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BASE_URL = "https://events.example.org"
REDIRECT_URL = "https://www.example.org/conversations/thanks"
REGION = "eu-west-2"
ACCOUNT = "123456789012"


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

    return lambda_handler(event, LambdaContext())


def outbox() -> list[email.message.EmailMessage]:
    """Every message moto's SES accepted, parsed by Python's email package, in send order."""
    from moto.ses.models import ses_backends

    return [
        email.message_from_string(message.raw_data, policy=email.policy.default)  # type: ignore[misc]
        for message in ses_backends[ACCOUNT][REGION].sent_messages
    ]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Real moto resources from template.yaml, the functions' environment, a frozen clock."""
    from moto import mock_aws

    from infra.local.moto_atomic import make_dynamodb_requests_atomic
    from infra.local.resources import create_stack
    from shared import clock, services

    make_dynamodb_requests_atomic()

    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "co-production-tests")
    with mock_aws():
        stack = create_stack(
            {
                "PublicBaseUrl": BASE_URL,
                "SenderAddress": "events@example.org",
                "SignupRedirectUrl": REDIRECT_URL,
                "PrivacyNoticeUrl": "https://www.example.org/privacy",
            },
            region=REGION,
        )
        for name, value in stack.environment.items():
            monkeypatch.setenv(name, value)
        if "ExportBucket" in stack.physical:  # AdminFunction's own variable (not in Globals)
            monkeypatch.setenv("EXPORT_BUCKET", stack.physical["ExportBucket"])
        services.reset()
        clock.freeze(FIXED_NOW)
        try:
            yield stack
        finally:
            clock.unfreeze()
            services.reset()
