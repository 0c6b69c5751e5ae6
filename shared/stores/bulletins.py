"""Admins' messages and follow-ups (shared/domain/bulletins.py), and each person's marks of them.

  send     `EVENT#<event_id>` / `MESSAGE#<key>`: kind, subject, message, recording_url,
           feedback_url, created_at, `rounds` (on a message's first send: how many rounds so
           far), `planned`; expires with the event's batches. The admin's words only: nothing
           about any person.
  marks    on the registration: `messages_sent`, `messages_failed` (string sets of send keys).
A send is created once (conditional put); a person's mark is one conditional write after SES
accepted their email, so a retried or redelivered batch sends nobody twice.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain.bulletins import Bulletin
from shared.domain.people import SendFailure
from shared.stores.events import event_partition
from shared.stores.registrations import registration_key
from shared.stores.table import Item, Key, Table, Write, epoch, iso, parse_iso


def _key(event_id: str, key: str) -> Key:
    return event_partition(event_id), f"MESSAGE#{key}"


def _bulletin_from(event_id: str, item: Item) -> Bulletin:
    created_at = parse_iso(item.get("created_at"))
    assert created_at is not None
    return Bulletin(
        event_id=event_id,
        key=str(item["SK"]).removeprefix("MESSAGE#"),
        kind="follow_up" if item.get("kind") == "follow_up" else "message",
        created_at=created_at,
        subject=str(item.get("subject") or ""),
        message=str(item.get("message") or ""),
        recording_url=str(item.get("recording_url") or ""),
        feedback_url=str(item.get("feedback_url") or ""),
    )


class BulletinStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, event_id: str, key: str) -> Bulletin | None:
        item = self.table.get(_key(event_id, key), consistent=True)
        return _bulletin_from(event_id, item) if item else None

    def create(self, bulletin: Bulletin, expires_at: datetime) -> bool:
        """Store a send, once: False when it exists already (a repeat, or a racing admin)."""
        pk, sk = _key(bulletin.event_id, bulletin.key)
        item: Item = {
            "PK": pk,
            "SK": sk,
            "kind": bulletin.kind,
            "created_at": iso(bulletin.created_at),
            "subject": bulletin.subject or None,
            "message": bulletin.message or None,
            "recording_url": bulletin.recording_url or None,
            "feedback_url": bulletin.feedback_url or None,
            "rounds": 1,
            "expires_at": epoch(expires_at),
        }
        return bool(self.table.write(Write(label="message", item=item, condition="attribute_not_exists(PK)")))

    def next_round(self, event_id: str, base: str) -> int:
        """Claim the next round of a message sent before (`allow_repeat`): 2, 3, ..."""
        answer = self.table.write(
            Write(
                label="message",
                key=_key(event_id, base),
                update="ADD rounds :one",
                condition="attribute_exists(PK)",
                values={":one": 1},
            ),
            returning=True,
        )
        if not isinstance(answer, dict):
            raise LookupError("the message to repeat is gone")
        return int(answer["rounds"])

    def mark_sent(self, event_id: str, person_id: str, key: str) -> bool:
        """After SES accepted send `key` for this person: never again."""
        return bool(
            self.table.write(
                Write(
                    label="registration",
                    key=registration_key(event_id, person_id),
                    update="ADD messages_sent :keys",
                    condition="attribute_exists(PK) AND NOT contains(messages_sent, :key)",
                    values={":keys": {key}, ":key": key},
                )
            )
        )

    def mark_failed(self, event_id: str, person_id: str, key: str, failure: SendFailure) -> None:
        """Send `key` could not go to this person: recorded with its reason, not tried again."""
        self.table.write(
            Write(
                label="registration",
                key=registration_key(event_id, person_id),
                update="ADD messages_failed :keys "
                "SET send_failures = list_append(if_not_exists(send_failures, :none), :failure)",
                condition="attribute_exists(PK)",
                values={":keys": {key}, ":none": [], ":failure": [failure.model_dump(mode="json")]},
            )
        )
