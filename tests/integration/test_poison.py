"""Poison isolation: one recipient whose email cannot be built, that SES refuses, that SES fails on
with an error of its own, or whose mark the table keeps throttling, never stops anyone else's
email. For each stage and each bulk send path, one poisoned recipient among 25: the other 24 get
exactly one email each, no queue message fails, and the poisoned one is marked with a reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.testkit import raw_table
from infra.testkit.api import invoke_admin, outbox_headers
from infra.testkit.morning import add_registrants, pump, queued_messages, run_dispatch
from shared import clock, services
from shared.domain.models import Role
from shared.domain.people import Person
from tests.integration.helpers import create_event

EVENT_DAY_RUN = "2026-12-09T07:00:00Z"
EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
POISONED = "person7@example.org"
STAGES = ["build", "ses_refusal", "ses_unknown_error", "dynamodb_throttling"]


@pytest.fixture
def fast_ses(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


class PoisonedSes:
    """The real (moto) SES client, except for one recipient, whom it answers with `code`."""

    def __init__(self, real: Any, recipient: str, code: str, status: int) -> None:
        self.real, self.recipient, self.code, self.status = real, recipient, code, status

    def send_email(self, **kwargs: Any) -> Any:
        if kwargs["Destination"]["ToAddresses"] == [self.recipient]:
            error = {"Error": {"Code": self.code, "Message": "refused"}}
            raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": self.status}}, "SendEmail")
        return self.real.send_email(**kwargs)


class ThrottledTable:
    """The real (moto) DynamoDB client, except that every write to one registration is throttled."""

    def __init__(self, real: Any, key: dict[str, Any]) -> None:
        self.real, self.key = real, key

    def update_item(self, **kwargs: Any) -> Any:
        if kwargs.get("Key") == self.key:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
            raise ClientError(error, "UpdateItem")
        return self.real.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def poison(stage: str, event_id: str) -> list[float]:
    """Set up `stage`'s fault for POISONED; returns the list the injected sleep records into."""
    slept: list[float] = []
    person_id = services.get().person_id_for(POISONED)
    if stage == "build":
        # A record stored before addresses had to be ASCII: its email cannot be made.
        raw_table.put_people(
            [Person(person_id=person_id, email="ünï@example.org", name="Ünï", role=Role.other)]
        )
        services.override(sleep=slept.append)
    elif stage == "ses_refusal":
        services.override(
            ses_send=PoisonedSes(services.get().client("ses_send"), POISONED, "MessageRejected", 400),
            sleep=slept.append,
        )
    elif stage == "ses_unknown_error":
        services.override(
            ses_send=PoisonedSes(services.get().client("ses_send"), POISONED, "InvalidRecipientFormat", 400),
            sleep=slept.append,
        )
    else:
        key = {k: v for k, v in raw_table.registration_key(event_id, person_id).items()}
        services.override(dynamodb=ThrottledTable(services.get().client("dynamodb"), key), sleep=slept.append)
    return slept


def emails_by_recipient(subject_has: str) -> Counter[str]:
    return Counter(
        m["To"].addresses[0].addr_spec
        for m in outbox_headers()
        if subject_has in str(m.get("Subject", "")).lower()
    )


def expected_failure(stage: str) -> list[tuple[str, str]]:
    reason = {"build": "unbuildable", "ses_refusal": "rejected", "ses_unknown_error": "send_error"}
    return [] if stage == "dynamodb_throttling" else [("email", reason[stage])]


def failures_of(event_id: str) -> dict[str, list[tuple[str, str]]]:
    services.override()
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})
    assert roster["ok"], roster
    return {
        r["person_id"]: [(f["channel"], f["reason"]) for f in r["send_failures"]]
        for r in roster["registrations"]
        if r["send_failures"]
    }


@pytest.mark.parametrize("stage", STAGES)
def test_one_poisoned_recipient_among_25_in_the_morning_send(fast_ses, stage):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 25, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    poison(stage, event_id)

    handled = pump(fast_ses)

    assert handled == 1 and queued_messages(fast_ses) == 0  # the batch's message succeeded
    got = emails_by_recipient("zoom link")
    others = [a for a in addresses if a != POISONED]
    assert {a: got[a] for a in others} == {a: 1 for a in others}
    # The throttled one got their email (SES took it); only its mark could not be written.
    assert got[POISONED] == (1 if stage == "dynamodb_throttling" else 0)
    person_id = services.get().person_id_for(POISONED)
    expected = expected_failure(stage)
    assert failures_of(event_id) == ({person_id: expected} if expected else {})


@pytest.mark.parametrize("stage", STAGES)
def test_one_poisoned_recipient_among_25_in_a_change_notice(fast_ses, stage):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 25, now=clock.now())
    moved = invoke_admin({"action": "update_event", "event_id": event_id, "starts_at": "2026-12-09T15:00:00"})
    assert moved["ok"], moved
    pump(fast_ses)  # the notice went to everyone before the poison: start again from none sent
    outbox_before = len(outbox_headers())
    assert outbox_before == 25
    again = invoke_admin({"action": "update_event", "event_id": event_id, "starts_at": "2026-12-09T16:00:00"})
    assert again["ok"], again
    poison(stage, event_id)

    pump(fast_ses)

    assert queued_messages(fast_ses) == 0
    got = Counter(m["To"].addresses[0].addr_spec for m in outbox_headers()[outbox_before:])
    others = [a for a in addresses if a != POISONED]
    assert {a: got[a] for a in others} == {a: 1 for a in others}
    assert got[POISONED] == (1 if stage == "dynamodb_throttling" else 0)
    person_id = services.get().person_id_for(POISONED)
    expected = expected_failure(stage)
    assert failures_of(event_id) == ({person_id: expected} if expected else {})


def test_when_every_email_fails_the_same_way_nobody_is_marked_and_the_batch_waits(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 25, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)

    class Broken:
        def send_email(self, **_kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "SomethingNew", "Message": "x"}}, "SendEmail")

    services.override(ses_send=Broken(), sleep=lambda _s: None)
    pump(fast_ses)

    assert queued_messages(fast_ses) == 1  # given back: the fault is not any one recipient's
    assert failures_of(event_id) == {}
    pump(fast_ses, visible_again=True)
    assert emails_by_recipient("zoom link") == {a: 1 for a in addresses}


def test_a_queued_confirmation_that_can_never_go_is_marked_and_not_retried(fast_ses):
    from infra.testkit.api import call_api

    event_id = create_event()

    class Down:
        def send_email(self, **_kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "SendEmail")

    services.override(ses_send=Down())
    body = {"name": "Ada", "email": POISONED, "role": "academic", "consent": True, "event_ids": [event_id]}
    assert call_api("POST", "/signups", json_body=body).json()["signup"]["confirmation"] == "queued"
    poison("ses_refusal", event_id)

    pump(fast_ses)

    assert queued_messages(fast_ses) == 0
    assert failures_of(event_id) == {services.get().person_id_for(POISONED): [("email", "rejected")]}
