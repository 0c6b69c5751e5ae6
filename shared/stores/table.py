"""The table helper, private to `shared/stores/`: serialisation, retries, and AWS failures mapped
to domain answers. Stores write their own expressions (they alone know their attributes); this
module turns plain Python values into DynamoDB's typed values and back, and turns a lost
condition into `False` (single writes) or the labels of the writes that lost (transactions).

It speaks the low-level client with boto3's type (de)serialisers: the resource layer costs
cold-start time and hides the request count that `make bench` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import Unavailable
from shared.domain.stored_time import from_stored, to_stored
from shared.observability import logger_for

logger = logger_for("repository")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# A stored item with plain Python values: the one loose shape, and it never leaves shared/stores/.
Item = dict[str, Any]
Key = tuple[str, str]  # (PK, SK)

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
UNPROCESSED_RETRIES = 8
_FAILED, _RACED = "ConditionalCheckFailed", "TransactionConflict"


def iso(moment: datetime | None) -> str | None:
    """Stored times, in the one stored form (shared/domain/stored_time.py): they sort as text."""
    return to_stored(moment) if moment else None


def parse_iso(text: object) -> datetime | None:
    """A stored time back (None for a missing or empty one); `UnreadableTime` for anything that
    is not in the stored form."""
    return None if text is None or text == "" else from_stored(text)


def epoch(moment: datetime) -> int:
    """DynamoDB's TTL attribute: whole seconds since 1970."""
    return int(moment.timestamp())


def typed(values: Item) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def plain(item: dict[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _key(key: Key) -> dict[str, Any]:
    return {"PK": {"S": key[0]}, "SK": {"S": key[1]}}


@dataclass(frozen=True)
class Write:
    """One write of a transaction (or on its own): a Put of `item`, or an Update of `key` with
    `update`, either under `condition`. `label` names it when its condition is what failed."""

    label: str
    key: Key | None = None
    item: Item | None = None
    update: str | None = None
    condition: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    values: Item = field(default_factory=dict)

    def request(self, table_name: str) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": table_name}
        if self.item is not None:
            request["Item"] = typed(self.item)
        else:
            assert self.key is not None and self.update is not None
            request["Key"] = _key(self.key)
            request["UpdateExpression"] = self.update
        if self.condition:
            request["ConditionExpression"] = self.condition
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = typed(self.values)
        return request


@dataclass(frozen=True)
class Refusal:
    """Why a transaction did not commit, by the labels of its writes: `failed`, a condition was
    false; `raced`, another transaction held the same item (try again). Empty: it committed."""

    failed: frozenset[str] = frozenset()
    raced: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.failed or self.raced)


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "Unknown"))
    return type(error).__name__


def unavailable(error: Exception) -> Unavailable:
    """A DynamoDB failure, as the 503 callers see. Only the error code is logged: messages can
    quote the values written."""
    logger.warning("dynamodb request failed", extra={"error_code": _code(error)})
    return Unavailable()


class Table:
    def __init__(self, name: str, client: Callable[[], Any]) -> None:
        self.name = name
        self._client_factory = client

    @property
    def client(self) -> Any:
        return self._client_factory()

    def _call(self, operation: str, **request: Any) -> Any:
        try:
            return getattr(self.client, operation)(TableName=self.name, **request)
        except (ClientError, BotoCoreError) as error:
            raise unavailable(error) from error

    # --- reads ------------------------------------------------------------------------------------

    def get(self, key: Key, *, consistent: bool = False) -> Item | None:
        found = self._call("get_item", Key=_key(key), ConsistentRead=consistent).get("Item")
        return plain(found) if found else None

    def get_many(self, keys: Iterable[Key]) -> list[Item]:
        """Every item that exists among `keys` (any order), retrying unprocessed keys."""
        wanted = [_key(k) for k in dict.fromkeys(keys)]
        found: list[Item] = []
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {self.name: {"Keys": wanted[start : start + BATCH_GET_LIMIT]}}
            for _attempt in range(UNPROCESSED_RETRIES):
                try:
                    answer = self.client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise unavailable(error) from error
                found.extend(plain(item) for item in answer["Responses"].get(self.name, []))
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise Unavailable()
        return found

    def query(
        self,
        partition: str,
        prefix: str | None = None,
        *,
        index: str | None = None,
        consistent: bool = False,
        descending: bool = False,
        keys_only: bool = False,
    ) -> Iterator[Item]:
        """Items of one partition (of the table, or of a GSI whose keys are GSI<n>PK/GSI<n>SK),
        optionally only those whose sort key starts with `prefix`, in sort-key order."""
        pk, sk = ("PK", "SK") if index is None else INDEX_KEYS[index]
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": f"{pk} = :pk" + (f" AND begins_with({sk}, :prefix)" if prefix else ""),
            "ExpressionAttributeValues": typed({":pk": partition, ":prefix": prefix}),
            "ScanIndexForward": not descending,
        }
        if index is not None:
            request["IndexName"] = index
        if consistent:
            request["ConsistentRead"] = True
        if keys_only:
            request["ProjectionExpression"] = "PK, SK"
        while True:
            try:
                answer = self.client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise unavailable(error) from error
            yield from (plain(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def count(self, partition: str, prefix: str, *, having: str) -> int:
        """How many items of one partition whose sort key starts with `prefix` have the attribute
        `having`: counted by DynamoDB (Select COUNT), so no item comes back."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "FilterExpression": "attribute_exists(#having)",
            "ExpressionAttributeNames": {"#having": having},
            "ExpressionAttributeValues": typed({":pk": partition, ":prefix": prefix}),
            "Select": "COUNT",
        }
        total = 0
        while True:
            try:
                answer = self.client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise unavailable(error) from error
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                return total
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # --- writes -----------------------------------------------------------------------------------

    def write(self, write: Write, *, returning: bool = False) -> Item | bool:
        """One Put or Update. False when its condition fails; with `returning`, the item as it
        stands after an Update."""
        request = write.request(self.name)
        del request["TableName"]
        if returning:
            request["ReturnValues"] = "ALL_NEW"
        operation = "put_item" if write.item is not None else "update_item"
        try:
            answer = getattr(self.client, operation)(TableName=self.name, **request)
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise unavailable(error) from error
        except BotoCoreError as error:
            raise unavailable(error) from error
        return plain(answer.get("Attributes", {})) if returning else True

    def transact(self, writes: list[Write]) -> Refusal:
        """TransactWriteItems, all or nothing. Answers which writes stopped it (falsy: committed):
        those whose condition failed, and those that met another transaction on the same item."""
        items = [{"Put" if w.item is not None else "Update": w.request(self.name)} for w in writes]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                refusal = Refusal(
                    failed=frozenset(
                        w.label for w, code in zip(writes, reasons, strict=False) if code == _FAILED
                    ),
                    raced=frozenset(
                        w.label for w, code in zip(writes, reasons, strict=False) if code == _RACED
                    ),
                )
                if refusal:
                    return refusal
            raise unavailable(error) from error
        except BotoCoreError as error:
            raise unavailable(error) from error
        return Refusal()

    def put_many(self, items: list[Item]) -> None:
        """BatchWriteItem, 25 at a time, retrying unprocessed items."""
        requests = [{"PutRequest": {"Item": typed(item)}} for item in items]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self.name: requests[start : start + BATCH_WRITE_LIMIT]}
            for _attempt in range(UNPROCESSED_RETRIES):
                try:
                    answer = self.client.batch_write_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise unavailable(error) from error
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise Unavailable()

    def delete(self, key: Key) -> None:
        self._call("delete_item", Key=_key(key))


# The table's global secondary indexes (template.yaml): name -> (partition key, sort key).
INDEX_KEYS: dict[str, tuple[str, str]] = {
    "EventsByStart": ("GSI1PK", "GSI1SK"),
    "RegistrationsByPerson": ("GSI2PK", "GSI2SK"),
}
