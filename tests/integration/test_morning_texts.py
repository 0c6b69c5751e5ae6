"""The morning text (issue 12, points 2 and 3) under moto, with every function in its own role:
each registrant who agreed gets one SMS of one GSM-7 segment with their short join link, exactly
once under duplicate deliveries and crashes, one per number per event, SNS's opted-out list
honoured, one person's refused number never holding up anyone else, and late sign-ups texted at
once. Texts are read back from moto's SNS as the local stack's GET /_local/sms reads them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from infra.local.sms import SmsInbox
from infra.testkit import ACCOUNT, REGION, raw_table
from infra.testkit.api import call_api, invoke_admin
from infra.testkit.morning import (
    Crash,
    add_registrants,
    job_bodies,
    join_emails_by_recipient,
    pump,
    run_dispatch,
)
from shared import clock, services
from shared.domain.people import Person
from tests.integration.helpers import ZOOM, create_event, sign_up

EVENT_DAY_RUN = "2026-12-09T07:00:00Z"
EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
LINK = re.compile(r"https://events\.example\.org/j/([2-9a-km-z]{12})$")


def texts() -> list[dict[str, str]]:
    return SmsInbox(ACCOUNT, REGION).messages()


def texts_by_number() -> dict[str, int]:
    counts: dict[str, int] = {}
    for text in texts():
        counts[text["to"]] = counts.get(text["to"], 0) + 1
    return counts


def give_numbers(addresses: list[str], numbers: list[str], *, consent: bool = True) -> None:
    """Profiles with a number and consent, as a sign-up with `sms_consent` writes them."""
    app = services.get()
    people = app.stores.people.get_many(app.person_id_for(a) for a in addresses)
    raw_table.put_people(
        Person(**{**people[app.person_id_for(a)].model_dump(), "phone": n, "sms_consent": consent})
        for a, n in zip(addresses, numbers, strict=True)
    )


def numbers(count: int, start: int = 100) -> list[str]:
    return [f"+4474001{start + n:05d}" for n in range(count)]


def septets(body: str) -> int:
    import gsm0338  # noqa: F401

    return len(body.encode("gsm03.38"))


def test_each_registrant_who_agreed_gets_one_text_of_one_segment_with_a_link_that_joins(texting):
    event_id = create_event("Co-production in a Digital World", starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 5, now=clock.now())
    give_numbers(addresses[:3], numbers(3))
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)

    assert join_emails_by_recipient() == {a: 1 for a in addresses}  # the emails, as before
    assert texts_by_number() == {n: 1 for n in numbers(3)}
    for text in texts():
        body = text["body"]
        assert septets(body) <= 160
        lines = body.split("\n")
        assert lines[0] == "Co-production in a Digital World" and lines[1] == "Today 2:00pm UK time"
        match = LINK.search(lines[-1])
        assert match, body
        joined = call_api("GET", f"/j/{match.group(1)}")
        assert joined.status == 302 and joined.headers["location"] == ZOOM["zoom_join_url"]
        assert "Reply STOP" not in body  # a sender ID takes no replies
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    sent = {r["email"]: (r["phone"], r["sms_sent_for"] is not None) for r in roster}
    assert sent == {a: (n, True) for a, n in zip(addresses[:3], numbers(3), strict=True)} | {
        a: ("", False) for a in addresses[3:]
    }


def test_with_texts_off_nobody_is_texted_whatever_their_profile_says(texting, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())
    give_numbers(addresses, numbers(2))
    monkeypatch.setenv("SMS_ENABLED", "false")
    services.reset()
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)

    assert texts() == [] and sum(join_emails_by_recipient().values()) == 2


def test_a_duplicate_delivery_and_a_second_run_text_nobody_twice(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 4, now=clock.now())
    give_numbers(addresses, numbers(4))
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    queue = texting.physical["OutboundQueue"]
    sqs = services.get().client("sqs")
    body = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=queue, MessageBody=body)  # Lambda's at-least-once

    pump(texting)
    again = run_dispatch(EVENT_DAY_RUN)  # the scheduler's retry
    pump(texting)
    invoke_admin({"action": "send_links", "event_id": event_id})  # a tired admin, too
    pump(texting)

    assert texts_by_number() == {n: 1 for n in numbers(4)}
    assert again["events"][0]["queued"] == 0


def test_one_number_given_by_two_people_gets_one_text_per_event(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    shared_phone = numbers(1)[0]
    give_numbers(addresses, [shared_phone, shared_phone, numbers(1, start=200)[0]])
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    invoke_admin({"action": "send_links", "event_id": event_id})
    pump(texting)

    assert texts_by_number() == {shared_phone: 1, numbers(1, start=200)[0]: 1}
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    assert all(r["send_failures"] == [] for r in roster)  # nothing failed: the number had its text


def test_an_opted_out_number_is_not_texted_and_is_shown_failed_while_the_rest_go(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    opted_out = "+447400123499"  # moto says every number ending 99 replied STOP
    give_numbers(addresses, [numbers(1)[0], opted_out, numbers(1, start=300)[0]])
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)

    assert texts_by_number() == {numbers(1)[0]: 1, numbers(1, start=300)[0]: 1}
    roster = {
        r["email"]: r
        for r in invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    }
    failures = roster[addresses[1]]["send_failures"]
    assert [(f["channel"], f["reason"]) for f in failures] == [("sms", "rejected")]
    assert roster[addresses[1]]["link_sent_at"] is not None  # their email still went


class FaultySns:
    """SNS refusing chosen numbers (InvalidParameter on the number), or crashing the process at the
    k-th text: right after SNS accepted it (before our write), or just before it reached SNS."""

    def __init__(self, real, *, refuse: set[str] = frozenset(), crash_at: int = 0, accepted: bool = True):
        self.real, self.refuse, self.crash_at, self.accepted = real, refuse, crash_at, accepted
        self.calls = 0

    def check_if_phone_number_is_opted_out(self, **kwargs):
        return self.real.check_if_phone_number_is_opted_out(**kwargs)

    def publish(self, **kwargs):
        if kwargs["PhoneNumber"] in self.refuse:
            error = {"Code": "InvalidParameter", "Message": "Invalid parameter: PhoneNumber Reason: x"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Publish")
        self.calls += 1
        if self.calls == self.crash_at and not self.accepted:
            raise Crash()
        answer = self.real.publish(**kwargs)
        if self.calls == self.crash_at:
            raise Crash()
        return answer


def test_a_number_sns_refuses_is_marked_failed_and_never_holds_up_the_others(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 8, now=clock.now())
    phones = numbers(8)
    give_numbers(addresses, phones)
    clock.freeze(EVENT_DAY_0700)
    services.override(sns=FaultySns(services.get().client("sns"), refuse={phones[0], phones[5]}))

    run_dispatch(EVENT_DAY_RUN)
    pump(texting)

    assert texts_by_number() == {n: 1 for i, n in enumerate(phones) if i not in (0, 5)}
    roster = {
        r["email"]: r
        for r in invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    }
    failed = {a for a, r in roster.items() if r["send_failures"]}
    assert failed == {addresses[0], addresses[5]}
    assert roster[addresses[0]]["send_failures"][0]["channel"] == "sms"


@pytest.mark.parametrize("accepted", [True, False], ids=["after-sns-accepted", "before-sns"])
@pytest.mark.parametrize("k", [1, 4, 10, 12])
def test_a_sender_that_dies_at_the_kth_text_is_finished_by_the_next_without_missing_anyone(
    texting, monkeypatch, k, accepted
):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 12, now=clock.now())
    phones = numbers(12)
    give_numbers(addresses, phones)
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 5)
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    services.override(sns=FaultySns(services.get().client("sns"), crash_at=k, accepted=accepted))

    with pytest.raises(Crash):
        pump(texting)

    services.override()
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=10))  # the dead sender's lease has run out
    pump(texting, visible_again=True)
    run_dispatch(EVENT_DAY_RUN)
    pump(texting, visible_again=True)

    counts = texts_by_number()
    assert set(counts) == set(phones), "someone was missed"
    duplicates = sum(n - 1 for n in counts.values())
    print(f"crash at text {k}, after SNS accepted it: {accepted}, {duplicates} duplicate(s)")
    assert duplicates == (1 if accepted else 0), counts
    assert join_emails_by_recipient() == {a: 1 for a in addresses}  # and no email twice


def test_a_late_sign_up_is_texted_at_once_and_once(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    clock.freeze(EVENT_DAY_0700 + timedelta(hours=3))  # 10:00 on the day: links are out

    first = sign_up([event_id], phone="07400 123456", sms_consent=True)
    again = sign_up([event_id], phone="07400 123456", sms_consent=True)
    pump(texting)

    assert first.status == 201 and again.status == 200
    assert texts_by_number() == {"+447400123456": 1}
    assert LINK.search(texts()[0]["body"].split("\n")[-1])


def test_no_queue_message_holds_a_number(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    give_numbers(addresses, numbers(3))
    clock.freeze(EVENT_DAY_0700)

    run_dispatch(EVENT_DAY_RUN)
    bodies = json.dumps(job_bodies(texting))

    for number in numbers(3):
        assert number not in bodies and number[3:] not in bodies and number[-6:] not in bodies


def test_a_place_offered_after_the_send_moment_is_texted_at_once(texting):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=1)
    sign_up([event_id], email="first@example.org", name="Grace Hopper")
    sign_up([event_id], phone="07400 123456", sms_consent=True)  # on the waiting list
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    assert texts() == []  # a waiting-list place gets no morning text
    clock.freeze(EVENT_DAY_0700 + timedelta(hours=2))

    invoke_admin({"action": "cancel_registration", "event_id": event_id, "email": "first@example.org"})
    pump(texting)

    assert texts_by_number() == {"+447400123456": 1}
