"""The short join links' codes (shared/domain/join_codes.py), one item each:

  `JCODE#<code>` / `JCODE`   event_id, person_id, expires_at (TTL: the event's end + retention)

Written by whoever texts the link, before the text goes (`ensure`: the same code and item every
time for the same place, so writing it again is harmless); read by `GET /j/<code>` (`find`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.domain.join_codes import join_code, read_code
from shared.stores.table import Key, Table, Write, epoch


class CodeTaken(Exception):
    """The code already names another place: two places' 60-bit codes met (about one chance in
    200 million among a hundred thousand codes). The text for this place cannot be built."""


def code_key(code: str) -> Key:
    return f"JCODE#{code}", "JCODE"


class JoinCodeStore:
    def __init__(self, table: Table, person_key: Callable[[], bytes]) -> None:
        self.table = table
        self._person_key = person_key

    def ensure(self, event_id: str, person_id: str, expires_at: datetime) -> str:
        """The code for this place, its item written (or its expiry moved to `expires_at`).
        CodeTaken if the code already names another place: never overwritten, so a link already
        sent always leads where it did."""
        code = join_code(self._person_key(), event_id, person_id)
        written = self.table.write(
            Write(
                label="join_code",
                key=code_key(code),
                update="SET event_id = :event, person_id = :person, expires_at = :expires",
                condition="attribute_not_exists(PK) OR (event_id = :event AND person_id = :person)",
                values={":event": event_id, ":person": person_id, ":expires": epoch(expires_at)},
            )
        )
        if not written:
            raise CodeTaken()
        return code

    def find(self, text: str) -> tuple[str, str] | None:
        """The (event id, person id) a code names, or None: not a code, or no item (never written,
        expired, forgotten). One eventually consistent read; none for what cannot be a code."""
        code = read_code(text)
        if code is None:
            return None
        item = self.table.get(code_key(code))
        if not item or not item.get("event_id") or not item.get("person_id"):
            return None
        return str(item["event_id"]), str(item["person_id"])

    def forget(self, event_ids: list[str], person_id: str) -> None:
        """Delete the person's codes for these events (their codes are derived, so found without a
        query): a forgotten person's short links name nobody."""
        key = self._person_key()
        for event_id in event_ids:
            self.table.delete(code_key(join_code(key, event_id, person_id)))
