"""The table, straight: for tests and benchmarks that arrange or inspect what no route or action
can (registrants in bulk, a counter set by hand, a profile's expiry, every item at once).
Production code goes through the stores; here the keys are written out, once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shared import services
from shared.domain.people import Person, Registration

_plain = TypeDeserializer()
_typed = TypeSerializer()


def client() -> Any:
    return services.get().client("dynamodb")


def name() -> str:
    return services.get().settings.table_name


def event_key(event_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": "EVENT"}}


def registration_key(event_id: str, person_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": f"REG#{person_id}"}}


def person_key(person_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"PERSON#{person_id}"}, "SK": {"S": "PROFILE"}}


def _put_all(items: list[dict[str, Any]]) -> None:
    requests = [{"PutRequest": {"Item": {k: _typed.serialize(v) for k, v in item.items()}}} for item in items]
    for start in range(0, len(requests), 25):
        client().batch_write_item(RequestItems={name(): requests[start : start + 25]})


def put_people(people: Iterable[Person]) -> None:
    """Profiles as the people store writes them, 25 to a BatchWriteItem."""
    items = []
    for person in people:
        values = person.model_dump(mode="json", exclude_none=True, exclude={"person_id"})
        values = {k: v for k, v in values.items() if v != ""}
        items.append({"PK": f"PERSON#{person.person_id}", "SK": "PROFILE", **values})
    _put_all(items)


def marker_key(person_id: str) -> dict[str, Any]:
    """The hash-only suppression marker, which outlives the profile."""
    return {"PK": {"S": f"PERSON#{person_id}"}, "SK": {"S": "SUPPRESSION"}}


def expire(key: dict[str, Any]) -> None:
    """What DynamoDB's TTL does to an item whose `expires_at` has passed: delete it, unconditionally."""
    item = get_item(key)
    assert item is not None and "expires_at" in item, "only an item with an expiry is deleted by TTL"
    client().delete_item(TableName=name(), Key=key)


def put_registrations(registrations: Iterable[Registration]) -> None:
    """Registration items as the registrations store writes them, 25 to a BatchWriteItem."""
    items = []
    for registration in registrations:
        values = registration.model_dump(mode="json", exclude_none=True)
        # Send marks are string sets, written only by the sends themselves (never an empty list).
        for marks in ("messages_sent", "messages_failed"):
            if values.get(marks) == []:
                del values[marks]
        values.update(
            {
                "PK": f"EVENT#{registration.event_id}",
                "SK": f"REG#{registration.person_id}",
                "GSI2PK": f"PERSON#{registration.person_id}",
                "GSI2SK": registration.event_id,
            }
        )
        items.append(values)
    _put_all(items)


def put_item(values: dict[str, Any]) -> None:
    """One item exactly as given (plain Python values), as someone editing the table in the
    console, or older code, might have written it: no store checks it."""
    client().put_item(TableName=name(), Item={k: _typed.serialize(v) for k, v in values.items()})


def update_item(**request: Any) -> None:
    """UpdateItem as boto3 takes it (typed values), on the stack's table."""
    client().update_item(TableName=name(), **request)


def get_item(key: dict[str, Any]) -> dict[str, Any] | None:
    """The item with plain Python values, or None."""
    item = client().get_item(TableName=name(), Key=key).get("Item")
    return {k: _plain.deserialize(v) for k, v in item.items()} if item else None


def scan(**request: Any) -> list[dict[str, Any]]:
    """Every item (typed, as DynamoDB answers), optionally filtered."""
    items: list[dict[str, Any]] = []
    for page in client().get_paginator("scan").paginate(TableName=name(), **request):
        items.extend(page["Items"])
    return items
