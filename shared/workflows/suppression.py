"""Bounces and complaints: which addresses an SES event suppresses, and one write per address.

SES publishes the configuration set's events to EventBridge; SesEventsFunction receives them in
the EventBridge envelope (`detail-type` "Email Bounced" or "Email Complaint Received", the SES
event in `detail`). A permanent bounce suppresses each bounced address as `bounced`; a complaint
suppresses each complaining address as `complained`. Transient and undetermined bounces change
nothing: the next email may well arrive.

Suppression has a rank: `complained` > `bounced` > `unsubscribed`. A write only ever raises it,
in one conditional UpdateItem on the profile (`PERSON#<person_id>` / `PROFILE`), so the same
event twice, or a bounce after a complaint, changes nothing. UpdateItem creates a profile that
does not exist yet: an address unknown to us gets one holding only the keyed id (its key) and
the suppression, never the address, so a later sign-up with it is registered but not emailed.

`decide` is pure (no AWS, no keys); `apply` does the writes. Nothing here logs an address; the
entry point logs only the counts in the `Outcome`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from shared.boundary import JsonObject
from shared.domain.models import SUPPRESSION_RANK, Suppression, normalise_address
from shared.stores.people import PersonStore

RANK = SUPPRESSION_RANK

# EventBridge's detail-type for each SES event type that can suppress.
DETAIL_TYPES: dict[str, str] = {
    "Email Bounced": "Bounce",
    "Email Complaint Received": "Complaint",
}

PERMANENT = "Permanent"
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z ]{0,39}")


class MalformedSesEvent(ValueError):
    """The event lacks a field we need. `problem` names the field, never its content."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Decision:
    """What one SES event asks for. `addresses` are normalised and distinct; they must never be
    logged. `ignored` counts recipients named in the event that it does not suppress."""

    event_type: str
    bounce_type: str | None = None
    bounce_sub_type: str | None = None
    suppression: Suppression | None = None
    addresses: tuple[str, ...] = ()
    ignored: int = 0
    unreadable: int = 0  # recipients without a usable address (counted in `ignored` too)


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    suppressed: int = 0  # addresses this event suppresses (already suppressed as much or more included)
    changed: int = 0  # profiles whose suppression this event actually raised

    def answer(self) -> dict[str, int]:
        return {"suppressed": self.suppressed, "ignored": self.decision.ignored}

    def log_fields(self) -> JsonObject:
        """What may be logged: types and counts, never an address or a person id."""
        decision = self.decision
        return {
            "event_type": _loggable(decision.event_type),
            "bounce_type": _loggable(decision.bounce_type),
            "bounce_sub_type": _loggable(decision.bounce_sub_type),
            "suppression": decision.suppression.value if decision.suppression else None,
            "recipients": len(decision.addresses) + decision.ignored,
            "suppressed": self.suppressed,
            "newly_suppressed": self.changed,
            "ignored": decision.ignored,
            "unreadable_recipients": decision.unreadable,
        }


def _loggable(value: str | None) -> str | None:
    """SES's type names ("Bounce", "Permanent", "OnAccountSuppressionList") are letters and spaces;
    anything else in those fields is not logged, in case it quotes something personal."""
    if value is None:
        return None
    return value if _TYPE_NAME.fullmatch(value) else "(unrecognised)"


def outranks(new: Suppression, current: Suppression | None) -> bool:
    """Whether `new` should replace `current`: only ever upwards."""
    return current is None or RANK[new] > RANK[current]


def _text(container: JsonObject, key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedSesEvent(f"{where}.{key} is missing or not text")
    return value.strip()


def _mapping(container: JsonObject, key: str, where: str) -> JsonObject:
    value = container.get(key)
    if not isinstance(value, dict):
        raise MalformedSesEvent(f"{where}.{key} is missing or not an object")
    return value


def _recipients(section: JsonObject, key: str, where: str) -> tuple[list[str], int]:
    """The distinct normalised addresses of a recipients list, and how many entries had none."""
    entries = section.get(key)
    if not isinstance(entries, list):
        raise MalformedSesEvent(f"{where}.{key} is missing or not a list")
    addresses: list[str] = []
    unreadable = 0
    for entry in entries:
        raw = entry.get("emailAddress") if isinstance(entry, dict) else None
        # SES gives bare addresses; parseaddr also copes with a "Name <address>" form.
        address = normalise_address(parseaddr(raw)[1]) if isinstance(raw, str) else ""
        if "@" not in address.strip("@"):
            unreadable += 1
        elif address not in addresses:
            addresses.append(address)
    return addresses, unreadable


def decide(event: Any) -> Decision:
    """Read an EventBridge-delivered SES event. Raises MalformedSesEvent when a needed field is
    missing; any other event type than a bounce or a complaint is answered with no suppression."""
    if not isinstance(event, dict):
        raise MalformedSesEvent("the event is not an object")
    detail = _mapping(event, "detail", "event")
    detail_type = event.get("detail-type")
    expected = DETAIL_TYPES.get(detail_type) if isinstance(detail_type, str) else None
    event_type = detail.get("eventType")
    if not isinstance(event_type, str) or not event_type.strip():
        if expected is None:
            raise MalformedSesEvent("detail.eventType is missing or not text")
        event_type = expected
    event_type = event_type.strip()
    if expected is not None and event_type != expected:
        raise MalformedSesEvent("detail-type and detail.eventType disagree")

    if event_type == "Bounce":
        bounce = _mapping(detail, "bounce", "detail")
        bounce_type = _text(bounce, "bounceType", "detail.bounce")
        sub_type = bounce.get("bounceSubType")
        addresses, unreadable = _recipients(bounce, "bouncedRecipients", "detail.bounce")
        bounce_sub_type = sub_type if isinstance(sub_type, str) else None
        if bounce_type != PERMANENT:  # Transient, Undetermined, or anything new: not a hard bounce
            return Decision(
                event_type=event_type,
                bounce_type=bounce_type,
                bounce_sub_type=bounce_sub_type,
                ignored=len(addresses) + unreadable,
                unreadable=unreadable,
            )
        return Decision(
            event_type=event_type,
            bounce_type=bounce_type,
            bounce_sub_type=bounce_sub_type,
            suppression=Suppression.bounced,
            addresses=tuple(addresses),
            ignored=unreadable,
            unreadable=unreadable,
        )
    if event_type == "Complaint":
        complaint = _mapping(detail, "complaint", "detail")
        addresses, unreadable = _recipients(complaint, "complainedRecipients", "detail.complaint")
        return Decision(
            event_type=event_type,
            suppression=Suppression.complained,
            addresses=tuple(addresses),
            ignored=unreadable,
            unreadable=unreadable,
        )
    return Decision(event_type=event_type)


def apply(
    decision: Decision,
    *,
    people: PersonStore,
    person_id_for: Callable[[str], str],
    now: datetime,
) -> Outcome:
    """Suppress every address the decision names: one UpdateItem each (a DynamoDB failure raises
    Unavailable, so that the event is retried)."""
    level = decision.suppression
    if level is None or not decision.addresses:
        return Outcome(decision)
    changed = sum(people.suppress(person_id_for(a), level, now) for a in decision.addresses)
    return Outcome(decision, suppressed=len(decision.addresses), changed=changed)
