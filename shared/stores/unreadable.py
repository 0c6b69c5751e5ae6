"""Stored items that cannot be read back: skipped, logged by id, counted, and still shown to admins.

An item written by older code (a year stored as `999`), by hand in the console, or damaged some
other way must never stop anyone else's page, sign-up or morning email. The stores read every item
through `readable`-style helpers: a good item becomes its model, a bad one becomes an `Unreadable`
record, which is logged (kind, id and the names of the fields at fault: never their values, which
can be personal), counted (each handler emits the `UnreadableRecords` metric; an alarm watches it)
and left out of what the public and the morning send see. Admin actions show it, with its raw
fields, and can overwrite, cancel or delete it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import ValidationError

from shared.observability import logger_for, note_unreadable

logger = logger_for("repository")
_KEYS = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"})


class RecordUnreadable(Exception):
    """Raised by a store's reader: field name -> what is wrong with its stored value."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = dict(problems)

    @classmethod
    def of(cls, error: ValidationError) -> RecordUnreadable:
        problems: dict[str, str] = {}
        for detail in error.errors(include_input=False):
            name = ".".join(str(part) for part in detail.get("loc", ())) or "item"
            problems.setdefault(name, str(detail.get("msg", "cannot be read")))
        return cls(problems)


@dataclass(frozen=True)
class Unreadable:
    """A stored item that could not be read: its kind, its id, what is wrong, and its attributes
    as stored (as text, keys left out) for an admin to look at."""

    kind: str
    id: str
    problems: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, object]:
        return {
            "id": self.id,
            "status": "unreadable",
            "unreadable": True,
            "problems": self.problems,
            "raw": self.fields,
        }


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):  # DynamoDB's numbers
        return str(value)
    return json.dumps(value, default=str, sort_keys=True)


def note(kind: str, record_id: str, item: Mapping[str, object], error: RecordUnreadable) -> Unreadable:
    """Log and count an unreadable item, and answer what admins are shown of it."""
    logger.warning(
        "unreadable record skipped",
        extra={"record_kind": kind, "record_id": record_id, "fields_at_fault": sorted(error.problems)},
    )
    note_unreadable()
    raw = {name: _text(value) for name, value in item.items() if name not in _KEYS}
    return Unreadable(kind, record_id, error.problems, raw)
