"""Stores answer conflicts as results (pure: the DynamoDB client is a stand-in that refuses a
transaction with the cancellation reasons DynamoDB gives)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.domain.bulk import MorningSend
from shared.domain.models import Event, Role
from shared.domain.people import Person, Registration
from shared.stores.batches import BatchStore
from shared.stores.limits import RateLimit
from shared.stores.people import ProfileSave
from shared.stores.registrations import Commit, NewPlace, RegistrationStore
from shared.stores.table import Table

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EVENT = Event(
    id="e1", title="One", starts_at=NOW + timedelta(days=9), ends_at=NOW + timedelta(days=9, hours=1)
)


class RefusingDynamoDB:
    """Cancels every transaction, giving `reasons` in the order of its items."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        self.requests: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        self.requests.append(TransactItems)
        error = {"Code": "TransactionCanceledException", "Message": "cancelled"}
        reasons = [{"Code": code} for code in self.reasons]
        raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")


def _commit(reasons: list[str]) -> Commit:
    registration = Registration(
        event_id="e1", person_id="p1", email="a@example.org", role=Role.other, registered_at=NOW
    )
    person = Person(person_id="p1", email="a@example.org", name="A", created_at=NOW)
    store = RegistrationStore(Table("table", lambda: RefusingDynamoDB(reasons)))
    window = NOW.replace(minute=0)
    return store.commit_signup(
        [NewPlace(registration, EVENT, NOW + timedelta(days=400))],
        ProfileSave(person, NOW + timedelta(days=400), clear_unsubscribe=False, mark_confirmation=True),
        [
            RateLimit("address", "p1", window, 10, timedelta(hours=1)),
            RateLimit("ip", "ip-hash", window, 60, timedelta(hours=1)),
        ],
    )


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        # registration, event counters, profile, address limit, ip limit
        (["None", "None", "None", "ConditionalCheckFailed", "None"], Commit.rate_limited),
        (["None", "None", "None", "None", "ConditionalCheckFailed"], Commit.rate_limited),
        (["None", "None", "None", "None", "TransactionConflict"], Commit.lost_race),
        (["None", "None", "None", "TransactionConflict", "TransactionConflict"], Commit.lost_race),
        (["ConditionalCheckFailed", "None", "None", "None", "None"], Commit.lost_race),
        (["None", "ConditionalCheckFailed", "None", "None", "None"], Commit.lost_race),
        (["None", "None", "TransactionConflict", "None", "None"], Commit.lost_race),
    ],
)
def test_only_a_rate_limits_own_condition_is_rate_limiting_and_a_conflict_is_a_lost_race(reasons, expected):
    assert _commit(reasons) is expected


def test_a_transaction_refused_for_another_reason_is_unavailable():
    from shared.domain.errors import Unavailable

    with pytest.raises(Unavailable):
        _commit(["None", "None", "None", "ThrottlingError", "None"])


class RecordingDynamoDB:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.updates.append(request)
        return {}

    def query(self, **_request: Any) -> dict[str, Any]:
        # A batch as the version before ids-only batches wrote it: one map per recipient.
        recipient = {"M": {"person_id": {"S": "p1"}, "email": {"S": "a@example.org"}, "name": {"S": "A"}}}
        item = {
            "PK": {"S": "EVENT#e1"},
            "SK": {"S": "BATCH#2026-12-04T07:00:00Z#00000"},
            "status": {"S": "queued"},
            "recipients": {"L": [recipient, {"S": "p2"}]},
        }
        return {"Items": [item]}


def test_a_batch_written_before_ids_only_batches_is_read_as_person_ids_and_its_entries_can_be_removed():
    client = RecordingDynamoDB()
    batches = BatchStore(Table("table", lambda: client))

    (batch,) = batches.of_send("e1", MorningSend(datetime(2026, 12, 4, 7, tzinfo=UTC)))
    removed = batches.remove_recipient(batch, 0, "p1")

    assert batch.recipients == ["p1", "p2"]
    assert removed is True
    (update,) = client.updates
    assert update["UpdateExpression"] == "REMOVE recipients[0]"
    assert update["ConditionExpression"] == "recipients[0] = :person OR recipients[0].person_id = :person"
