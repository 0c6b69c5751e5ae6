"""The SNS transport: texts published through moto's SNS as the deployed function would, SNS's
refusals (moto's own where it makes them, botocore's Stubber with SNS's documented error shapes
where it cannot) classified as the batch runner needs, and the number never in a log line or an
exception."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from infra.testkit import ACCOUNT, REGION
from shared.sms.transport import SmsFailed, SnsTransport

NUMBER = "+447700900123"
BODY = "Housing and health\nToday 2:00pm UK time\nJoin: https://events.example.org/j/Ab3dEf7hJk"


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    from infra.testkit.plain_moto import plain_moto

    with plain_moto(monkeypatch):
        yield boto3.client("sns", region_name=REGION)


def moto_texts() -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def published_attributes(client: Any) -> list[dict[str, Any]]:
    """The MessageAttributes of each Publish the client makes, as it sends them."""
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: seen.append(params["MessageAttributes"])
    )
    return seen


def test_a_text_is_published_to_the_number_with_the_body_unchanged(sns):
    transport = SnsTransport(lambda: sns, sender_id="CoProd", origination_number="")
    message_id = transport.send(NUMBER, BODY)
    from moto.sns.models import sns_backends

    assert sns_backends[ACCOUNT][REGION].sms_messages[message_id] == (NUMBER, BODY)
    transport.send("+447700900456", "second")
    assert moto_texts() == [(NUMBER, BODY), ("+447700900456", "second")]


def test_the_origination_number_wins_over_the_sender_id_and_the_type_is_transactional(sns):
    seen = published_attributes(sns)
    SnsTransport(lambda: sns, sender_id="CoProd", origination_number="+447400000001").send(NUMBER, BODY)
    SnsTransport(lambda: sns, sender_id="CoProd", origination_number="").send(NUMBER, BODY)
    SnsTransport(lambda: sns, sender_id="", origination_number="").send(NUMBER, BODY)
    SnsTransport(lambda: sns, sender_id="", origination_number="", sms_type="Promotional").send(NUMBER, BODY)

    def plain(attributes: dict[str, Any]) -> dict[str, str]:
        assert all(value["DataType"] == "String" for value in attributes.values())
        return {name.removeprefix("AWS.SNS.SMS."): value["StringValue"] for name, value in attributes.items()}

    assert [plain(attributes) for attributes in seen] == [
        {"SMSType": "Transactional", "OriginationNumber": "+447400000001"},
        {"SMSType": "Transactional", "SenderID": "CoProd"},
        {"SMSType": "Transactional"},
        {"SMSType": "Promotional"},
    ]
    assert len(moto_texts()) == 4


def test_opted_out_asks_sns(sns):
    transport = SnsTransport(lambda: sns, sender_id="", origination_number="")
    assert transport.opted_out("+447700900199") is True  # moto: numbers ending 99 have opted out
    assert transport.opted_out(NUMBER) is False


def test_a_number_sns_cannot_text_is_rejected_for_that_person_alone(sns):
    transport = SnsTransport(lambda: sns, sender_id="", origination_number="")
    with pytest.raises(SmsFailed) as refused:
        transport.send("07700900123", BODY)  # not E.164: moto refuses it as SNS does
    assert refused.value.code == "InvalidParameter"
    assert refused.value.recipient_reason == "rejected"
    assert not refused.value.retryable and not refused.value.stopping
    assert moto_texts() == []


def stubbed(code: str, message: str, status: int) -> tuple[SnsTransport, Stubber]:
    client = boto3.client("sns", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error(
        "publish", service_error_code=code, service_message=message, http_status_code=status
    )
    stubber.activate()
    return SnsTransport(lambda: client, sender_id="", origination_number=""), stubber


@pytest.mark.parametrize(
    ("code", "message", "status", "reason", "stopping"),
    [
        # SNS refused the number itself (as the real SNS words it): this person alone
        (
            "InvalidParameter",
            f"Invalid parameter: PhoneNumber Reason: {NUMBER} is not valid to publish to",
            400,
            "rejected",
            False,
        ),
        ("ParameterValueInvalid", "Invalid phone number", 400, "rejected", False),
        # SNS refused our own attributes: every text would fail alike, so the batch stops
        ("InvalidParameter", "Invalid parameter: MessageAttributes", 400, None, True),
        # throttling and SNS's own faults: try again later
        ("Throttled", "Rate exceeded", 400, None, False),
        ("Throttling", "Rate exceeded", 400, None, False),
        ("KMSThrottling", "Rate exceeded", 400, None, False),
        ("InternalError", "Internal error", 500, None, False),
        ("SomethingNew", "Unavailable", 503, None, False),
        # the account or its setup: nobody's fault but ours, stop and raise the alarm
        ("AuthorizationError", "User is not authorized to perform: SNS:Publish", 403, None, True),
        ("KMSDisabled", "Key disabled", 400, None, True),
        ("KMSAccessDenied", "Denied", 400, None, True),
        ("InvalidClientTokenId", "Bad token", 403, None, True),
        # an answer we do not know, for this one text: marked failed, the runner stops after 5
        ("SomethingNew", "Who knows", 400, "send_error", False),
    ],
)
def test_sns_refusals_are_classified_for_the_batch_runner(code, message, status, reason, stopping, caplog):
    transport, stubber = stubbed(code, message, status)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SmsFailed) as refused:
        transport.send(NUMBER, BODY)
    stubber.assert_no_pending_responses()
    failure = refused.value
    assert failure.recipient_reason == reason
    assert failure.stopping is stopping
    assert failure.retryable is (reason is None and not stopping)
    # the number and body appear nowhere: not in the exception, its traceback or any log line
    shown = "".join(traceback.format_exception(failure)) + repr(failure) + caplog.text
    assert "7700900123" not in shown and "Housing" not in shown
    assert failure.__context__ is None and failure.__cause__ is None


def test_opted_out_refusals_are_classified_like_sends():
    client = boto3.client("sns", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error(
        "check_if_phone_number_is_opted_out", service_error_code="Throttled", http_status_code=400
    )
    stubber.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": True}, {"phoneNumber": NUMBER})
    with stubber:
        transport = SnsTransport(lambda: client, sender_id="", origination_number="")
        with pytest.raises(SmsFailed) as refused:
            transport.opted_out(NUMBER)
        assert refused.value.retryable
        assert transport.opted_out(NUMBER) is True


def test_sns_out_of_reach_is_retryable():
    # a real connection to a port nothing listens on: refused at once, one attempt
    client = boto3.client(
        "sns",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(connect_timeout=1, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(SmsFailed) as refused:
        SnsTransport(lambda: client, sender_id="", origination_number="").send(NUMBER, BODY)
    assert refused.value.code == "EndpointConnectionError"
    assert refused.value.retryable and refused.value.recipient_reason is None
