"""One item per title and local day, naming the events that are not cancelled with that title on
that day: `TITLEDAY#<YYYY-MM-DD>#<fingerprint>` / `TITLEDAY`, attribute `event_ids` (a string set).

The duplicate guard (`duplicate_event`, CONTRACT.md) is this item's condition, written in the same
transaction as the event: an event claims its title and day only if nobody holds them
(`attribute_not_exists(event_ids)`: DynamoDB drops a set's attribute when its last member goes), or
joins them with `allow_duplicate`. Two admins pressing Test at once cannot both win, as they could
after a read. Cancelling or deleting an event, or moving it to another title or day, releases it.
Events stored before the guard hold no claim: they are not guarded until next updated. (An event
claimed before invisible characters were left out of the fingerprint, with one in its title, keeps
a claim no release finds: it names a title no new event's fingerprint gives, so it blocks nothing.)
A holder that no longer stands on its title and day (gone, cancelled, or moved without its claim
following, as an unreadable event rewritten onto another day is: its old day could not be read) is
taken off when it is in another event's way (`EventStore.release_stale_claims`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from shared.domain.models import Event, EventStatus
from shared.stores.table import Key, Table, Write

LABEL = "title_day"


def title_fingerprint(title: str) -> str:
    """The title as people read it: trimmed, inner spaces as one, any case, any Unicode form,
    without the invisible format characters a word processor or a web page pastes along (zero-width
    spaces and joiners, soft hyphens, byte-order marks, direction marks): they would make a title
    that looks the same another one, and let a second press of Test make a second event."""
    visible = "".join(ch for ch in unicodedata.normalize("NFKC", title) if unicodedata.category(ch) != "Cf")
    plain = re.sub(r"\s+", " ", visible).strip().casefold()
    return hashlib.sha256(plain.encode()).hexdigest()[:32]


def title_day_key(event: Event) -> Key:
    return f"TITLEDAY#{event.local_start.date().isoformat()}#{title_fingerprint(event.title)}", "TITLEDAY"


def claim_write(event: Event, *, alone: bool) -> Write:
    """Add the event to its title and day; with `alone`, only if no other event holds them."""
    return Write(
        label=LABEL,
        key=title_day_key(event),
        update="ADD event_ids :id",
        condition="attribute_not_exists(event_ids) OR contains(event_ids, :one)" if alone else None,
        values={":id": {event.id}, **({":one": event.id} if alone else {})},
    )


def release_write(event: Event) -> Write:
    """Take the event off its title and day (nothing happens if it was not on them)."""
    return release_from(title_day_key(event), event.id)


def release_from(key: Key, event_id: str) -> Write:
    """Take `event_id` off the title and day `key` names."""
    return Write(label=LABEL, key=key, update="DELETE event_ids :id", values={":id": {event_id}})


def stands_on(held: Event | None, key: Key) -> bool:
    """Whether a holder of `key`, as stored now, still stands on that title and day: not deleted,
    not cancelled, not moved or renamed without its claim following it (an unreadable event
    rewritten onto another day: what was stored gave no day to release)."""
    return held is not None and held.status is not EventStatus.cancelled and title_day_key(held) == key


def holders(table: Table, event: Event) -> list[str]:
    """The ids of the events holding `event`'s title and day (for the refusal's words only)."""
    item = table.get(title_day_key(event), consistent=True)
    return sorted(str(i) for i in (item or {}).get("event_ids", set()))
