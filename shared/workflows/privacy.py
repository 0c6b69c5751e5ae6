"""Data protection (UK GDPR): subject access, erasure, and lifting a suppression.

Where an address is held (docs/privacy.md says why and for how long):
  - the profile `PERSON#<person_id>` / `PROFILE` (address, name, role, organisation, suppression);
  - registrations `EVENT#<event_id>` / `REG#<person_id>` (address, name, access needs, times),
    found through the person index;
  - batches of the morning send, of change notices and of admins' messages and follow-ups
    (`BATCH#...`, `NOTICEBATCH#...`, `MSGBATCH#...`): person ids only, kept 35 days after the
    event (messages and follow-ups are counted with the notices);
  - export CSVs in the export bucket (30 days);
  - SES's account-level suppression list (an address SES saw bounce or complain).
Queued SQS messages carry ids only, never an address: once the profile and registrations are
gone, a queued email finds nobody to send to. Logs carry no personal data. The per-address
sign-up rate-limit items are keyed by the person id and expire within two hours; erasure removes
them too.

Erasure never moves an event's counters down: `counts` and `links_opened` stay, so reports to
funders stay true. A place the person still holds at an event that is open is cancelled first,
through the usual cancellation (counted as a cancellation, and the waiting list is promoted), so
capacity accounting never changes silently; registrations at past or cancelled events are
deleted with their counts left as they were.

A person who unsubscribed or complained keeps only their suppression marker
`PERSON#<person_id>` / `SUPPRESSION`: the keyed hash of their address, why they are not mailed
and since when, nothing else and no expiry, so a later sign-up with that address is not emailed
against their wish (an unsubscribed person who signs up again is emailed again, as after any
unsubscribe). The same marker is what outlives a profile's expiry (shared/stores/people.py), so
erasure and expiry leave the same thing behind. Anyone else's profile and marker go entirely.

Nothing here logs an address, a name or a person id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from shared.boundary import JsonObject
from shared.domain.bulk import BATCH_RETENTION, Batch
from shared.domain.errors import Unavailable
from shared.domain.models import SUPPRESSION_RANK, RegistrationStatus, Suppression, address_forms
from shared.domain.people import Registration
from shared.mail.ses_account import SesSuppressionList
from shared.stores.batches import BatchStore
from shared.stores.events import EventStore
from shared.stores.join_codes import JoinCodeStore
from shared.stores.limits import RateLimitStore
from shared.stores.people import PersonStore, marker_from
from shared.stores.registrations import RegistrationStore
from shared.stores.text_claims import TextClaimStore
from shared.workflows.exports import ExportStore
from shared.workflows.registrations import Registrations

KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
KEPT_AFTER_ERASURE = (Suppression.unsubscribed, Suppression.complained)
_BARE = {"PK", "SK", "suppression"}
NOTES = [
    "Queued emails (SQS) carry ids only, never an address: there is nothing to erase there, and "
    "a queued email finds nobody to send to once the profile is gone.",
    "Logs never hold names, addresses or access needs.",
    "DynamoDB point-in-time recovery keeps erased items in its backups for up to 35 days; they "
    "age out by themselves (docs/privacy.md).",
]
Stored = JsonObject  # an item as stored, shown whole to the person it is about


def _plain(value: object) -> object:
    """DynamoDB's values as JSON: numbers as int (or float), sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(str(_plain(v)) for v in value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    return value


def _view(item: Stored) -> Stored:
    """A stored item for a person to read: every attribute but the table's keys; the expiry
    (an epoch number for DynamoDB's TTL) as a date-time."""
    view = {k: _plain(v) for k, v in sorted(item.items()) if k not in KEY_ATTRIBUTES}
    expires_at = view.get("expires_at")
    if isinstance(expires_at, int):
        view["expires_at"] = datetime.fromtimestamp(expires_at, UTC).isoformat()
    return view


@dataclass(frozen=True)
class BatchHit:
    batch: Batch
    index: int


@dataclass
class Holdings:
    """Where a person's data is, found before anything is changed."""

    profile: Stored | None
    marker: Stored | None
    registrations: list[Registration]
    morning: list[BatchHit]
    notices: list[BatchHit]
    exports: list[str]
    windows: list[str]
    batch_events: set[str]


@dataclass
class Erasure:
    dry_run: bool
    profile: int = 0
    registrations: int = 0
    morning_send_recipients: int = 0
    notice_recipients: int = 0
    exports: int = 0
    ses_suppression_list: int = 0
    rate_limits: int = 0
    cancelled: list[str] = field(default_factory=list)
    kept: Suppression | None = None
    ses_state: str = "not_listed"
    export_keys: list[str] = field(default_factory=list)

    def answer(self) -> JsonObject:
        return {
            "dry_run": self.dry_run,
            "erased": {
                "profile": self.profile,
                "registrations": self.registrations,
                "morning_send_recipients": self.morning_send_recipients,
                "notice_recipients": self.notice_recipients,
                "exports": self.exports,
                "ses_suppression_list": self.ses_suppression_list,
                "rate_limits": self.rate_limits,
                "queued_messages": 0,
            },
            # Places given up first (so the waiting list moves up), at events still open.
            "cancelled": self.cancelled,
            # What stays: only the keyed hash and why the person is not mailed, or nothing.
            "kept": {"suppression": self.kept.value} if self.kept else None,
            "ses_suppression_list": self.ses_state,
            "exports_deleted": self.export_keys,
            "notes": NOTES,
        }

    def log_fields(self) -> JsonObject:
        erased = self.answer()["erased"]
        return {"dry_run": self.dry_run, **erased, "cancelled": len(self.cancelled), "kept": bool(self.kept)}


class Privacy:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        batches: BatchStore,
        rate_limits: RateLimitStore,
        places: Registrations,
        exports: ExportStore | None,
        ses: SesSuppressionList,
        person_id_for: Callable[[str], str],
        join_codes: JoinCodeStore | None = None,
        text_claims: TextClaimStore | None = None,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.people = people
        self.batches = batches
        self.rate_limits = rate_limits
        self.places = places
        self.exports = exports
        self.ses = ses
        self.person_id_for = person_id_for
        self.join_codes = join_codes
        self.text_claims = text_claims

    # --- where a person's data is ---------------------------------------------------------------

    def _batch_events(self, registered: set[str], now: datetime) -> set[str]:
        """Events whose batches may still exist: the person's, and every event that ended less
        than the batches' retention ago (a batch can outlive a short registration retention)."""
        recent = self.events.by_start(ending_after=now - BATCH_RETENTION)
        return registered | {event.id for event in recent}

    def _hits(self, event_ids: set[str], person_id: str, kind: str) -> list[BatchHit]:
        hits: list[BatchHit] = []
        for event_id in sorted(event_ids):
            # "notice": change and cancellation notices, admins' messages and follow-ups alike.
            for batch_kind in ("notice", "message") if kind == "notice" else ("morning",):
                hits.extend(
                    BatchHit(batch, n)
                    for batch in self.batches.of_event(event_id, batch_kind)
                    for n, held in enumerate(batch.recipients)
                    if held == person_id
                )
        return hits

    def _holdings(self, address: str, person_id: str, now: datetime) -> Holdings:
        registrations = self.registrations.of_person(person_id)
        batch_events = self._batch_events({r.event_id for r in registrations}, now)
        return Holdings(
            profile=self.people.raw(person_id),
            marker=self.people.marker(person_id),
            registrations=registrations,
            morning=self._hits(batch_events, person_id, "morning"),
            notices=self._hits(batch_events, person_id, "notice"),
            exports=self.exports.holding(address) if self.exports else [],
            windows=self.rate_limits.address_windows(person_id),
            batch_events=batch_events,
        )

    def _locate(self, address: str) -> tuple[str, str]:
        """The form of `address` a person is stored under, and their id. Any address is taken:
        records stored before addresses had to be ASCII are found under their old form."""
        forms = address_forms(address)
        for form in forms:
            person_id = self.person_id_for(form)
            if (
                self.people.raw(person_id) is not None
                or self.people.marker(person_id) is not None
                or self.registrations.raw_of_person(person_id)
            ):
                return form, person_id
        return forms[0], self.person_id_for(forms[0])

    # --- subject access -----------------------------------------------------------------------------

    def subject_access(self, address: str, now: datetime) -> Stored:
        """Everything held about this address, as stored."""
        address, person_id = self._locate(address)
        profile = self.people.raw(person_id)
        items = self.registrations.raw_of_person(person_id)
        events = self.events.get_many(str(item["PK"]).removeprefix("EVENT#") for item in items)
        registrations = []
        for item in items:
            event = events.get(str(item["PK"]).removeprefix("EVENT#"))
            view = _view(item)
            view["event_id"] = str(item["PK"]).removeprefix("EVENT#")
            view["title"] = event.title if event else None
            view["starts_at"] = event.local_start.isoformat() if event else None
            view["event_status"] = event.status.value if event else None
            registrations.append(view)
        batch_events = self._batch_events(set(events), now)
        exports = self.exports.holding(address) if self.exports else []
        listing = self.ses.lookup(address)
        return {
            "person_id": person_id,
            "person": _view(profile) if profile else None,
            "suppression_marker": _view(marker) if (marker := self.people.marker(person_id)) else None,
            "registrations": registrations,
            "morning_send": sorted(
                {h.batch.event_id for h in self._hits(batch_events, person_id, "morning")}
            ),
            "change_notices": sorted(
                {h.batch.event_id for h in self._hits(batch_events, person_id, "notice")}
            ),
            "exports": [self.exports.uri(key) for key in exports] if self.exports else [],
            "ses_suppression_list": {"state": listing.state, "reason": listing.reason},
            "notes": NOTES,
        }

    # --- erasure ---------------------------------------------------------------------------------------

    def forget(self, address: str, *, dry_run: bool, now: datetime) -> Erasure:
        """Erase everything held about this address (or, with `dry_run`, say what would go).

        The SES list comes first and the profile last: a failure part-way raises Unavailable, and
        running it again finishes the job (every step is idempotent, and the profile that decides
        what is kept is still there)."""
        address, person_id = self._locate(address)
        held = self._holdings(address, person_id, now)
        levels = [marker_from(item) for item in (held.profile, held.marker) if item]
        kept = max((s for s in levels if s), key=SUPPRESSION_RANK.__getitem__, default=None)
        listing = self.ses.lookup(address)
        if listing.reason == "COMPLAINT":
            kept = Suppression.complained
        erasure = Erasure(dry_run=dry_run)
        events = self.events.get_many(r.event_id for r in held.registrations)
        erasure.cancelled = [
            r.event_id
            for r in held.registrations
            if r.status is not RegistrationStatus.cancelled
            and r.event_id in events
            and events[r.event_id].is_open(now)
        ]
        if dry_run:
            erasure.ses_state = {"listed": "would_be_removed", "not_listed": "not_listed"}.get(
                listing.state, "unknown"
            )
            erasure.ses_suppression_list = int(listing.state == "listed")
        else:
            self._erase(address, person_id, held, erasure, listing.reason == "COMPLAINT", now)
        erasure.kept = kept if kept in KEPT_AFTER_ERASURE else None
        if not dry_run:
            if erasure.kept is not None:
                self.people.keep_only_suppression(person_id, erasure.kept, now)
            else:
                if held.profile is not None:
                    self.people.delete(person_id)
                if held.marker is not None:
                    self.people.delete_marker(person_id)
        erasure.registrations = len(held.registrations)
        erasure.morning_send_recipients = len(held.morning)
        erasure.notice_recipients = len(held.notices)
        erasure.exports = len(held.exports)
        erasure.export_keys = [self.exports.uri(key) for key in held.exports] if self.exports else []
        erasure.rate_limits = len(held.windows)
        # The profile counts as erased when anything personal goes: all of it, or all but the hash.
        erasure.profile = int(
            held.profile is not None and (erasure.kept is None or bool(set(held.profile) - _BARE))
        )
        return erasure

    def _erase(
        self, address: str, person_id: str, held: Holdings, erasure: Erasure, complained: bool, now: datetime
    ) -> None:
        # SES first: asking what SES holds also told whether the person complained to SES. That
        # goes on the profile before SES forgets it, so a run that fails later and is run again
        # still keeps the hash.
        if complained:
            self.people.suppress(person_id, Suppression.complained, now)
        erasure.ses_state = self.ses.remove(address)
        erasure.ses_suppression_list = int(erasure.ses_state == "removed")
        for event_id in erasure.cancelled:
            self.places.cancel(event_id, person_id, now)
        self._remove_from_batches(held.morning, person_id, held.batch_events, "morning")
        self._remove_from_batches(held.notices, person_id, held.batch_events, "notice")
        if self.exports is not None:
            for key in held.exports:
                self.exports.delete(key)
        for registration in held.registrations:
            self.registrations.delete(registration.event_id, person_id)
        events = [r.event_id for r in held.registrations]
        if self.join_codes is not None:  # the short join links texted to them (derived: no query)
            self.join_codes.forget(events, person_id)
        phone = str((held.profile or {}).get("phone") or "")
        if self.text_claims is not None and phone:  # their number's one-text-per-event claims
            self.text_claims.forget(events, phone)
        self.rate_limits.forget_address(person_id, held.windows)

    def _remove_from_batches(
        self, hits: list[BatchHit], person_id: str, event_ids: set[str], kind: str
    ) -> None:
        """Take the person out of every batch holding them. By index, from the end (earlier indices
        stay valid), each conditional on the entry still being theirs; a batch changed meanwhile is
        read again."""
        for _attempt in range(5):
            ordered = sorted(hits, key=lambda h: (h.batch.event_id, h.batch.key, -h.index))
            failed = [h for h in ordered if not self.batches.remove_recipient(h.batch, h.index, person_id)]
            if not failed:
                return
            hits = self._hits(event_ids, person_id, kind)
            if not hits:
                return
        raise Unavailable("The morning send kept changing while we erased this person. Please try again.")

    # --- lifting a suppression -------------------------------------------------------------------------

    def unsuppress(self, address: str) -> Stored:
        """Lift our suppression (bounced, complained or unsubscribed) and SES's own, so the address
        is emailed again. A bare profile (held only to suppress) is deleted: it would hold nothing."""
        address, person_id = self._locate(address)
        ses_state = self.ses.remove(address)
        profile = self.people.raw(person_id)
        marker = self.people.marker(person_id)
        previous = profile.get("suppression") if profile else None
        previous = previous or (marker.get("suppression") if marker else None)
        profile_change = "none"
        if profile is not None and profile.get("email"):
            if self.people.clear_suppression(person_id):
                profile_change = "cleared"
        elif profile is not None and previous is not None:
            self.people.delete(person_id)
            profile_change = "deleted"
        if marker is not None:
            self.people.delete_marker(person_id)
            profile_change = "cleared" if profile_change == "none" else profile_change
        return {
            "suppression_removed": previous if profile_change != "none" else None,
            "profile": profile_change,
            "ses_suppression_list": ses_state,
            "changed": profile_change != "none" or ses_state == "removed",
        }
