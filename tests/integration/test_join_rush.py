"""The join rush: thousands of first opens on one event within two minutes. A first open writes
the registration and the event's counter with plain UpdateItems, never a transaction, so it can
neither cancel nor be cancelled by the late sign-ups' transactions on the same event item
(docs/performance.md, "Capacity"); a counter that cannot be written never costs the redirect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from infra.testkit.api import call_api, outbox
from shared import clock, services
from tests.integration.helpers import ZOOM, create_event, sign_up
from tests.integration.test_morning_send import join_link_in_ics

EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)


class WatchedDynamoDB:
    """The real client, recording each operation; optionally failing the ADD to `links_opened`
    as DynamoDB does when a transaction holds the item (TransactionConflictException)."""

    def __init__(self, real: Any, *, conflict_on_count: bool = False) -> None:
        self.real = real
        self.operations: list[str] = []
        self.conflict_on_count = conflict_on_count

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def call(**kwargs: Any) -> Any:
            self.operations.append(name)
            if self.conflict_on_count and "links_opened" in str(kwargs.get("UpdateExpression", "")):
                error = {"Error": {"Code": "TransactionConflictException", "Message": "held"}}
                raise ClientError(error, name)
            return method(**kwargs)

        return call


def opening(conflict_on_count: bool = False) -> tuple[str, str, WatchedDynamoDB]:
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    token = join_link_in_ics(outbox()[0])
    clock.freeze(EVENT_DAY_0700)
    watched = WatchedDynamoDB(services.get().client("dynamodb"), conflict_on_count=conflict_on_count)
    services.override(dynamodb=watched)
    return event_id, token, watched


def test_a_first_open_is_two_reads_and_two_plain_writes_and_no_transaction(aws):
    event_id, token, watched = opening()

    answer = call_api("GET", f"/join/{token}")

    assert answer.status == 302 and answer.headers["location"] == ZOOM["zoom_join_url"]
    assert watched.operations == ["get_item", "get_item", "update_item", "update_item"]
    assert services.get().stores.events.get(event_id).links_opened == 1
    watched.operations.clear()
    assert call_api("GET", f"/join/{token}").status == 302
    assert watched.operations == ["get_item", "get_item"]  # a second open only reads


def test_an_open_whose_count_meets_a_transaction_still_redirects_and_is_noted(aws):
    event_id, token, _ = opening(conflict_on_count=True)

    answer = call_api("GET", f"/join/{token}")

    assert answer.status == 302
    person_id = services.get().person_id_for("ada@example.org")
    assert services.get().stores.registrations.get(event_id, person_id).opened_at == EVENT_DAY_0700
