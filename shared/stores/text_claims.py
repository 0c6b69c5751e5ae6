"""One morning text per number per event: `EVENT#<event_id>` / `TEXTTO#<number hash>`.

The hash is keyed (the person-id key, as person ids are), so the item holds no number and no
number can be found from it. It holds the person whose text it is and expires with the event's
batches. Two people who gave one number (a shared phone, or a stranger typing someone else's)
make one text for it: the first to claim it; the claim is made again harmlessly by its holder, so a
sender that crashed between its claim and its text sends on redelivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import datetime

from shared.stores.events import event_partition
from shared.stores.table import Key, Table, Write, epoch


class TextClaimStore:
    def __init__(self, table: Table, person_key: Callable[[], bytes]) -> None:
        self.table = table
        self._person_key = person_key

    def _key(self, event_id: str, phone: str) -> Key:
        message = b"co-production/text-to/v1\0" + phone.encode()
        digest = hmac.new(self._person_key(), message, hashlib.sha256).digest()[:20]
        return event_partition(event_id), "TEXTTO#" + base64.b32encode(digest).decode()

    def claim(self, event_id: str, phone: str, person_id: str, expires_at: datetime) -> bool:
        """This event's text to `phone` is this person's: True if it is (now, or already)."""
        return bool(
            self.table.write(
                Write(
                    label="text_claim",
                    key=self._key(event_id, phone),
                    update="SET person_id = :person, expires_at = :expires",
                    condition="attribute_not_exists(person_id) OR person_id = :person",
                    values={":person": person_id, ":expires": epoch(expires_at)},
                )
            )
        )

    def forget(self, event_ids: Iterable[str], phone: str) -> None:
        """An erased person's claims go with them (found from their number, before it is erased)."""
        for event_id in event_ids:
            self.table.delete(self._key(event_id, phone))
