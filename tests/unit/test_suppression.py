"""Which addresses an SES event suppresses, and the write that only ever raises a suppression
(pure: no AWS; the people store runs on a recorder of DynamoDB requests)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.domain.models import Suppression
from shared.stores.people import PersonStore
from shared.stores.table import Table
from shared.workflows.suppression import Decision, MalformedSesEvent, apply, decide, outranks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 12, 9, 7, 0, 6, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"ses-eventbridge-{name}.json").read_text())


class RecordingDynamoDB:
    """Records UpdateItem requests; answers as if the condition held (or failed, when told)."""

    def __init__(self, condition_holds: bool = True) -> None:
        self.condition_holds = condition_holds
        self.updates: list[dict[str, Any]] = []

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("TableName")
        self.updates.append(kwargs)
        if not self.condition_holds:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")
        return {}


def people(recorder: RecordingDynamoDB) -> PersonStore:
    return PersonStore(Table("table", lambda: recorder))


def test_given_a_permanent_bounce_when_decided_then_its_address_is_to_be_suppressed_as_bounced():
    decision = decide(fixture("bounce-permanent"))

    assert decision.event_type == "Bounce"
    assert decision.bounce_type == "Permanent"
    assert decision.bounce_sub_type == "General"
    assert decision.suppression is Suppression.bounced
    assert decision.addresses == ("recipient@example.com",)
    assert decision.ignored == 0


def test_given_a_transient_bounce_when_decided_then_nothing_is_suppressed_and_its_recipient_is_ignored():
    decision = decide(fixture("bounce-transient"))

    assert (decision.bounce_type, decision.suppression, decision.addresses) == ("Transient", None, ())
    assert decision.ignored == 1


@pytest.mark.parametrize("bounce_type", ["Undetermined", "SomethingNew"])
def test_given_a_bounce_that_is_not_permanent_when_decided_then_nothing_is_suppressed(bounce_type):
    event = fixture("bounce-permanent")
    event["detail"]["bounce"]["bounceType"] = bounce_type

    decision = decide(event)

    assert decision.suppression is None and decision.addresses == () and decision.ignored == 1


def test_given_a_complaint_when_decided_then_its_address_is_to_be_suppressed_as_complained():
    decision = decide(fixture("complaint"))

    assert decision.event_type == "Complaint"
    assert decision.suppression is Suppression.complained
    assert decision.addresses == ("recipient@example.com",)


def test_given_recipients_in_mixed_case_and_repeated_when_decided_then_each_address_appears_once():
    event = fixture("bounce-permanent")
    event["detail"]["bounce"]["bouncedRecipients"] = [
        {"emailAddress": " Recipient@Example.COM "},
        {"emailAddress": "recipient@example.com"},
        {"emailAddress": "Other Person <other@example.com>"},
    ]

    decision = decide(event)

    assert decision.addresses == ("recipient@example.com", "other@example.com")


def test_given_recipients_without_a_usable_address_when_decided_then_they_are_ignored_the_rest_kept():
    event = fixture("complaint")
    event["detail"]["complaint"]["complainedRecipients"] = [
        {"emailAddress": "recipient@example.com"},
        {},
        {"emailAddress": 42},
        "not an object",
        {"emailAddress": "no-at-sign"},
    ]

    decision = decide(event)

    assert decision.addresses == ("recipient@example.com",)
    assert (decision.ignored, decision.unreadable) == (4, 4)


def test_given_an_event_without_event_type_when_decided_then_the_detail_type_says_what_it_is():
    event = fixture("complaint")
    del event["detail"]["eventType"]

    assert decide(event).suppression is Suppression.complained


def test_given_another_ses_event_type_when_decided_then_nothing_is_suppressed():
    event = fixture("bounce-permanent")
    event["detail-type"] = "Email Delivered"
    event["detail"]["eventType"] = "Delivery"

    assert decide(event) == Decision(event_type="Delivery")


def _without(path: list[str]) -> dict[str, Any]:
    event = fixture("bounce-permanent")
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(None, id="not-an-object"),
        pytest.param([], id="a-list"),
        pytest.param({}, id="empty"),
        pytest.param(_without(["detail"]), id="no-detail"),
        pytest.param(_without(["detail", "bounce"]), id="no-bounce"),
        pytest.param(_without(["detail", "bounce", "bounceType"]), id="no-bounce-type"),
        pytest.param(_without(["detail", "bounce", "bouncedRecipients"]), id="no-recipients"),
        pytest.param(
            {**fixture("bounce-permanent"), "detail-type": "Something"} | {"detail": {}}, id="no-type"
        ),
        pytest.param(
            {**fixture("complaint"), "detail": {**fixture("complaint")["detail"], "complaint": "x"}},
            id="complaint-not-an-object",
        ),
        pytest.param({**fixture("complaint"), "detail-type": "Email Bounced"}, id="detail-type-disagrees"),
    ],
)
def test_given_a_malformed_event_when_decided_then_it_is_refused_naming_the_field_and_not_the_content(event):
    with pytest.raises(MalformedSesEvent) as refused:
        decide(copy.deepcopy(event))

    assert "@" not in refused.value.problem


@pytest.mark.parametrize(
    ("new", "current", "expected"),
    [
        (Suppression.bounced, None, True),
        (Suppression.bounced, Suppression.unsubscribed, True),
        (Suppression.bounced, Suppression.bounced, False),
        (Suppression.bounced, Suppression.complained, False),
        (Suppression.complained, Suppression.bounced, True),
        (Suppression.complained, Suppression.complained, False),
        (Suppression.unsubscribed, Suppression.bounced, False),
        (Suppression.unsubscribed, Suppression.complained, False),
    ],
)
def test_given_a_current_suppression_when_a_new_one_arrives_then_it_only_ever_goes_up(new, current, expected):
    assert outranks(new, current) is expected


def test_given_a_bounce_when_written_then_marker_and_profile_rise_only_from_nothing_or_an_unsubscribe():
    recorder = RecordingDynamoDB()

    assert people(recorder).suppress("p1", Suppression.bounced, NOW) is True

    marker, profile = recorder.updates
    # The hash-only marker first: created if absent, with no expiry, so it outlives the profile.
    assert marker["Key"] == {"PK": {"S": "PERSON#p1"}, "SK": {"S": "SUPPRESSION"}}
    assert marker["UpdateExpression"] == "SET #suppression = :level, suppressed_at = :now REMOVE expires_at"
    assert marker["ConditionExpression"] == "attribute_not_exists(#suppression) OR #suppression IN (:weaker0)"
    # Then the profile, only if there is one (an unknown address has the marker alone).
    assert profile["Key"] == {"PK": {"S": "PERSON#p1"}, "SK": {"S": "PROFILE"}}
    assert profile["UpdateExpression"] == "SET #suppression = :level, suppressed_at = :now"
    assert profile["ConditionExpression"] == (
        "attribute_exists(PK) AND (attribute_not_exists(#suppression) OR #suppression IN (:weaker0))"
    )
    for update in (marker, profile):
        assert update["ExpressionAttributeValues"] == {
            ":level": {"S": "bounced"},
            ":now": {"S": "2026-12-09T07:00:06Z"},
            ":weaker0": {"S": "unsubscribed"},
        }


def test_given_a_complaint_when_written_then_it_replaces_nothing_an_unsubscribe_or_a_bounce():
    recorder = RecordingDynamoDB()

    people(recorder).suppress("p1", Suppression.complained, NOW)

    for update in recorder.updates:
        values = update["ExpressionAttributeValues"]
        assert values[":level"] == {"S": "complained"}
        assert {values[":weaker0"]["S"], values[":weaker1"]["S"]} == {"unsubscribed", "bounced"}


def test_given_a_suppression_already_as_high_when_written_then_the_answer_is_unchanged():
    assert people(RecordingDynamoDB(condition_holds=False)).suppress("p1", Suppression.bounced, NOW) is False


def test_given_a_decision_when_applied_then_each_address_is_written_once_by_its_keyed_id():
    recorder = RecordingDynamoDB()
    decision = decide(fixture("complaint"))

    outcome = apply(
        decision,
        people=people(recorder),
        person_id_for=lambda address: f"id-of-{len(address)}",
        now=NOW,
    )

    assert outcome.answer() == {"suppressed": 1, "ignored": 0}
    assert outcome.changed == 1
    assert {update["Key"]["PK"]["S"] for update in recorder.updates} == {"PERSON#id-of-21"}
    assert "recipient@example.com" not in json.dumps(recorder.updates)


def test_given_a_transient_bounce_when_applied_then_nothing_is_written():
    recorder = RecordingDynamoDB()

    outcome = apply(
        decide(fixture("bounce-transient")),
        people=people(recorder),
        person_id_for=lambda address: "never",
        now=NOW,
    )

    assert outcome.answer() == {"suppressed": 0, "ignored": 1}
    assert recorder.updates == []


def test_given_an_outcome_when_logged_then_only_types_and_counts_are_given():
    decision = decide(fixture("bounce-permanent"))
    outcome = apply(
        decision,
        people=people(RecordingDynamoDB()),
        person_id_for=lambda address: "some-person-id",
        now=NOW,
    )

    assert outcome.log_fields() == {
        "event_type": "Bounce",
        "bounce_type": "Permanent",
        "bounce_sub_type": "General",
        "suppression": "bounced",
        "recipients": 1,
        "suppressed": 1,
        "newly_suppressed": 1,
        "ignored": 0,
        "unreadable_recipients": 0,
    }


def test_given_type_fields_that_are_not_type_names_when_logged_then_they_are_not_repeated():
    event = fixture("bounce-permanent")
    event["detail"]["eventType"] = "recipient@example.com"
    del event["detail-type"]

    fields = apply(decide(event), people=people(RecordingDynamoDB()), person_id_for=str, now=NOW).log_fields()

    assert fields["event_type"] == "(unrecognised)"
