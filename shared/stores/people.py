"""People: `PERSON#<person_id>` / `PROFILE`, one per address, keyed by the keyed hash of it.

A profile holds the address, name, role, organisation, when the last confirmation and manage
link went, the suppression (unsubscribed, bounced, complained), and whether (and since when) the
person opted out of admins' messages and follow-ups (`messages_opt_out`). Suppression only ever rises
here.

The profile expires (TTL) with the person's last event; a suppression must not. So every
suppression is also written to a hash-only marker, `PERSON#<person_id>` / `SUPPRESSION`: the
keyed hash (its key), the level and when, no address, no name, no expiry. A sign-up reads it
with the profile (same BatchGetItem) and carries a bounce or complaint into the new profile, so
a person whose profile expired, or was erased after unsubscribing or complaining, stays
unmailed. A marker lifted by a sign-up (an unsubscribe undone) is emptied and given an expiry,
since the public side never deletes items. Profiles that hold only a suppression (written before
the marker existed) are still read as one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.errors import Unavailable
from shared.domain.models import SUPPRESSION_RANK, Role, Suppression
from shared.domain.people import Person
from shared.stores.table import Item, Key, Table, Write, epoch, iso


def person_key(person_id: str) -> Key:
    return f"PERSON#{person_id}", "PROFILE"


def marker_key(person_id: str) -> Key:
    """The hash-only suppression marker, which outlives the profile."""
    return f"PERSON#{person_id}", "SUPPRESSION"


def marker_from(item: Item) -> Suppression | None:
    level = item.get("suppression")
    return Suppression(level) if level in {s.value for s in Suppression} else None


def lift_unsubscribed_marker_write(person_id: str, now: datetime) -> Write:
    """A sign-up undoes an unsubscribe: empty the marker (UpdateItem: the public side has no
    DeleteItem) and let TTL take it. Only if it still says unsubscribed: a bounce or complaint
    landed since the read fails the sign-up's transaction, which then decides again."""
    return Write(
        label="suppression-marker",
        key=marker_key(person_id),
        update="REMOVE #suppression, suppressed_at SET expires_at = :now",
        condition="#suppression = :unsubscribed",
        names={"#suppression": "suppression"},
        values={":now": epoch(now), ":unsubscribed": Suppression.unsubscribed.value},
    )


def person_from(item: Item) -> Person:
    values = dict(item)
    values["person_id"] = str(values["PK"]).removeprefix("PERSON#")
    return Person.model_validate(values)


@dataclass(frozen=True)
class ProfileSave:
    """A sign-up's write to the profile (see `save_write`). `known`: the profile already says who
    the person is, and a sign-up never changes that."""

    person: Person
    expires_at: datetime
    clear_unsubscribe: bool
    mark_confirmation: bool
    only_if_no_confirmation_since: datetime | None = None
    known: bool = False
    # Set (to now) when the marker says unsubscribed: the sign-up undoes it there too.
    lift_marker_at: datetime | None = None


def save_write(save: ProfileSave) -> Write:
    """Create the profile, or refresh a known one's expiry. Who the person is (address, name, role,
    organisation) is written only where the profile does not say it yet (a new person, or a
    suppression marker holding only the hash): a sign-up never changes it, so a stranger who knows
    an address cannot put words into our emails to it. With `mark_confirmation`, note that a
    confirmation goes out now; with `only_if_no_confirmation_since` as well, only if none went out
    since that moment (the once-an-hour rule for repeats), so two racing repeats send one email."""
    person = save.person
    names: dict[str, str] = {}
    values: Item = {":expires": epoch(save.expires_at), ":created": iso(person.created_at)}
    sets = ["expires_at = :expires", "created_at = if_not_exists(created_at, :created)"]
    if not save.known:
        details = {"email": person.email, "name": person.name, "role": person.role.value}
        details["organisation"] = person.organisation
        if person.phone and person.sms_consent:
            details["phone"] = person.phone
        for attribute, value in details.items():
            if value:
                names[f"#{attribute}"] = attribute
                values[f":{attribute}"] = value
                sets.append(f"#{attribute} = if_not_exists(#{attribute}, :{attribute})")
        if "phone" in details:
            # Consent goes with the number it was given for (a new profile: nothing held yet).
            sets.append("sms_consent = if_not_exists(sms_consent, :yes)")
            values[":yes"] = True
    if person.suppression is not None:
        # A bounce or complaint known from the marker goes into a profile made after the old
        # one expired; a level already on the profile stays (it only ever rises).
        names["#suppression"] = "suppression"
        sets.append("#suppression = if_not_exists(#suppression, :suppression)")
        values[":suppression"] = person.suppression.value
    conditions = []
    if save.mark_confirmation:
        sets.append("confirmation_sent_at = :sent")
        values[":sent"] = iso(person.confirmation_sent_at)
        if save.only_if_no_confirmation_since is not None:
            values[":due"] = iso(save.only_if_no_confirmation_since)
            conditions.append("(attribute_not_exists(confirmation_sent_at) OR confirmation_sent_at <= :due)")
    removes = []
    if save.clear_unsubscribe:
        # Only an unsubscribe is undone by signing up again: if a bounce or complaint landed
        # since the read, the condition fails and the sign-up decides again.
        removes.append("suppression")
        values[":unsubscribed"] = Suppression.unsubscribed.value
        conditions.insert(0, "suppression = :unsubscribed")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return Write(
        label="person",
        key=person_key(person.person_id),
        update=expression,
        condition=" AND ".join(conditions) or None,
        names=names,
        values=values,
    )


def _rising(level: Suppression) -> tuple[str, dict[str, object]]:
    """The condition (and its values, unprefixed) under which `level` raises an item's
    suppression: none yet, or a weaker one."""
    weaker = [s for s in Suppression if SUPPRESSION_RANK[s] < SUPPRESSION_RANK[level]]
    values: dict[str, object] = {"level": level.value}
    values.update({f"weaker{n}": s.value for n, s in enumerate(weaker)})
    condition = "attribute_not_exists(#suppression)"
    if weaker:
        condition += f" OR #suppression IN ({', '.join(f':weaker{n}' for n in range(len(weaker)))})"
    return condition, values


class PersonStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, person_id: str) -> Person | None:
        item = self.table.get(person_key(person_id))
        return person_from(item) if item else None

    def get_many(self, person_ids: Iterable[str]) -> dict[str, Person]:
        found = (person_from(item) for item in self.table.get_many(person_key(p) for p in person_ids))
        return {person.person_id: person for person in found}

    def raw(self, person_id: str) -> Item | None:
        """The whole profile as stored, every attribute (a subject access request shows all)."""
        return self.table.get(person_key(person_id))

    def _update(
        self, person_id: str, expression: str, condition: str | None = None, **values: object
    ) -> bool:
        write = Write(
            label="person",
            key=person_key(person_id),
            update=expression,
            condition=condition,
            names={"#suppression": "suppression"} if "#suppression" in expression + (condition or "") else {},
            values={f":{name}": value for name, value in values.items()},
        )
        return bool(self.table.write(write))

    def change_details(
        self, person_id: str, name: str, role: Role, organisation: str, phone: str | None = None
    ) -> bool:
        """The owner's change of their name, role and organisation (an empty organisation is
        removed) and, unless `phone` is None, of their texts: a number (agreed to) or "" (none: the
        number is erased and consent withdrawn). False when there is no such person."""
        values: Item = {":name": name, ":role": role.value}
        sets, removes = ["#name = :name", "#role = :role"], []
        if organisation:
            sets.append("organisation = :organisation")
            values[":organisation"] = organisation
        else:
            removes.append("organisation")
        if phone is not None:
            sets.append("sms_consent = :consent")
            values[":consent"] = bool(phone)
            if phone:
                sets.append("phone = :phone")
                values[":phone"] = phone
            else:
                removes.append("phone")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        write = Write(
            label="person",
            key=person_key(person_id),
            update=update,
            condition="attribute_exists(PK)",
            names={"#name": "name", "#role": "role"},
            values=values,
        )
        return bool(self.table.write(write))

    def claim_manage_link(self, person_id: str, now: datetime, every: timedelta) -> bool:
        """Note that a manage link goes now, unless one went within `every`."""
        return self._update(
            person_id,
            "SET manage_link_sent_at = :now",
            "attribute_exists(PK) AND "
            "(attribute_not_exists(manage_link_sent_at) OR manage_link_sent_at <= :due)",
            now=iso(now),
            due=iso(now - every),
        )

    def release_manage_link(self, person_id: str, claimed_at: datetime) -> None:
        """Best effort: give back a manage-link claim made at `claimed_at` whose email did not go."""
        with contextlib.suppress(Unavailable):
            self._update(
                person_id,
                "REMOVE manage_link_sent_at",
                "attribute_exists(PK) AND manage_link_sent_at = :now",
                now=iso(claimed_at),
            )

    def forget_confirmation(self, person_id: str) -> None:
        """Best effort: clear the 'confirmation sent' mark after a confirmation could not go out."""
        with contextlib.suppress(Unavailable):
            self._update(person_id, "REMOVE confirmation_sent_at", "attribute_exists(PK)")

    def _raise_marker(self, person_id: str, level: Suppression, now: datetime) -> bool:
        condition, values = _rising(level)
        write = Write(
            label="suppression-marker",
            key=marker_key(person_id),
            update="SET #suppression = :level, suppressed_at = :now REMOVE expires_at",
            condition=condition,
            names={"#suppression": "suppression"},
            values={f":{name}": value for name, value in {**values, "now": iso(now)}.items()},
        )
        return bool(self.table.write(write))

    def marker(self, person_id: str) -> Item | None:
        """The hash-only suppression marker as stored (None: there is none, or it is empty)."""
        item = self.table.get(marker_key(person_id))
        return item if item and marker_from(item) is not None else None

    def suppress(self, person_id: str, level: Suppression, now: datetime) -> bool:
        """Raise the suppression to `level`: on the marker (created if there is none), then on the
        profile if there is one. False when it was already `level` or higher."""
        changed = self._raise_marker(person_id, level, now)
        condition, values = _rising(level)
        profile_changed = self._update(
            person_id,
            "SET #suppression = :level, suppressed_at = :now",
            f"attribute_exists(PK) AND ({condition})",
            now=iso(now),
            **values,
        )
        return changed or profile_changed

    def unsubscribe(self, person_id: str, now: datetime) -> bool:
        """Mark a known person unsubscribed, on the profile and the marker; a bounce or complaint
        outranks it and stays."""
        changed = self._update(
            person_id,
            "SET #suppression = :unsubscribed, unsubscribed_at = :now",
            "attribute_exists(PK) AND (attribute_not_exists(#suppression) OR #suppression = :unsubscribed)",
            unsubscribed=Suppression.unsubscribed.value,
            now=iso(now),
        )
        if changed:
            self._raise_marker(person_id, Suppression.unsubscribed, now)
        return changed

    def opt_out_of_messages(self, person_id: str, now: datetime) -> bool:
        """No more admins' messages or follow-ups for this person (places and join links stay).
        False when there is no such person."""
        return self._update(
            person_id,
            "SET messages_opt_out = :yes, messages_opt_out_at = if_not_exists(messages_opt_out_at, :now)",
            "attribute_exists(PK)",
            yes=True,
            now=iso(now),
        )

    def clear_suppression(self, person_id: str) -> bool:
        """Remove our suppression (and its dates) from a profile and drop its marker; False when
        neither had one."""
        had_marker = self.marker(person_id) is not None
        if had_marker:
            self.table.delete(marker_key(person_id))
        cleared = self._update(
            person_id,
            "REMOVE #suppression, suppressed_at, unsubscribed_at",
            "attribute_exists(#suppression)",
        )
        return cleared or had_marker

    def keep_only_suppression(self, person_id: str, suppression: Suppression, now: datetime) -> None:
        """Erasure that keeps the suppression: the marker alone (the keyed hash, the level and
        when; no address, no name, no expiry) stays, the profile goes."""
        key = marker_key(person_id)
        self.table.write(
            Write(
                label="suppression-marker",
                item={
                    "PK": key[0],
                    "SK": key[1],
                    "suppression": suppression.value,
                    "suppressed_at": iso(now),
                },
            )
        )
        self.table.delete(person_key(person_id))

    def delete_marker(self, person_id: str) -> None:
        self.table.delete(marker_key(person_id))

    def delete(self, person_id: str) -> None:
        self.table.delete(person_key(person_id))
