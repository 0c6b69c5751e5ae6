"""The admins' digest of sign-ups with access needs (issue 9 point 7), under moto from
template.yaml: sign-ups through ApiFunction's handler, the digest through DispatchFunction's.

Notices go to AdminNoticesTopic; an SQS queue subscribed to it receives exactly what the email
subscriber (NoticesEmail, else AlertEmail) would read: SNS's envelope with Subject and Message.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from infra.testkit import FIXED_NOW, PARAMETERS, REGION
from infra.testkit.api import invoke_admin
from infra.testkit.morning import Crash, run_dispatch
from infra.testkit.stack import moto_stack
from shared import clock, services
from shared.stores.notice_digest import NoticeDigestStore
from shared.workflows.notice_digest import LOCK_LEASE
from tests.integration.helpers import create_event, sign_up

NEEDS = "A BSL interpreter and live captions, please"
NEXT_RUN = "2026-11-26T07:00:00Z"  # the first run after FIXED_NOW (07:00 UK time, GMT)


@pytest.fixture
def inbox(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """ADMIN_NOTICES_TOPIC_ARN (ApiFunction's and DispatchFunction's own setting, beyond
    Globals), and a queue subscribed to the topic: what the notices address receives."""
    topic_arn = aws.physical["AdminNoticesTopic"]
    monkeypatch.setenv("ADMIN_NOTICES_TOPIC_ARN", topic_arn)
    services.reset()
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="notices-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def received() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(m["Body"]) for m in batch]
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)],
            )
        return found

    return received


def signed_up(event_ids: list[str], n: int, *, needs: str = NEEDS, at: datetime | None = None) -> str:
    """Person n signs up (with access needs and their consent, unless `needs` is empty)."""
    clock.freeze(at or FIXED_NOW + timedelta(minutes=n))
    address = f"person{n}@example.org"
    fields = {"access_needs": needs, "access_needs_consent": True} if needs else {}
    answer = sign_up(event_ids, name=f"Person Number{n}", email=address, organisation="Org Secret", **fields)
    assert answer.status == 201, answer.text
    return address


def dispatch_at(moment: str) -> dict[str, Any]:
    clock.freeze(datetime.fromisoformat(moment.replace("Z", "+00:00")))
    return run_dispatch(moment)


def sections(message: str) -> dict[str, list[str]]:
    """The digest's per-event sections: event id -> its `- signed up ...` lines."""
    found: dict[str, list[str]] = {}
    for block in message.split("\n\n")[1:]:
        (event_id,) = re.findall(r"See list_registrations for (\S+)\.", block)
        found[event_id] = [line for line in block.splitlines() if line.startswith("  - signed up ")]
    return found


def pending(event_id: str) -> int:
    return sum(r.admin_notice_due is not None for r in services.get().stores.registrations.of_event(event_id))


def test_thirty_sign_ups_make_one_digest_grouped_by_event_and_none_at_sign_up(aws, inbox):
    december = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    january = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    for n in range(18):
        signed_up([december], n)
    for n in range(18, 30):
        signed_up([january], n)
    for n in range(30, 33):
        signed_up([december, january], n, needs="")  # no access needs: in no notice
    assert inbox() == []  # zero notices at sign-up

    dispatch_at(NEXT_RUN)

    (digest,) = inbox()
    assert digest["TopicArn"] == aws.physical["AdminNoticesTopic"]
    assert digest["Subject"] == "Conversations on Co-production: 30 new sign-ups with access needs"
    message = digest["Message"]
    assert message.startswith("Since the last digest, 30 sign-ups for 2 events came with access needs.")
    found = sections(message)
    assert list(found) == [december, january]  # soonest event first
    assert (len(found[december]), len(found[january])) == (18, 12)
    assert "“Co-production in a Digital World”, Wednesday 9 December 2026 at 2:00pm UK time (GMT)" in message
    assert "18 new sign-ups with access needs. See list_registrations for " + december in message
    assert found[december][0] == "  - signed up Wednesday 25 November 2026 at 10:00am UK time (GMT)"
    assert found[january][-1] == "  - signed up Wednesday 25 November 2026 at 10:29am UK time (GMT)"
    # As little as today's single notice: no name, address, organisation, role or needs.
    for personal in ("Person", "Number", "@example.org", "Org Secret", "academic", "BSL", "captions"):
        assert personal not in json.dumps(digest), personal
    assert pending(december) == pending(january) == 0

    dispatch_at(NEXT_RUN)  # the same run again (a retry)
    dispatch_at("2026-11-27T07:00:00Z")  # the next morning, nothing new
    assert inbox() == []


def test_a_crash_after_the_digest_went_out_repeats_it_once_and_loses_no_one(aws, inbox, monkeypatch):
    event_id = create_event()
    for n in range(5):
        signed_up([event_id], n)
    real_clear = NoticeDigestStore.clear
    cleared: list[str] = []

    def crash_after_two(self: NoticeDigestStore, event_id: str, person_id: str, due: datetime) -> bool:
        if len(cleared) == 2:
            raise Crash
        cleared.append(person_id)
        return real_clear(self, event_id, person_id, due)

    monkeypatch.setattr(NoticeDigestStore, "clear", crash_after_two)

    with pytest.raises(Crash):
        dispatch_at(NEXT_RUN)

    (first,) = inbox()
    assert len(sections(first["Message"])[event_id]) == 5
    assert pending(event_id) == 3
    monkeypatch.setattr(NoticeDigestStore, "clear", real_clear)

    dispatch_at("2026-11-26T07:05:00Z")  # Lambda's retry of the failed run

    (again,) = inbox()  # the three not yet cleared are told again; the two cleared are not
    assert len(sections(again["Message"])[event_id]) == 3
    assert pending(event_id) == 0
    dispatch_at("2026-11-27T07:00:00Z")
    assert inbox() == []


def test_a_failure_to_publish_keeps_every_sign_up_for_the_retry(aws, inbox, monkeypatch):
    from botocore.exceptions import ClientError

    event_id = create_event()
    for n in range(4):
        signed_up([event_id], n)
    sns = services.get().client("sns")
    real_publish = sns.publish

    def refuse(**_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttled", "Message": "slow down"}}, "Publish")

    monkeypatch.setattr(sns, "publish", refuse)
    with pytest.raises(ClientError):
        dispatch_at(NEXT_RUN)
    assert inbox() == [] and pending(event_id) == 4
    monkeypatch.setattr(sns, "publish", real_publish)

    dispatch_at("2026-11-26T07:01:00Z")  # the retry: the lock was given back

    (digest,) = inbox()
    assert len(sections(digest["Message"])[event_id]) == 4


def test_of_two_runs_at_once_one_sends_and_a_dead_runs_lock_runs_out(aws, inbox):
    event_id = create_event()
    signed_up([event_id], 1)
    store = NoticeDigestStore(services.get().stores.table)
    run_at = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert store.lock("another-run", run_at, run_at + LOCK_LEASE)  # a run holding it, then dying

    dispatch_at(NEXT_RUN)
    assert inbox() == [] and pending(event_id) == 1

    dispatch_at((run_at + LOCK_LEASE).isoformat())
    (digest,) = inbox()
    assert event_id in sections(digest["Message"])


def test_a_late_sign_up_is_told_at_once_and_not_again_in_the_digest(aws, inbox):
    today = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    later = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    morning = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # after the 07:00 run: the next is tomorrow's

    signed_up([today, later], 1, at=morning)

    (single,) = inbox()
    assert single["Subject"] == "Conversations on Co-production: a sign-up with access needs"
    assert single["Message"] == (
        "A new sign-up for “Co-production in a Digital World” on Wednesday 9 December 2026 "
        f"includes access needs. See list_registrations for {today}."
    )
    assert (pending(today), pending(later)) == (0, 1)

    dispatch_at("2026-12-10T07:00:00Z")

    (digest,) = inbox()
    assert list(sections(digest["Message"])) == [later]


def test_a_sign_up_just_before_the_run_waits_for_it(aws, inbox):
    event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")

    signed_up([event_id], 1, at=datetime(2026, 12, 9, 6, 59, tzinfo=UTC))  # the run at 07:00 comes first

    assert inbox() == [] and pending(event_id) == 1
    dispatch_at("2026-12-09T07:00:00Z")
    (digest,) = inbox()
    assert list(sections(digest["Message"])) == [event_id]


def test_erased_and_cancelled_people_are_not_in_the_digest(aws, inbox):
    event_id = create_event()
    kept = signed_up([event_id], 1)
    erased = signed_up([event_id], 2)
    signed_up([event_id], 3)
    person = services.get().person_id_for(signed_up([event_id], 4))
    registration = services.get().stores.registrations.get(event_id, person)
    event = services.get().stores.events.get(event_id)
    assert registration is not None and event is not None
    assert services.get().stores.registrations.cancel(registration, event, FIXED_NOW)

    answer = invoke_admin({"action": "forget_person", "email": erased})
    assert answer["ok"], answer
    dispatch_at(NEXT_RUN)

    (digest,) = inbox()
    lines = sections(digest["Message"])[event_id]
    assert lines == [
        "  - signed up Wednesday 25 November 2026 at 10:01am UK time (GMT)",  # person 1
        "  - signed up Wednesday 25 November 2026 at 10:03am UK time (GMT)",  # person 3
    ]
    assert kept not in json.dumps(digest)
    assert pending(event_id) == 0  # the cancelled place's mark is cleared without a word


# --- where notices go --------------------------------------------------------------------------


NOTICES, ALARMS = "notices@example.org", "alarms@example.org"


def _subscribers(stack: Any, topic: str) -> list[str]:
    sns = boto3.client("sns", region_name=REGION)
    found = sns.list_subscriptions_by_topic(TopicArn=stack.physical[topic])["Subscriptions"]
    return sorted(s["Endpoint"] for s in found if s["Protocol"] == "email")


@pytest.mark.parametrize(
    ("given", "notices", "alarms"),
    [
        ({"NoticesEmail": NOTICES, "AlertEmail": ALARMS}, [NOTICES], [ALARMS]),
        ({"AlertEmail": ALARMS}, [ALARMS], [ALARMS]),
        ({"NoticesEmail": NOTICES}, [NOTICES], []),
        ({}, [], []),
    ],
    ids=["both", "alarms-address-only", "notices-address-only", "neither"],
)
def test_notices_go_to_notices_email_else_to_the_alarms_address(monkeypatch, given, notices, alarms):
    with moto_stack(monkeypatch, parameters={**PARAMETERS, **given}) as stack:
        assert _subscribers(stack, "AdminNoticesTopic") == notices
        assert _subscribers(stack, "AlarmTopic") == alarms
