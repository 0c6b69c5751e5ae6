"""The DynamoDB repository: the only module that knows the table's keys and attribute names.

One table (see template.yaml and DESIGN.md):
  event         PK EVENT#<event_id>   SK EVENT             GSI1 EVENTS / <starts_at>#<event_id>
  registration  PK EVENT#<event_id>   SK REG#<person_id>   GSI2 PERSON#<person_id> / <starts_at>#<event_id>
  person        PK PERSON#<person_id> SK PROFILE
  rate limit    PK RATE#<scope>#<key> SK <window start>    (expires through TTL)

It speaks the low-level client with boto3's type (de)serialisers: the resource layer costs
cold-start time and hides the request count that `make bench` reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from shared import aws
from shared.domain.errors import Unavailable
from shared.domain.models import (
    Event,
    EventStatus,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    Suppression,
)

logger = Logger(service="repository")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

EVENTS_INDEX = "EventsByStart"
PERSON_INDEX = "RegistrationsByPerson"


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def event_key(event_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": "EVENT"}}


def registration_key(event_id: str, person_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": f"REG#{person_id}"}}


def person_key(person_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"PERSON#{person_id}"}, "SK": {"S": "PROFILE"}}


def count_key(status: RegistrationStatus, role: Role) -> str:
    return f"{status.value}#{role.value}"


# --- items <-> models ---------------------------------------------------------------------------


def event_to_item(event: Event) -> dict[str, Any]:
    values = event.model_dump(mode="python")
    values.update(
        PK=f"EVENT#{event.id}",
        SK="EVENT",
        GSI1PK="EVENTS",
        GSI1SK=f"{iso(event.starts_at)}#{event.id}",
        starts_at=iso(event.starts_at),
        ends_at=iso(event.ends_at),
        created_at=iso(event.created_at),
        updated_at=iso(event.updated_at),
        status=event.status.value,
    )
    return to_item(values)


def event_from_item(item: dict[str, Any]) -> Event:
    values = from_item(item)
    for key in ("capacity", "registered_count", "waitlisted_count", "sequence", "links_opened"):
        if values.get(key) is not None:
            values[key] = int(values[key])
    values["counts"] = {k: int(v) for k, v in values.get("counts", {}).items()}
    return Event.model_validate(values)


def registration_from_item(item: dict[str, Any]) -> Registration:
    return Registration.model_validate(from_item(item))


def person_from_item(item: dict[str, Any]) -> Person:
    values = from_item(item)
    values["person_id"] = values["PK"].removeprefix("PERSON#")
    return Person.model_validate(values)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class SignupSnapshot:
    """Everything a sign-up decision needs, read in one BatchGetItem."""

    events: dict[str, Event] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)
    person: Person | None = None


class TransactionConflict(Exception):
    """A conditional write inside a transaction lost a race; `reasons` are per item, in order."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


def _unavailable(error: Exception) -> Unavailable:
    """A DynamoDB failure, as the 503 callers see. Only the error code is logged: messages can
    quote the values written."""
    code = (
        error.response.get("Error", {}).get("Code")
        if isinstance(error, ClientError)
        else type(error).__name__
    )
    logger.warning("dynamodb request failed", extra={"error_code": code})
    return Unavailable()


class Repository:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("dynamodb")
        return self._client

    # --- reads ---------------------------------------------------------------------------------

    def batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every item that exists among `keys` (any order), retrying unprocessed keys."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            pending: dict[str, Any] = {self.table_name: {"Keys": keys[start : start + 100]}}
            for _attempt in range(5):
                try:
                    answer = self.client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise _unavailable(error) from error
                found.extend(answer["Responses"].get(self.table_name, []))
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise Unavailable()
        return found

    def load_signup_snapshot(self, event_ids: list[str], person_id: str) -> SignupSnapshot:
        keys = [event_key(e) for e in event_ids]
        keys += [registration_key(e, person_id) for e in event_ids]
        keys.append(person_key(person_id))
        snapshot = SignupSnapshot()
        for item in self.batch_get(keys):
            sort_key = item["SK"]["S"]
            if sort_key == "EVENT":
                event = event_from_item(item)
                snapshot.events[event.id] = event
            elif sort_key.startswith("REG#"):
                registration = registration_from_item(item)
                snapshot.registrations[registration.event_id] = registration
            elif sort_key == "PROFILE":
                snapshot.person = person_from_item(item)
        return snapshot

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            item: dict[str, Any] | None = self.client.get_item(TableName=self.table_name, Key=key).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error
        return item

    def get_event(self, event_id: str) -> Event | None:
        item = self._get(event_key(event_id))
        return event_from_item(item) if item else None

    def get_events(self, event_ids: Iterable[str]) -> dict[str, Event]:
        events = [
            event_from_item(i) for i in self.batch_get([event_key(e) for e in dict.fromkeys(event_ids)])
        ]
        return {event.id: event for event in events}

    def get_person(self, person_id: str) -> Person | None:
        item = self._get(person_key(person_id))
        return person_from_item(item) if item else None

    def get_registration(self, event_id: str, person_id: str) -> Registration | None:
        item = self._get(registration_key(event_id, person_id))
        return registration_from_item(item) if item else None

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs["TableName"] = self.table_name
        while True:
            try:
                answer = self.client.query(**kwargs)
            except (ClientError, BotoCoreError) as error:
                raise _unavailable(error) from error
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def list_events(
        self,
        *,
        ended_before: datetime | None = None,
        ending_after: datetime | None = None,
        descending: bool = False,
    ) -> list[Event]:
        """Events by start time. The index holds every event; filtering on the end happens here."""
        items = self._query(
            IndexName=EVENTS_INDEX,
            KeyConditionExpression="GSI1PK = :events",
            ExpressionAttributeValues={":events": {"S": "EVENTS"}},
            ScanIndexForward=not descending,
        )
        events = [event_from_item(item) for item in items]
        if ending_after is not None:
            events = [e for e in events if e.ends_at > ending_after]
        if ended_before is not None:
            events = [e for e in events if e.ends_at <= ended_before]
        return events

    def list_registrations(self, event_id: str) -> list[Registration]:
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :reg)",
            ExpressionAttributeValues={":pk": {"S": f"EVENT#{event_id}"}, ":reg": {"S": "REG#"}},
        )
        return [registration_from_item(item) for item in items]

    def registrations_of(self, person_id: str) -> list[Registration]:
        """A person's registrations, soonest event first (index query, then one batch read)."""
        keys = [
            {"PK": item["PK"], "SK": item["SK"]}
            for item in self._query(
                IndexName=PERSON_INDEX,
                KeyConditionExpression="GSI2PK = :person",
                ExpressionAttributeValues={":person": {"S": f"PERSON#{person_id}"}},
            )
        ]
        if not keys:
            return []
        order = {key["PK"]["S"]: n for n, key in enumerate(keys)}
        registrations = [registration_from_item(item) for item in self.batch_get(keys)]
        return sorted(registrations, key=lambda r: order.get(f"EVENT#{r.event_id}", 0))

    # --- writes --------------------------------------------------------------------------------

    def put_new_event(self, event: Event) -> bool:
        """Store a new event; False if its id is taken."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=event_to_item(event),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error
        return True

    def update_event_fields(
        self, event: Event, fields: set[str], expected_updated_at: datetime | None
    ) -> bool:
        """Write only the named fields of `event` (never its counters, which sign-ups move
        concurrently), if nobody else changed the event since it was read (optimistic lock)."""
        item = from_item(event_to_item(event))
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        wanted = set(fields) | {"updated_at"}
        if "starts_at" in wanted:
            wanted.add("GSI1SK")
        for n, name in enumerate(sorted(wanted)):
            names[f"#f{n}"] = name
            if item.get(name) is None:
                removes.append(f"#f{n}")
            else:
                sets.append(f"#f{n} = :f{n}")
                values[f":f{n}"] = _serializer.serialize(item[name])
        condition = "attribute_exists(PK)"
        if expected_updated_at is not None:
            condition += " AND updated_at = :expected"
            values[":expected"] = {"S": iso(expected_updated_at)}
        expression = ("SET " + ", ".join(sets)) if sets else ""
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        return (
            self.update(
                Key=event_key(event.id),
                UpdateExpression=expression.strip(),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            is not None
        )

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems: all or nothing. A lost condition raises TransactionConflict."""
        try:
            self.client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                reasons = [
                    reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])
                ]
                if any(code in ("ConditionalCheckFailed", "TransactionConflict") for code in reasons):
                    raise TransactionConflict(reasons) from error
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error

    def update(self, **kwargs: Any) -> dict[str, Any] | None:
        """UpdateItem; None when its condition fails. Arguments given as None are left out."""
        kwargs = {key: value for key, value in kwargs.items() if value is not None}
        kwargs["TableName"] = self.table_name
        try:
            return self.client.update_item(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error

    def forget_confirmation(self, person_id: str) -> None:
        """Best effort: clear the 'confirmation sent' mark after a confirmation could not go out."""
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.update_item(
                TableName=self.table_name,
                Key=person_key(person_id),
                UpdateExpression="REMOVE confirmation_sent_at",
            )

    # --- building blocks of transactions ------------------------------------------------------------

    def op_put_registration(
        self, registration: Registration, event: Event, expires_at: datetime
    ) -> dict[str, Any]:
        """A new registration, or a cancelled one brought back; never a second live one."""
        values = registration.model_dump(mode="json", exclude_none=True)
        values = {k: v for k, v in values.items() if v != ""}
        values.update(
            PK=f"EVENT#{registration.event_id}",
            SK=f"REG#{registration.person_id}",
            GSI2PK=f"PERSON#{registration.person_id}",
            GSI2SK=f"{iso(event.starts_at)}#{event.id}",
            expires_at=_epoch(expires_at),
        )
        for key in (
            "registered_at",
            "waitlisted_at",
            "cancelled_at",
            "link_sent_at",
            "link_sent_for",
            "link_failed_for",
            "opened_at",
        ):
            moment = getattr(registration, key)
            if moment is not None:
                values[key] = iso(moment)
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": to_item(values),
                "ConditionExpression": "attribute_not_exists(PK) OR #status = :cancelled",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":cancelled": {"S": RegistrationStatus.cancelled.value}},
            }
        }

    def op_count_on_event(
        self,
        event: Event,
        changes: dict[tuple[RegistrationStatus, Role], int],
        *,
        now: datetime,
        require_open: bool,
        require_space: bool,
    ) -> dict[str, Any]:
        """Move the event's counters; optionally only while it is open and (for a place) not full."""
        names: dict[str, str] = {"#counts": "counts"}
        values: dict[str, Any] = {}
        adds: list[str] = []
        registered_delta = sum(
            n for (status, _), n in changes.items() if status is RegistrationStatus.registered
        )
        waitlisted_delta = sum(
            n for (status, _), n in changes.items() if status is RegistrationStatus.waitlisted
        )
        if registered_delta:
            adds.append("registered_count :registered_delta")
            values[":registered_delta"] = {"N": str(registered_delta)}
        if waitlisted_delta:
            adds.append("waitlisted_count :waitlisted_delta")
            values[":waitlisted_delta"] = {"N": str(waitlisted_delta)}
        for n, ((status, role), delta) in enumerate(sorted(changes.items())):
            names[f"#c{n}"] = count_key(status, role)
            values[f":c{n}"] = {"N": str(delta)}
        # Counters live in a map: SET each key from its current value (or 0) plus the change.
        sets = [f"#counts.#c{n} = if_not_exists(#counts.#c{n}, :zero) + :c{n}" for n in range(len(changes))]
        values[":zero"] = {"N": "0"}
        conditions = ["attribute_exists(PK)"]
        if require_open:
            conditions.append("#status = :scheduled AND ends_at > :now")
            names["#status"] = "status"
            values[":scheduled"] = {"S": EventStatus.scheduled.value}
            values[":now"] = {"S": iso(now)}
        if require_space and event.capacity is not None:
            conditions.append("registered_count < #capacity")
            names["#capacity"] = "capacity"
        expression = []
        if sets:
            expression.append("SET " + ", ".join(sets))
        if adds:
            expression.append("ADD " + ", ".join(adds))
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": event_key(event.id),
                "UpdateExpression": " ".join(expression),
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def op_move_registration(
        self,
        registration: Registration,
        to: RegistrationStatus,
        *,
        now: datetime,
    ) -> dict[str, Any]:
        """Change a registration's status, only if nobody else changed it first."""
        stamp = {
            RegistrationStatus.cancelled: "cancelled_at",
            RegistrationStatus.registered: "registered_at",
            RegistrationStatus.waitlisted: "waitlisted_at",
        }[to]
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": registration_key(registration.event_id, registration.person_id),
                "UpdateExpression": f"SET #status = :to, {stamp} = :now",
                "ConditionExpression": "#status = :from",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":to": {"S": to.value},
                    ":from": {"S": registration.status.value},
                    ":now": {"S": iso(now)},
                },
            }
        }

    def op_rate_limit(
        self, scope: str, key: str, window_start: datetime, limit: int, window: timedelta
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"PK": {"S": f"RATE#{scope}#{key}"}, "SK": {"S": iso(window_start)}},
                "UpdateExpression": "ADD #hits :one SET expires_at = :expires",
                "ConditionExpression": "attribute_not_exists(#hits) OR #hits < :limit",
                "ExpressionAttributeNames": {"#hits": "hits"},
                "ExpressionAttributeValues": {
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(_epoch(window_start + window * 2))},
                },
            }
        }

    def op_save_person(
        self,
        person: Person,
        *,
        expires_at: datetime,
        clear_unsubscribe: bool,
        mark_confirmation: bool,
        only_if_no_confirmation_since: datetime | None,
    ) -> dict[str, Any]:
        """Create or refresh the profile. With `mark_confirmation`, note that a confirmation goes
        out now; with `only_if_no_confirmation_since` as well, only if none went out since that
        moment (the once-an-hour rule for repeats), so two racing repeats send one email."""
        names = {"#name": "name", "#role": "role", "#email": "email"}
        values: dict[str, Any] = {
            ":email": {"S": person.email},
            ":name": {"S": person.name},
            ":role": {"S": person.role.value},
            ":expires": {"N": str(_epoch(expires_at))},
            ":created": {"S": iso(person.created_at)},
        }
        sets = [
            "#email = :email",
            "#name = :name",
            "#role = :role",
            "expires_at = :expires",
            "created_at = if_not_exists(created_at, :created)",
        ]
        removes = []
        if person.organisation:
            sets.append("organisation = :organisation")
            values[":organisation"] = {"S": person.organisation}
        condition: str | None = None
        if mark_confirmation:
            sets.append("confirmation_sent_at = :sent")
            values[":sent"] = {"S": iso(person.confirmation_sent_at)}
        if mark_confirmation and only_if_no_confirmation_since is not None:
            values[":due"] = {"S": iso(only_if_no_confirmation_since)}
            condition = "attribute_not_exists(confirmation_sent_at) OR confirmation_sent_at <= :due"
        if clear_unsubscribe:
            # Only an unsubscribe is undone by signing up again: if a bounce or complaint landed
            # since the read, the condition fails and the sign-up decides again.
            removes.append("suppression")
            values[":unsubscribed"] = {"S": "unsubscribed"}
            condition = "suppression = :unsubscribed" + (f" AND ({condition})" if condition else "")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": person_key(person.person_id),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if condition:
            update["ConditionExpression"] = condition
        return {"Update": update}

    def delete_event(self, event_id: str) -> None:
        """Delete an event nobody registered for (its batch items too, if any)."""
        keys = [
            {"PK": item["PK"], "SK": item["SK"]}
            for item in self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": f"EVENT#{event_id}"}},
                ProjectionExpression="PK, SK",
            )
        ]
        for key in keys:
            try:
                self.client.delete_item(TableName=self.table_name, Key=key)
            except (ClientError, BotoCoreError) as error:
                raise _unavailable(error) from error

    # --- the morning send ---------------------------------------------------------------------------

    def people(self, person_ids: Iterable[str]) -> dict[str, Person]:
        """Profiles by person id, in BatchGetItems of 100."""
        found = self.batch_get([person_key(p) for p in dict.fromkeys(person_ids)])
        return {person.person_id: person for person in (person_from_item(item) for item in found)}

    def registrations_by_people(self, event_id: str, person_ids: Iterable[str]) -> dict[str, Registration]:
        found = self.batch_get([registration_key(event_id, p) for p in dict.fromkeys(person_ids)])
        return {r.person_id: r for r in (registration_from_item(item) for item in found)}

    def lock_dispatch(self, event_id: str, now: datetime, until: datetime) -> bool:
        """Only one dispatch at a time decides an event's batches (two runs started together)."""
        return (
            self.update(
                Key=event_key(event_id),
                UpdateExpression="SET dispatch_lock_until = :until",
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(dispatch_lock_until) OR dispatch_lock_until < :now)",
                ExpressionAttributeValues={":until": {"S": iso(until)}, ":now": {"S": iso(now)}},
            )
            is not None
        )

    def unlock_dispatch(self, event_id: str) -> None:
        self.update(Key=event_key(event_id), UpdateExpression="REMOVE dispatch_lock_until")

    @staticmethod
    def batch_prefix(send_moment: datetime) -> str:
        return f"BATCH#{iso(send_moment)}#"

    def list_batches(self, event_id: str, send_moment: datetime) -> list[dict[str, Any]]:
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": f"EVENT#{event_id}"},
                ":prefix": {"S": self.batch_prefix(send_moment)},
            },
        )
        return [from_item(item) for item in items]

    def put_batches(self, event_id: str, batches: list[dict[str, Any]], expires_at: datetime) -> None:
        """BatchWriteItem, 25 at a time. Each batch: {"SK", "recipients": [...], "queued_at"}."""
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "PK": f"EVENT#{event_id}",
                            "status": "queued",
                            "attempts": 0,
                            "expires_at": _epoch(expires_at),
                            **batch,
                        }
                    )
                }
            }
            for batch in batches
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table_name: requests[start : start + 25]}
            for _attempt in range(8):
                try:
                    answer = self.client.batch_write_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise _unavailable(error) from error
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise Unavailable()

    def requeue_batch(self, event_id: str, batch_sk: str, queued_at: str | None, now: datetime) -> bool:
        """Claim the re-queuing of a batch (two runs must not both queue it again)."""
        return (
            self.update(
                Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": batch_sk}},
                UpdateExpression="SET queued_at = :now",
                ConditionExpression="queued_at = :was",
                ExpressionAttributeValues={":now": {"S": iso(now)}, ":was": {"S": queued_at or ""}},
            )
            is not None
        )

    def lease_batch(
        self, event_id: str, batch_sk: str, now: datetime, until: datetime
    ) -> dict[str, Any] | None:
        """Take the batch for one sender: None if it is done, gone or held by another sender."""
        answer = self.update(
            Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": batch_sk}},
            UpdateExpression="SET lease_until = :until ADD attempts :one",
            ConditionExpression="attribute_exists(PK) AND #status <> :done AND "
            "(attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":until": {"S": iso(until)},
                ":now": {"S": iso(now)},
                ":done": {"S": "done"},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )
        return from_item(answer["Attributes"]) if answer else None

    def get_item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._get(key)
        return from_item(item) if item else None

    def finish_batch(self, event_id: str, batch_sk: str, *, done: bool) -> None:
        """Done: never sent again. Not done: the lease is given back for the next attempt."""
        self.update(
            Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": batch_sk}},
            UpdateExpression="SET #status = :done REMOVE lease_until" if done else "REMOVE lease_until",
            ExpressionAttributeNames={"#status": "status"} if done else None,
            ExpressionAttributeValues={":done": {"S": "done"}} if done else None,
        )

    def mark_link_sent(self, event_id: str, person_id: str, send_moment: datetime, now: datetime) -> bool:
        """One conditional write per recipient, after SES accepted the message."""
        return (
            self.update(
                Key=registration_key(event_id, person_id),
                UpdateExpression="SET link_sent_at = :now, link_sent_for = :moment",
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(link_sent_for) OR link_sent_for <> :moment)",
                ExpressionAttributeValues={":now": {"S": iso(now)}, ":moment": {"S": iso(send_moment)}},
            )
            is not None
        )

    def mark_link_failed(self, event_id: str, person_id: str, send_moment: datetime) -> None:
        self.update(
            Key=registration_key(event_id, person_id),
            UpdateExpression="SET link_failed_for = :moment",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":moment": {"S": iso(send_moment)}},
        )

    def record_heartbeat(self, local_date: str, now: datetime, expires_at: datetime) -> None:
        self.update(
            Key={"PK": {"S": "DISPATCH"}, "SK": {"S": f"RUN#{local_date}"}},
            UpdateExpression="SET completed_at = :now, expires_at = :expires",
            ExpressionAttributeValues={":now": {"S": iso(now)}, ":expires": {"N": str(_epoch(expires_at))}},
        )

    def heartbeat(self, local_date: str) -> datetime | None:
        item = self.get_item({"PK": {"S": "DISPATCH"}, "SK": {"S": f"RUN#{local_date}"}})
        return parse_iso(item.get("completed_at")) if item else None

    def record_first_open(self, event_id: str, person_id: str, now: datetime) -> bool:
        """Note the first open of a join link and count it on the event (kept for reports)."""
        try:
            self.transact(
                [
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": registration_key(event_id, person_id),
                            "UpdateExpression": "SET opened_at = :now",
                            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(opened_at)",
                            "ExpressionAttributeValues": {":now": {"S": iso(now)}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": event_key(event_id),
                            "UpdateExpression": "ADD links_opened :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            )
        except TransactionConflict:
            return False
        return True

    # --- data protection: subject access, erasure, unsuppressing (shared/privacy.py) ----------------

    def raw_person(self, person_id: str) -> dict[str, Any] | None:
        """The whole profile item as stored, every attribute (a subject access request shows all)."""
        return self.get_item(person_key(person_id))

    def raw_registrations_of(self, person_id: str) -> list[dict[str, Any]]:
        """Every registration item of a person as stored, cancelled ones included."""
        keys = [
            {"PK": item["PK"], "SK": item["SK"]}
            for item in self._query(
                IndexName=PERSON_INDEX,
                KeyConditionExpression="GSI2PK = :person",
                ExpressionAttributeValues={":person": {"S": f"PERSON#{person_id}"}},
            )
        ]
        items = [from_item(item) for item in self.batch_get(keys)] if keys else []
        for item in items:
            item["event_id"] = str(item["PK"]).removeprefix("EVENT#")
        return sorted(items, key=lambda item: str(item.get("GSI2SK", "")))

    def event_batches(self, event_id: str, *, notices: bool = False) -> list[dict[str, Any]]:
        """Every morning-send batch item of an event, whatever its send moment (with `notices`,
        every change-notice batch item instead). Each holds `recipients`: [{"person_id", ...}]."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :batch)",
            ExpressionAttributeValues={
                ":pk": {"S": f"EVENT#{event_id}"},
                ":batch": {"S": "NOTICEBATCH#" if notices else "BATCH#"},
            },
        )
        return [from_item(item) for item in items]

    def remove_batch_recipient(self, event_id: str, batch_sk: str, index: int, person_id: str) -> bool:
        """Take one recipient out of a batch item's list, only if it is still at that index."""
        return (
            self.update(
                Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": batch_sk}},
                UpdateExpression=f"REMOVE recipients[{int(index)}]",
                ConditionExpression=f"recipients[{int(index)}].person_id = :person",
                ExpressionAttributeValues={":person": {"S": person_id}},
            )
            is not None
        )

    def _delete_key(self, key: dict[str, Any]) -> None:
        try:
            self.client.delete_item(TableName=self.table_name, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    def delete_registration(self, event_id: str, person_id: str) -> None:
        """Erase a registration item. The event's counters are left as they are (reports)."""
        self._delete_key(registration_key(event_id, person_id))

    def address_rate_limit_windows(self, person_id: str) -> list[str]:
        """The windows of the per-address sign-up rate limit still held for a person."""
        items = self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"RATE#address#{person_id}"}},
            ProjectionExpression="SK",
        )
        return [item["SK"]["S"] for item in items]

    def delete_address_rate_limits(self, person_id: str, windows: Iterable[str]) -> None:
        for window in windows:
            self._delete_key({"PK": {"S": f"RATE#address#{person_id}"}, "SK": {"S": window}})

    def delete_person(self, person_id: str) -> None:
        self._delete_key(person_key(person_id))

    def keep_only_suppression(self, person_id: str, suppression: Suppression) -> None:
        """Replace the profile by its key and suppression alone: no address, no name, no expiry,
        so the keyed hash keeps the person unmailed and says nothing else about them."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={**person_key(person_id), "suppression": {"S": suppression.value}},
            )
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    def clear_suppression(self, person_id: str) -> bool:
        """Remove our suppression (and its dates) from a profile; False when it had none."""
        return (
            self.update(
                Key=person_key(person_id),
                UpdateExpression="REMOVE suppression, suppressed_at, unsubscribed_at",
                ConditionExpression="attribute_exists(suppression)",
            )
            is not None
        )

    # --- change and cancellation notices (shared/notices.py) ---------------------------------------
    #   notice        PK EVENT#<event_id>  SK NOTICE#<n>            n = 00001, 00002, ... per event
    #   notice batch  PK EVENT#<event_id>  SK NOTICEBATCH#<n>#<k>   recipients: person ids only
    #   on the event: notices (how many so far), told_starts_at / told_ends_at / told_zoom (what
    #   registrants were last told); on a registration: notified_for (the last notice number sent
    #   to that person), notice_failed_for (a notice SES refused for that address).

    @staticmethod
    def notice_sk(number: int) -> str:
        return f"NOTICE#{number:05d}"

    @staticmethod
    def notice_batch_prefix(number: int | None = None) -> str:
        return "NOTICEBATCH#" if number is None else f"NOTICEBATCH#{number:05d}#"

    def _get_consistent(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            item: dict[str, Any] | None = self.client.get_item(
                TableName=self.table_name, Key=key, ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error
        return item

    def event_with_notice_state(self, event_id: str) -> tuple[Event, dict[str, Any]] | None:
        """The event (read consistently) and its notice bookkeeping: `notices` (int), and
        `told_starts_at`, `told_ends_at` (datetimes) and `told_zoom` (str), each None until recorded."""
        item = self._get_consistent(event_key(event_id))
        if item is None:
            return None
        values = from_item(item)
        state = {
            "notices": int(values.get("notices", 0)),
            "told_starts_at": parse_iso(values.get("told_starts_at")),
            "told_ends_at": parse_iso(values.get("told_ends_at")),
            "told_zoom": values.get("told_zoom"),
        }
        return event_from_item(item), state

    def get_event_consistent(self, event_id: str) -> Event | None:
        item = self._get_consistent(event_key(event_id))
        return event_from_item(item) if item else None

    @staticmethod
    def _told_condition(expected: dict[str, Any], values: dict[str, Any]) -> str:
        """The event still says what `expected` says (told_* and the notice count)."""
        parts = []
        for name in ("told_starts_at", "told_ends_at", "told_zoom"):
            was = expected.get(name)
            if was is None:
                parts.append(f"attribute_not_exists({name})")
            else:
                parts.append(f"{name} = :was_{name}")
                values[f":was_{name}"] = {"S": iso(was) if isinstance(was, datetime) else str(was)}
        parts.append(Repository._notices_condition(int(expected.get("notices", 0)), values))
        return " AND ".join(parts)

    @staticmethod
    def _notices_condition(count: int, values: dict[str, Any]) -> str:
        values[":was_notices"] = {"N": str(count)}
        if count == 0:
            return "(attribute_not_exists(notices) OR notices = :was_notices)"
        return "notices = :was_notices"

    def record_told_baseline(self, event_id: str, starts_at: datetime, ends_at: datetime, zoom: str) -> None:
        """First record of what registrants know (the event as it stands), if none is recorded yet."""
        self.update(
            Key=event_key(event_id),
            UpdateExpression="SET told_starts_at = if_not_exists(told_starts_at, :s), "
            "told_ends_at = if_not_exists(told_ends_at, :e), told_zoom = if_not_exists(told_zoom, :z)",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={
                ":s": {"S": iso(starts_at)},
                ":e": {"S": iso(ends_at)},
                ":z": {"S": zoom},
            },
        )

    def record_told(
        self, event_id: str, told: tuple[datetime, datetime, str], expected: dict[str, Any]
    ) -> bool:
        """Registrants may now be taken to know `told`, without an email (a silent change).
        False if the bookkeeping moved since `expected` was read."""
        values: dict[str, Any] = {
            ":s": {"S": iso(told[0])},
            ":e": {"S": iso(told[1])},
            ":z": {"S": told[2]},
        }
        condition = "attribute_exists(PK) AND " + self._told_condition(expected, values)
        return (
            self.update(
                Key=event_key(event_id),
                UpdateExpression="SET told_starts_at = :s, told_ends_at = :e, told_zoom = :z",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
            is not None
        )

    def _put_notice_op(self, event_id: str, number: int, notice: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": to_item({"PK": f"EVENT#{event_id}", "SK": self.notice_sk(number), **notice}),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def create_change_notice(
        self,
        event_id: str,
        number: int,
        notice: dict[str, Any],
        told: tuple[datetime, datetime, str],
        expected: dict[str, Any],
    ) -> bool:
        """One transaction: the notice item, and the event's `told_*` and notice count moved on,
        only if nobody else did so first and the event is still scheduled."""
        values: dict[str, Any] = {
            ":s": {"S": iso(told[0])},
            ":e": {"S": iso(told[1])},
            ":z": {"S": told[2]},
            ":n": {"N": str(number)},
            ":scheduled": {"S": EventStatus.scheduled.value},
        }
        condition = "attribute_exists(PK) AND #status = :scheduled AND " + self._told_condition(
            expected, values
        )
        try:
            self.transact(
                [
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": event_key(event_id),
                            "UpdateExpression": "SET told_starts_at = :s, told_ends_at = :e, "
                            "told_zoom = :z, notices = :n",
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": values,
                        }
                    },
                    self._put_notice_op(event_id, number, notice),
                ]
            )
        except TransactionConflict:
            return False
        return True

    def cancel_event_with_notice(
        self, event_id: str, number: int, notice: dict[str, Any], now: datetime
    ) -> bool:
        """One transaction: the event cancelled (its calendar sequence raised) and its
        cancellation notice stored; False if it was no longer scheduled, or another notice won."""
        values: dict[str, Any] = {
            ":cancelled": {"S": EventStatus.cancelled.value},
            ":scheduled": {"S": EventStatus.scheduled.value},
            ":now": {"S": iso(now)},
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":n": {"N": str(number)},
        }
        condition = "attribute_exists(PK) AND #status = :scheduled AND " + self._notices_condition(
            number - 1, values
        )
        try:
            self.transact(
                [
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": event_key(event_id),
                            "UpdateExpression": "SET #status = :cancelled, updated_at = :now, "
                            "#sequence = if_not_exists(#sequence, :zero) + :one, notices = :n",
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": {"#status": "status", "#sequence": "sequence"},
                            "ExpressionAttributeValues": values,
                        }
                    },
                    self._put_notice_op(event_id, number, notice),
                ]
            )
        except TransactionConflict:
            return False
        return True

    def list_notices(self, event_id: str) -> list[dict[str, Any]]:
        """Every notice of an event, oldest first, each with its `number`."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"EVENT#{event_id}"}, ":prefix": {"S": "NOTICE#"}},
            ConsistentRead=True,
        )
        notices = []
        for item in items:
            values = from_item(item)
            values["number"] = int(str(values["SK"]).removeprefix("NOTICE#"))
            notices.append(values)
        return notices

    def get_notice(self, event_id: str, number: int) -> dict[str, Any] | None:
        item = self._get_consistent({"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": self.notice_sk(number)}})
        if item is None:
            return None
        values = from_item(item)
        values["number"] = number
        return values

    def notice_batches(self, event_id: str, number: int | None = None) -> list[dict[str, Any]]:
        """The batch items of one notice, or of every notice of the event."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": f"EVENT#{event_id}"},
                ":prefix": {"S": self.notice_batch_prefix(number)},
            },
            ConsistentRead=True,
        )
        return [from_item(item) for item in items]

    def batch_item(self, event_id: str, batch_sk: str) -> dict[str, Any] | None:
        return self.get_item({"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": batch_sk}})

    def lock_notice(self, event_id: str, number: int, now: datetime, until: datetime) -> bool:
        """Only one caller at a time decides a notice's batches."""
        return (
            self.update(
                Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": self.notice_sk(number)}},
                UpdateExpression="SET planning_until = :until",
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(planning_until) OR planning_until < :now)",
                ExpressionAttributeValues={":until": {"S": iso(until)}, ":now": {"S": iso(now)}},
            )
            is not None
        )

    def unlock_notice(self, event_id: str, number: int, *, planned: bool) -> None:
        """Give the planning lock back; `planned`: every batch is written and was queued once."""
        self.update(
            Key={"PK": {"S": f"EVENT#{event_id}"}, "SK": {"S": self.notice_sk(number)}},
            UpdateExpression=("SET planned = :yes " if planned else "") + "REMOVE planning_until",
            ExpressionAttributeValues={":yes": {"BOOL": True}} if planned else None,
        )

    @staticmethod
    def _notice_mark(values: dict[str, Any]) -> int:
        return max(int(values.get("notified_for", 0)), int(values.get("notice_failed_for", 0)))

    def registrations_with_notice_marks(self, event_id: str) -> list[tuple[Registration, int]]:
        """Every registration of an event with the last notice number handled for it (0: none)."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :reg)",
            ExpressionAttributeValues={":pk": {"S": f"EVENT#{event_id}"}, ":reg": {"S": "REG#"}},
        )
        return [(registration_from_item(item), self._notice_mark(from_item(item))) for item in items]

    def notice_targets(
        self, event_id: str, person_ids: Iterable[str]
    ) -> dict[str, tuple[Registration, int, Person | None]]:
        """For each person id: their registration, the last notice number handled for it, and
        their profile (None if gone), in BatchGetItems. People without a registration are left out."""
        wanted = list(dict.fromkeys(person_ids))
        keys = [registration_key(event_id, p) for p in wanted] + [person_key(p) for p in wanted]
        registrations: dict[str, tuple[Registration, int]] = {}
        people: dict[str, Person] = {}
        for item in self.batch_get(keys):
            if item["SK"]["S"] == "PROFILE":
                found = person_from_item(item)
                people[found.person_id] = found
            else:
                registration = registration_from_item(item)
                registrations[registration.person_id] = (registration, self._notice_mark(from_item(item)))
        return {
            person_id: (registration, mark, people.get(person_id))
            for person_id, (registration, mark) in registrations.items()
        }

    def mark_notified(self, event_id: str, person_id: str, number: int, now: datetime) -> bool:
        """One conditional write per recipient, after SES accepted their notice."""
        return (
            self.update(
                Key=registration_key(event_id, person_id),
                UpdateExpression="SET notified_for = :n, notified_at = :now",
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(notified_for) OR notified_for < :n)",
                ExpressionAttributeValues={":n": {"N": str(number)}, ":now": {"S": iso(now)}},
            )
            is not None
        )

    def mark_notice_failed(self, event_id: str, person_id: str, number: int) -> None:
        """SES refused this address for this notice (MessageRejected): not tried again for it."""
        self.update(
            Key=registration_key(event_id, person_id),
            UpdateExpression="SET notice_failed_for = :n",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":n": {"N": str(number)}},
        )
