"""The table, straight: for tests that arrange or inspect what no route or action can (a counter
set by hand, a profile's expiry, every item at once). Production code goes through the stores;
here the keys are written out, once."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from shared import services

_plain = TypeDeserializer()


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
