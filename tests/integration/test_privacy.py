"""Privacy by design: no address, name or access need in any log line, key, token, URL or queue message."""

from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager

from infra.testkit import raw_table
from infra.testkit.api import call_api, outbox
from infra.testkit.morning import pump
from shared import services
from tests.integration.helpers import ZOOM_SECRETS, create_event, sign_up, text_part

PERSONAL = [
    "Zadie Quartermaine",
    "zadie.q@example.org",
    "ZADIE.Q@EXAMPLE.ORG",
    "wheelchair-accessible",
    "Quartermaine",
]


class EveryField(logging.Formatter):
    """Every attribute of a record, `extra` fields included, not just its message."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({**record.__dict__, "message": record.getMessage()}, default=str)


@contextmanager
def every_log_line():
    """Capture everything any logger writes, our own at DEBUG (the most they could ever say) and
    libraries at the levels the functions set for them (shared/aws.py pins botocore's)."""
    # Every function's loggers exist before the capture starts (Powertools loggers do not propagate,
    # so one created later would escape it).
    import functions.admin.handler
    import functions.api.handler
    import functions.dispatch.handler
    import functions.sender.handler
    import functions.ses_events.handler  # noqa: F401

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(EveryField())
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.name in (
            "api",
            "admin",
            "sender",
            "dispatch",
            "ses_events",
            "notices",
            "privacy",
            "repository",
        ) or lg.name.startswith(("functions", "shared")):
            lg.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for lg, level, propagate in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate


def assert_nothing_personal(text: str) -> None:
    for secret in PERSONAL + ZOOM_SECRETS:
        assert secret.lower() not in text.lower(), f"{secret!r} leaked"


def test_no_log_line_of_a_signup_a_validation_failure_or_an_exception_names_the_person(
    aws, monkeypatch, capsys
):
    event_id = create_event(capacity=1)
    create_event("Taken", "2027-01-13T14:00:00")
    details = {"name": "Zadie Quartermaine", "email": "ZADIE.Q@EXAMPLE.ORG", "role": "lived_experience"}

    with every_log_line() as logs:
        sign_up([event_id], **details, access_needs="wheelchair-accessible", access_needs_consent=True)
        sign_up([event_id], **details)
        call_api(
            "POST", "/signups", json_body={**details, "email": "zadie.q@example", "event_ids": [event_id]}
        )
        call_api("POST", "/manage/link", json_body={"email": "zadie.q@example.org"})

        from shared.stores.registrations import RegistrationStore

        def explode(*_args, **_kwargs):
            # The message quotes the person, as a careless library's might; the line above must not.
            raise RuntimeError(" ".join(details.values()))

        monkeypatch.setattr(RegistrationStore, "snapshot", explode)
        failed = sign_up([event_id], **details)

    assert failed.status == 503
    captured = capsys.readouterr()
    text = logs.getvalue() + captured.out + captured.err
    assert "sign-up" in text  # the capture did see the function's own lines
    assert_nothing_personal(text)


def test_keys_tokens_urls_and_queue_messages_carry_no_address(aws, monkeypatch):
    from botocore.exceptions import ClientError

    event_id = create_event()

    class Throttled:
        def send_email(self, **_kwargs):
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail")

    services.override(ses_send=Throttled())
    sign_up([event_id], name="Zadie Quartermaine", email="zadie.q@example.org")
    services.override()
    call_api("POST", "/manage/link", json_body={"email": "zadie.q@example.org"})  # an email with a token

    keys = [
        (item["PK"]["S"], item["SK"]["S"], item.get("GSI2PK", {}).get("S", "")) for item in raw_table.scan()
    ]
    assert_nothing_personal(repr(keys))
    queued = (
        services.get()
        .client("sqs")
        .receive_message(QueueUrl=aws.physical["OutboundQueue"], MaxNumberOfMessages=10, VisibilityTimeout=0)[
            "Messages"
        ]
    )
    assert queued
    assert_nothing_personal(repr([m["Body"] for m in queued]))
    pump(aws)
    links = [
        line for line in text_part(outbox()[-1]).split() if line.startswith("https://events.example.org")
    ]
    assert links
    assert_nothing_personal(" ".join(links))


def test_a_whole_flow_logs_no_address_name_access_need_or_zoom_detail(aws, monkeypatch):
    """Sign-up, a validation failure, the morning send, the join link, a cancellation and admin
    actions, with every log line captured (our loggers at DEBUG)."""
    from datetime import UTC, datetime

    from infra.testkit.api import invoke_admin
    from infra.testkit.morning import pump, run_dispatch
    from shared import clock

    monkeypatch.setenv("SES_MAX_SEND_RATE", "1000")
    services.reset()
    details = {"name": "Zadie Quartermaine", "email": "Zadie.Q@example.org", "role": "lived_experience"}
    with every_log_line() as logs:
        event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=1)
        sign_up([event_id], **details, access_needs="wheelchair-accessible", access_needs_consent=True)
        sign_up([event_id], name="Quentin Waitlister", email="quentin.w@example.org", role="academic")
        call_api("POST", "/signups", json_body={**details, "email": "zadie.q@", "event_ids": [event_id]})
        invoke_admin({"action": "list_registrations", "event_id": event_id})
        clock.freeze(datetime(2026, 12, 9, 7, 0, tzinfo=UTC))
        run_dispatch("2026-12-09T07:00:00Z")
        pump(aws)
        join = next(m for m in outbox() if "Zoom link" in str(m["Subject"]))
        token = text_part(join).split("/join/")[1].split()[0]
        assert call_api("GET", f"/join/{token}").status == 302
        manage = text_part(join).split("/manage?token=")[1].split()[0]
        call_api("POST", "/manage/cancel", json_body={"token": manage, "event_id": event_id})
        invoke_admin(
            {"action": "add_registration", "event_id": event_id, "name": "Sam Phoneonly", "role": "other"}
        )
        invoke_admin({"action": "resend_link", "event_id": event_id, "email": "quentin.w@example.org"})

    text = logs.getvalue()
    assert "join link" in text and "dispatch run" in text  # the capture saw the flow
    assert_nothing_personal(text)
    for secret in ("Quentin", "quentin.w@example.org", "Sam Phoneonly"):
        assert secret.lower() not in text.lower(), secret
