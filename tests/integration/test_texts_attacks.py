"""The morning text under attack and misconfiguration (issue 12): what a hostile person, a
fraudster or a tired admin can make it do, and what it must not do."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError

from infra.testkit.api import call_api, invoke_admin
from infra.testkit.morning import add_registrants, join_emails_by_recipient, pump, run_dispatch
from shared import clock, services
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_morning_texts import (
    EVENT_DAY_0700,
    EVENT_DAY_RUN,
    give_numbers,
    numbers,
    texts,
    texts_by_number,
)
from tests.integration.test_texts_forms import manage_token


def waiting(stack, queue: str) -> int:
    attributes = (
        services.get()
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=stack.physical[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    )
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_a_base_url_too_long_for_any_text_marks_every_text_failed_once_and_ends_the_batch(
    texting, monkeypatch, caplog
):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 8, now=clock.now())
    give_numbers(addresses, numbers(8))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://" + "a" * 120 + ".example.org")  # a tired admin
    services.reset()
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=30))  # the scheduler's next runs
    again = run_dispatch(EVENT_DAY_RUN)
    pump(texting, visible_again=True)

    assert texts() == [] and join_emails_by_recipient() == {a: 1 for a in addresses}
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    failures = {r["email"]: [(f["channel"], f["reason"]) for f in r["send_failures"]] for r in roster}
    assert failures == {a: [("sms", "unbuildable")] for a in addresses}  # admins see it, once each
    assert again["events"][0]["queued"] == 0  # nothing goes round again ...
    assert waiting(texting, "OutboundQueue") == 0
    assert waiting(texting, "OutboundDeadLetterQueue") == 0  # ... nor to the dead-letter queue
    assert any("PUBLIC_BASE_URL" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_numbers_that_replied_stop_never_hold_up_the_texts_of_the_rest_of_their_batch(texting):
    # Five people in a row who replied STOP are their own choice, not a fault of ours or SNS's:
    # they must not stop the batch as five failing sends would.
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    registrants = add_registrants(event_id, 12, now=clock.now())
    # in the batch's order (by person id), so that the nine come first
    addresses = sorted(registrants, key=services.get().person_id_for)
    opted_out = [f"+4474001{n:03d}99" for n in range(12)]  # moto: a number ending 99 replied STOP
    give_numbers(addresses, opted_out[:9] + numbers(3))
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=30))
    again = run_dispatch(EVENT_DAY_RUN)
    pump(texting, visible_again=True)

    assert sorted(t["to"] for t in texts()) == numbers(3)
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    failures = {r["email"]: [(f["channel"], f["reason"]) for f in r["send_failures"]] for r in roster}
    assert failures == {a: [("sms", "rejected")] for a in addresses[:9]} | {a: [] for a in addresses[9:]}
    assert again["events"][0]["queued"] == 0
    assert waiting(texting, "OutboundQueue") == 0 and waiting(texting, "OutboundDeadLetterQueue") == 0


class SnsRefusingTheAccount:
    """SNS refusing every text for a fault of the setup (here: the role may not publish)."""

    def __init__(self, real) -> None:
        self.real = real

    def check_if_phone_number_is_opted_out(self, **kwargs):
        return self.real.check_if_phone_number_is_opted_out(**kwargs)

    def publish(self, **kwargs):
        error = {"Code": "AuthorizationError", "Message": "not authorized to perform: SNS:Publish"}
        raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}, "Publish")


def test_sns_refusing_every_text_raises_the_sending_stopped_alarm_and_the_texts_wait(texting, capsys):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    give_numbers(addresses, numbers(3))
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    services.override(sns=SnsRefusingTheAccount(services.get().client("sns")))

    pump(texting)

    assert texts() == [] and join_emails_by_recipient() == {a: 1 for a in addresses}
    assert '"SendingStopped"' in capsys.readouterr().out  # the metric SendingStoppedAlarm watches
    assert waiting(texting, "OutboundQueue") == 1  # the batch waits, nobody marked
    services.override()  # the grant is mended
    pump(texting, visible_again=True)
    assert sorted(t["to"] for t in texts()) == numbers(3)
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


def test_cancelling_and_signing_up_again_after_the_morning_text_texts_the_number_no_more(texting):
    # One text per number per event: a place brought back is not a second text, whatever number
    # its holder gives in between (before: one more text to the first number).
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id], phone="07400 123456", sms_consent=True)
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    clock.freeze(EVENT_DAY_0700 + timedelta(hours=3))
    token = manage_token()
    details = {"token": token, "name": "Ada Lovelace", "role": "academic"}

    for number in ("07400 123456", "07400 654321", "07400 123456"):
        call_api("POST", "/manage/profile", json_body={**details, "phone": number, "sms_consent": True})
        assert (
            call_api("POST", "/manage/cancel", json_body={"token": token, "event_id": event_id}).status == 200
        )
        assert sign_up([event_id]).status == 201
        pump(texting)

    assert texts_by_number() == {"+447400123456": 1}
