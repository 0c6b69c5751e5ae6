"""The morning-text benchmark (bench/texts.py) names each of a text's requests from what the stores
really send, and gives its registrants numbers the sign-up itself would take, none of which moto
calls opted out, so that its counts per texted recipient mean what its table says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.morning import classify
from bench.texts import TEXT_ONLY, TEXT_REGISTRANTS, TEXT_SHARES, uk_mobile
from shared.domain.people import SendFailure
from shared.domain.phones import mobile_number
from shared.stores.join_codes import JoinCodeStore
from shared.stores.registrations import RegistrationStore
from shared.stores.text_claims import TextClaimStore

MOMENT = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)


class RecordingTable:
    """Takes each write the stores make, as the DynamoDB request it would be, and accepts it."""

    name = "bench-table"

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def write(self, write: Any, **_kwargs: Any) -> bool:
        self.requests.append(write.request(self.name))
        return True

    def purpose(self) -> str | None:
        return classify("dynamodb", "UpdateItem", self.requests.pop())


def test_each_of_a_texts_writes_is_named_as_the_stores_write_it():
    table = RecordingTable()
    key = b"k" * 32
    registrations = RegistrationStore(table)

    TextClaimStore(table, lambda: key).claim("event-1", "+447400000001", "person-1", MOMENT)
    assert table.purpose() == "UpdateItem text claim"
    JoinCodeStore(table, lambda: key).ensure("event-1", "person-1", MOMENT)
    assert table.purpose() == "UpdateItem join code"
    registrations.mark_text_sent("event-1", "person-1", MOMENT, MOMENT)
    assert table.purpose() == "UpdateItem mark text sent"
    registrations.mark_text_failed("event-1", "person-1", MOMENT, None)
    assert table.purpose() == "UpdateItem mark number texted already"
    failure = SendFailure(channel="sms", kind="join_link", reason="rejected", at=MOMENT)
    registrations.mark_text_failed("event-1", "person-1", MOMENT, failure)
    assert table.purpose() == "UpdateItem record send failure"
    registrations.mark_link_sent("event-1", "person-1", MOMENT, MOMENT)
    assert table.purpose() == "UpdateItem mark sent"  # the email's, not counted as a text's

    assert {name for _service, name in TEXT_ONLY} >= {
        "UpdateItem text claim",
        "UpdateItem join code",
        "UpdateItem mark text sent",
    }
    assert ("dynamodb", "UpdateItem mark sent") not in TEXT_ONLY


def test_the_bench_numbers_are_distinct_uk_mobiles_that_moto_never_calls_opted_out():
    count = max(TEXT_REGISTRANTS, 1_000) * max(TEXT_SHARES)
    numbers = [uk_mobile(n) for n in range(count)]

    assert len(set(numbers)) == count
    assert not [n for n in numbers if n.endswith("99")]  # moto: opted out
    assert all(mobile_number(n) == n for n in numbers[:200] + numbers[-200:])
