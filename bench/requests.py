"""AWS requests per operation, counted exactly under moto through the real API handler."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from bench.counting import RequestCounter, Tally
from bench.stack import client_ip, create_event, manage_token, moto_stack, sign_up
from infra.testkit.api import Answer, call_api

SIGNUP_TARGET = "DynamoDB <= 2, SES+SQS <= 1"


@dataclass
class RetryBudget:
    """What the functions' botocore clients really do (read from a client botocore built)."""

    attempts: int
    configured: dict[str, Any]  # shared.aws.client_config().retries, as written
    connect_timeout: float
    read_timeout: float
    api_timeout: int

    @property
    def worst_case(self) -> float:
        """One call that times out on every attempt (backoff between attempts not included)."""
        return self.attempts * (self.connect_timeout + self.read_timeout)


@dataclass
class RequestsReport:
    rows: list[Row]
    budget: RetryBudget


@dataclass
class Row:
    operation: str
    tally: Tally
    outcome: str
    target: str = ""
    met: bool | None = None
    note: str = ""
    seconds: float = 0.0  # one call's wall time: only meaningful where it is dominated by a wait
    failed: bool = False  # the handler answered an error: the counts are not those of the path named


def describe(answer: Answer) -> str:
    """The answer in a few words: status, per-event statuses, confirmation."""
    text = str(answer.status)
    content_type = answer.headers.get("content-type", "")
    if "json" not in content_type:
        return f"{text} {content_type.split(';')[0]}"
    body = answer.json()
    if "signup" in body:
        registrations = [r["status"] for r in body["signup"]["registrations"]]
        kinds = sorted(set(registrations))
        counted = ", ".join(f"{registrations.count(k)} {k}" for k in kinds)
        return f"{text}: {counted}; confirmation {body['signup']['confirmation']}"
    if "cancelled" in body:
        return f"{text}: cancelled {len(body['cancelled'])}"
    if "events" in body:
        return f"{text}: {len(body['events'])} events"
    if "error" in body:
        return f"{text}: {body['error']['code']}"
    return text


def signup_target_met(tally: Tally) -> bool:
    return tally.by_service("dynamodb") <= 2 and tally.by_service("sesv2") + tally.by_service("sqs") <= 1


def _throttled(**_kwargs: Any) -> AWSResponse:
    from moto.core.botocore_stubber import MockRawResponse

    body = json.dumps({"message": "Maximum sending rate exceeded."})
    headers = {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}
    return AWSResponse("https://email.eu-west-2.amazonaws.com/", 429, headers, MockRawResponse(body))  # type: ignore[arg-type]


@contextmanager
def ses_throttled() -> Iterator[None]:
    """Every SES v2 SendEmail answers 429 TooManyRequestsException, at the HTTP level (ahead of
    moto), so botocore's own retry runs as it would in Lambda and each attempt is counted."""
    from shared import services

    events = services.get().client("ses_send").meta.events  # the client the mailer really sends with
    events.register_first("before-send.sesv2.SendEmail", _throttled, unique_id="bench-ses-throttled")
    try:
        yield
    finally:
        events.unregister("before-send.sesv2.SendEmail", unique_id="bench-ses-throttled")


def measure_requests() -> RequestsReport:
    """Run every path once on a fresh stack; count what each one sends to AWS."""
    from shared import aws

    # botocore rewrites the Config's retries dict in place when it builds the first client.
    configured = dict(aws.client_config().retries or {})
    counter = RequestCounter()
    with counter.installed(), moto_stack():
        rows = _scenarios(counter)
        budget = retry_budget(configured)
    return RequestsReport(rows, budget)


def retry_budget(configured: dict[str, Any]) -> RetryBudget:
    from infra.local.resources import load_template
    from shared import aws

    config = aws.client("dynamodb").meta.config
    template = load_template()
    api = template["Resources"]["ApiFunction"]["Properties"]
    timeout = api.get("Timeout", template.get("Globals", {}).get("Function", {}).get("Timeout", 3))
    return RetryBudget(
        attempts=int(config.retries.get("total_max_attempts", 1)),
        configured=configured,
        connect_timeout=float(config.connect_timeout),
        read_timeout=float(config.read_timeout),
        api_timeout=int(timeout),
    )


def _scenarios(counter: RequestCounter) -> list[Row]:
    from shared import services

    open_events = [create_event(f"Open conversation {n}", days=7 * n) for n in range(1, 6)]
    small = create_event("Small group", days=14, capacity=1)
    promotion = create_event("Small group with a waiting list", days=21, capacity=1)
    first = open_events[0]
    rows: list[Row] = []

    def count(
        operation: str, action: Callable[[], Answer], *, target: bool = False, note: str = ""
    ) -> Answer:
        with counter.recording() as tally:
            start = time.perf_counter()
            answer = action()
            seconds = time.perf_counter() - start
        row = Row(operation, tally, describe(answer), note=note, seconds=seconds, failed=answer.status >= 400)
        if target:
            row.target, row.met = SIGNUP_TARGET, signup_target_met(tally)
        rows.append(row)
        return answer

    services.reset()  # a fresh container: the next call is a cold start
    count(
        "POST /signups, 1 event, cold container",
        lambda: sign_up([first], "cold@example.org", ip=client_ip(1)),
        target=True,
        note="first call in a container: the person-id key and the signing keys are read, once per container",
    )
    count("POST /signups, 1 event", lambda: sign_up([first], "one@example.org", ip=client_ip(2)), target=True)
    count(
        "POST /signups, 5 events",
        lambda: sign_up(open_events, "five@example.org", ip=client_ip(3)),
        target=True,
    )
    count(
        "POST /signups, repeat within the hour",
        lambda: sign_up([first], "one@example.org", ip=client_ip(2)),
        note="no email: one went to this address within the hour",
    )
    sign_up([small], "first@example.org", ip=client_ip(4))
    count(
        "POST /signups, full event (waiting list)",
        lambda: sign_up([small], "second@example.org", ip=client_ip(5)),
    )
    with ses_throttled():
        count(
            "POST /signups, SES throttled",
            lambda: sign_up([open_events[1]], "throttled@example.org", ip=client_ip(6)),
            note="SES answers 429 TooManyRequestsException to every attempt; after botocore's retries "
            "the job goes on the outbound queue",
        )
    count("GET /events", lambda: call_api("GET", "/events"))
    count("GET /events/{id}", lambda: call_api("GET", f"/events/{first}"))
    count("GET /events/{id}/calendar.ics", lambda: call_api("GET", f"/events/{first}/calendar.ics"))
    count("GET /signup (HTML)", lambda: call_api("GET", "/signup", headers={"accept": "text/html"}))

    sign_up([promotion], "leaver@example.org", ip=client_ip(7))
    sign_up([promotion], "waiting@example.org", ip=client_ip(8))
    token = manage_token("leaver@example.org")
    count(
        "POST /manage/cancel, with a promotion",
        lambda: call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": promotion}),
        note="cancel, promote the first waiting, email them, show the page",
    )
    promoted = services.get().stores.registrations.get(
        promotion, services.get().person_id_for("waiting@example.org")
    )
    if promoted is None or promoted.status.value != "registered":
        rows[-1].outcome += "; NO PROMOTION HAPPENED"

    services.reset()  # another fresh container: the secret is read whatever the route
    count("GET /events, cold container", lambda: call_api("GET", "/events"), note="first call in a container")
    return rows
