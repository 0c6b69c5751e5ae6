"""Registrations and sign-ups: `EVENT#<event_id>` / `REG#<person_id>`, listed per person through
the RegistrationsByPerson index (`GSI2PK` `PERSON#<person_id>`, `GSI2SK` `<starts_at>#<event_id>`).

Every change of a registration's status is one transaction with its event's counters,
conditional on the state it was read in, so counts stay right and capacity is never exceeded
under races. A whole sign-up (its registrations, their events' counters, the profile and the
rate limits) is one transaction: all or nothing. A lost condition comes back as a `Commit`
answer, never as an exception to decode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ValidationError

from shared.domain.errors import Unavailable
from shared.domain.models import Event, RegistrationStatus, Role
from shared.domain.people import Registration, SendFailure
from shared.domain.signup import SignupSnapshot
from shared.stores.events import count_write, event_key, event_partition, opened_write, read_event
from shared.stores.limits import RateLimit, rate_limit_write
from shared.stores.people import (
    ProfileSave,
    lift_unsubscribed_marker_write,
    marker_from,
    marker_key,
    person_from,
    person_key,
    save_write,
)
from shared.stores.table import Item, Key, Table, Write, epoch, iso
from shared.stores.unreadable import RecordUnreadable, note

PERSON_INDEX = "RegistrationsByPerson"
_TIMES = (
    "registered_at",
    "waitlisted_at",
    "cancelled_at",
    "link_sent_at",
    "link_sent_for",
    "link_failed_for",
    "sms_sent_for",
    "sms_failed_for",
    "opened_at",
    "joined_at",
    "admin_notice_due",
)
_STAMPS = {
    RegistrationStatus.cancelled: "cancelled_at",
    RegistrationStatus.registered: "registered_at",
    RegistrationStatus.waitlisted: "waitlisted_at",
}


def registration_key(event_id: str, person_id: str) -> Key:
    return f"EVENT#{event_id}", f"REG#{person_id}"


def registration_from(item: Item) -> Registration:
    try:
        return Registration.model_validate(item)
    except ValidationError as error:
        raise RecordUnreadable.of(error) from None


def _readable(items: Iterable[Item]) -> Iterator[Registration]:
    """The registrations among `items` that can be read; the others are logged and counted."""
    for item in items:
        try:
            yield registration_from(item)
        except RecordUnreadable as error:
            note("registration", f"{item.get('PK')}/{item.get('SK')}", item, error)


def _registration_item(registration: Registration, event: Event, expires_at: datetime) -> Item:
    values = registration.model_dump(mode="json", exclude_none=True)
    values = {k: v for k, v in values.items() if v != "" and v != 0}
    # Written only by a send's own conditional write (string sets), never with a new place.
    values.pop("messages_sent", None)
    values.pop("messages_failed", None)
    pk, sk = registration_key(registration.event_id, registration.person_id)
    values.update(
        PK=pk,
        SK=sk,
        GSI2PK=f"PERSON#{registration.person_id}",
        GSI2SK=f"{iso(event.starts_at)}#{event.id}",
        expires_at=epoch(expires_at),
    )
    for name in _TIMES:
        moment = getattr(registration, name)
        if moment is not None:
            values[name] = iso(moment)
    return values


@dataclass(frozen=True)
class NewPlace:
    """A registration to store: new, or a cancelled one (`replaces`) brought back."""

    registration: Registration
    event: Event
    expires_at: datetime
    replaces: Registration | None = None


class Commit(StrEnum):
    committed = "committed"
    rate_limited = "rate_limited"
    lost_race = "lost_race"  # a duplicate landed first, the last place went: read and decide again


class RegistrationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads ------------------------------------------------------------------------------------

    def snapshot(self, event_ids: list[str], person_id: str) -> SignupSnapshot:
        keys = [event_key(e) for e in event_ids] + [registration_key(e, person_id) for e in event_ids]
        snapshot = SignupSnapshot()
        for item in self.table.get_many([*keys, person_key(person_id), marker_key(person_id)]):
            sort_key = str(item["SK"])
            if sort_key == "EVENT":
                event = read_event(item)
                if isinstance(event, Event):  # one that cannot be read is no event to sign up for
                    snapshot.events[event.id] = event
            elif sort_key.startswith("REG#"):
                for registration in _readable([item]):
                    snapshot.registrations[registration.event_id] = registration
            elif sort_key == "PROFILE":
                snapshot.person = person_from(item)
            elif sort_key == "SUPPRESSION":
                snapshot.marker = marker_from(item)
        return snapshot

    def get(self, event_id: str, person_id: str) -> Registration | None:
        item = self.table.get(registration_key(event_id, person_id))
        return next(_readable([item]), None) if item else None

    def of_event(self, event_id: str) -> list[Registration]:
        return list(_readable(self.table.query(event_partition(event_id), "REG#")))

    def links_sent(self, event_id: str) -> int:
        """How many of the event's registrations were sent their join link."""
        return self.table.count(event_partition(event_id), "REG#", having="link_sent_at")

    def by_people(self, event_id: str, person_ids: Iterable[str]) -> dict[str, Registration]:
        found = self.table.get_many(registration_key(event_id, p) for p in person_ids)
        return {r.person_id: r for r in _readable(found)}

    def _items_of(self, person_id: str) -> list[Item]:
        """Every registration item of a person as stored, soonest event first."""
        keys = [
            (str(item["PK"]), str(item["SK"]))
            for item in self.table.query(f"PERSON#{person_id}", index=PERSON_INDEX)
        ]
        return sorted(self.table.get_many(keys), key=lambda item: str(item.get("GSI2SK", ""))) if keys else []

    def of_person(self, person_id: str) -> list[Registration]:
        """A person's registrations, soonest event first (index query, then one batch read)."""
        return list(_readable(self._items_of(person_id)))

    def raw_of_person(self, person_id: str) -> list[Item]:
        """Every registration item of a person, every attribute (a subject access request)."""
        return self._items_of(person_id)

    # --- sign-up ---------------------------------------------------------------------------------

    def commit_signup(
        self, places: list[NewPlace], profile: ProfileSave | None, limits: list[RateLimit]
    ) -> Commit:
        """One transaction: every place with its event's counters (each event open, and for a
        place not full), the profile, the rate limits."""
        writes: list[Write] = []
        for place in places:
            registration = place.registration
            writes.append(self._put_write(registration, place.event, place.expires_at))
            changes = {(registration.status, registration.role): 1}
            if place.replaces is not None:
                key = (RegistrationStatus.cancelled, place.replaces.role)
                changes[key] = changes.get(key, 0) - 1
            writes.append(
                count_write(
                    place.event,
                    changes,
                    now=registration.registered_at,
                    require_open=True,
                    require_space=registration.status is RegistrationStatus.registered,
                )
            )
        if profile is not None:
            writes.append(save_write(profile))
            if profile.lift_marker_at is not None:
                writes.append(
                    lift_unsubscribed_marker_write(profile.person.person_id, profile.lift_marker_at)
                )
        writes.extend(rate_limit_write(limit) for limit in limits)
        refusal = self.table.transact(writes)
        if not refusal:
            return Commit.committed
        # Only a rate limit's own condition (over the limit) is a 429; meeting another sign-up
        # on the same counter is a lost race, tried again.
        if any(label.startswith("rate:") for label in refusal.failed):
            return Commit.rate_limited
        return Commit.lost_race

    @staticmethod
    def _put_write(registration: Registration, event: Event, expires_at: datetime) -> Write:
        """A new registration, or a cancelled one brought back; never a second live one."""
        return Write(
            label=f"registration:{registration.event_id}",
            item=_registration_item(registration, event, expires_at),
            condition="attribute_not_exists(PK) OR #status = :cancelled",
            names={"#status": "status"},
            values={":cancelled": RegistrationStatus.cancelled.value},
        )

    # --- moves between statuses ------------------------------------------------------------------

    def _move(self, registration: Registration, event: Event, to: RegistrationStatus, now: datetime) -> bool:
        changes: dict[tuple[RegistrationStatus, Role], int] = {
            (registration.status, registration.role): -1,
            (to, registration.role): 1,
        }
        moving = Write(
            label="registration",
            key=registration_key(registration.event_id, registration.person_id),
            update=f"SET #status = :to, {_STAMPS[to]} = :now",
            condition="#status = :from",
            names={"#status": "status"},
            values={":to": to.value, ":from": registration.status.value, ":now": iso(now)},
        )
        promoting = to is RegistrationStatus.registered
        counting = count_write(event, changes, now=now, require_open=promoting, require_space=promoting)
        return not self.table.transact([moving, counting])

    def cancel(self, registration: Registration, event: Event, now: datetime) -> bool:
        """Cancel a place or waiting-list place as it was read; False if it changed meanwhile."""
        return self._move(registration, event, RegistrationStatus.cancelled, now)

    def promote(self, registration: Registration, event: Event, now: datetime) -> bool:
        """Give a waiting-list person a place, only while the event is open and has room."""
        return self._move(registration, event, RegistrationStatus.registered, now)

    # --- marks -------------------------------------------------------------------------------------

    def _mark(self, event_id: str, person_id: str, update: str, condition: str, **values: object) -> bool:
        write = Write(
            label="registration",
            key=registration_key(event_id, person_id),
            update=update,
            condition=condition,
            values={f":{name}": value for name, value in values.items()},
        )
        return bool(self.table.write(write))

    def record_first_open(self, event_id: str, person_id: str, now: datetime) -> bool:
        """Note the first open of a join link, then count it on the event (kept for reports).

        Two plain writes, not a transaction: in the join rush a hundred first opens a second land
        on the event's one item, and transactions on one item cancel each other, and the late
        sign-ups' transactions on that event with them (docs/performance.md, "Capacity"). A plain
        ADD never cancels a transaction. The count is best effort, as the open itself is."""
        return self._first("opened_at", "links_opened", event_id, person_id, now)

    def record_join(self, event_id: str, person_id: str, now: datetime) -> bool:
        """Note the first open while the event was on (the person attended), then count it on the
        event, as `record_first_open` does."""
        return self._first("joined_at", "attended", event_id, person_id, now)

    def _first(self, stamp: str, counter: str, event_id: str, person_id: str, now: datetime) -> bool:
        noting = Write(
            label="registration",
            key=registration_key(event_id, person_id),
            update=f"SET {stamp} = :now",
            condition=f"attribute_exists(PK) AND attribute_not_exists({stamp})",
            values={":now": iso(now)},
        )
        if not self.table.write(noting):
            return False
        with contextlib.suppress(Unavailable):
            self.table.write(opened_write(event_id, counter))
        return True

    def mark_link_sent(self, event_id: str, person_id: str, send_moment: datetime, now: datetime) -> bool:
        """One conditional write per recipient, after SES accepted the message."""
        return self._mark(
            event_id,
            person_id,
            "SET link_sent_at = :now, link_sent_for = :moment",
            "attribute_exists(PK) AND (attribute_not_exists(link_sent_for) OR link_sent_for <> :moment)",
            now=iso(now),
            moment=iso(send_moment),
        )

    def mark_link_failed(
        self, event_id: str, person_id: str, send_moment: datetime, failure: SendFailure
    ) -> None:
        """This person's join link could not go for this send moment: not tried again for it."""
        self.record_failure(
            event_id, person_id, failure, "link_failed_for = :moment", moment=iso(send_moment)
        )

    def mark_text_sent(self, event_id: str, person_id: str, send_moment: datetime, now: datetime) -> bool:
        """The morning text's one conditional write, after SNS accepted it."""
        return self._mark(
            event_id,
            person_id,
            "SET sms_sent_at = :now, sms_sent_for = :moment",
            "attribute_exists(PK) AND (attribute_not_exists(sms_sent_for) OR sms_sent_for <> :moment)",
            now=iso(now),
            moment=iso(send_moment),
        )

    def mark_text_failed(
        self, event_id: str, person_id: str, send_moment: datetime, failure: SendFailure | None
    ) -> None:
        """No text goes to this person for this send moment: SNS refused it (`failure`), or their
        number had one already for this event (None: nothing failed, nothing to show)."""
        if failure is not None:
            self.record_failure(
                event_id, person_id, failure, "sms_failed_for = :moment", moment=iso(send_moment)
            )
            return
        self._mark(
            event_id,
            person_id,
            "SET sms_failed_for = :moment",
            "attribute_exists(PK)",
            moment=iso(send_moment),
        )

    def record_failure(
        self, event_id: str, person_id: str, failure: SendFailure, also: str = "", **values: object
    ) -> None:
        """Add `failure` to the registration's send failures (and `also`, a SET clause), in one write."""
        update = "SET send_failures = list_append(if_not_exists(send_failures, :none), :failure)"
        self._mark(
            event_id,
            person_id,
            f"{update}, {also}" if also else update,
            "attribute_exists(PK)",
            none=[],
            failure=[failure.model_dump(mode="json")],
            **values,
        )

    def mark_notified(self, event_id: str, person_id: str, number: int, now: datetime) -> bool:
        """After SES accepted notice `number` for this person: it, and every earlier one, is done."""
        return self._mark(
            event_id,
            person_id,
            "SET notified_for = :n, notified_at = :now",
            "attribute_exists(PK) AND (attribute_not_exists(notified_for) OR notified_for < :n)",
            n=number,
            now=iso(now),
        )

    def mark_notice_failed(self, event_id: str, person_id: str, number: int, failure: SendFailure) -> None:
        """Notice `number` could not go to this person: not tried again for it."""
        self.record_failure(event_id, person_id, failure, "notice_failed_for = :n", n=number)

    def delete(self, event_id: str, person_id: str) -> None:
        """Erase a registration item. The event's counters are left as they are (reports)."""
        self.table.delete(registration_key(event_id, person_id))
