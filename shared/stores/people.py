"""People: `PERSON#<person_id>` / `PROFILE`, one per address, keyed by the keyed hash of it.

A profile holds the address, name, role, organisation, when the last confirmation and manage
link went, and the suppression (unsubscribed, bounced, complained). Suppression only ever rises
here; a profile reduced to its key and suppression outlives erasure, so that a person who
unsubscribed or complained stays unmailed.
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
        for attribute, value in details.items():
            if value:
                names[f"#{attribute}"] = attribute
                values[f":{attribute}"] = value
                sets.append(f"#{attribute} = if_not_exists(#{attribute}, :{attribute})")
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

    def change_details(self, person_id: str, name: str, role: Role, organisation: str) -> bool:
        """The owner's change of their name, role and organisation (an empty organisation is
        removed). False when there is no such person."""
        values: Item = {":name": name, ":role": role.value}
        update = "SET #name = :name, #role = :role"
        if organisation:
            update += ", organisation = :organisation"
            values[":organisation"] = organisation
        else:
            update += " REMOVE organisation"
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

    def suppress(self, person_id: str, level: Suppression, now: datetime) -> bool:
        """Raise the suppression to `level` (creating a profile holding only the key and the
        suppression when there is none). False when it was already `level` or higher."""
        weaker = [s for s in Suppression if SUPPRESSION_RANK[s] < SUPPRESSION_RANK[level]]
        values: dict[str, object] = {"level": level.value, "now": iso(now)}
        condition = "attribute_not_exists(#suppression)"
        if weaker:
            values.update({f"weaker{n}": s.value for n, s in enumerate(weaker)})
            condition += f" OR #suppression IN ({', '.join(f':weaker{n}' for n in range(len(weaker)))})"
        return self._update(person_id, "SET #suppression = :level, suppressed_at = :now", condition, **values)

    def unsubscribe(self, person_id: str, now: datetime) -> bool:
        """Mark a known person unsubscribed; a bounce or complaint outranks it and stays."""
        return self._update(
            person_id,
            "SET #suppression = :unsubscribed, unsubscribed_at = :now",
            "attribute_exists(PK) AND (attribute_not_exists(#suppression) OR #suppression = :unsubscribed)",
            unsubscribed=Suppression.unsubscribed.value,
            now=iso(now),
        )

    def clear_suppression(self, person_id: str) -> bool:
        """Remove our suppression (and its dates) from a profile; False when it had none."""
        return self._update(
            person_id,
            "REMOVE #suppression, suppressed_at, unsubscribed_at",
            "attribute_exists(#suppression)",
        )

    def keep_only_suppression(self, person_id: str, suppression: Suppression) -> None:
        """Replace the profile by its key and suppression alone: no address, no name, no expiry,
        so the keyed hash keeps the person unmailed and says nothing else about them."""
        key = person_key(person_id)
        self.table.write(
            Write(label="person", item={"PK": key[0], "SK": key[1], "suppression": suppression.value})
        )

    def delete(self, person_id: str) -> None:
        self.table.delete(person_key(person_id))
