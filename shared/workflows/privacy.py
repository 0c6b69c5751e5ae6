"""Data protection (UK GDPR): subject access, erasure, and lifting a suppression.

Where an address is held (docs/privacy.md says why and for how long):
  - the profile `PERSON#<person_id>` / `PROFILE` (address, name, role, organisation, suppression);
  - registrations `EVENT#<event_id>` / `REG#<person_id>` (address, name, access needs, times),
    found through the person index;
  - morning-send batch items `EVENT#<event_id>` / `BATCH#...` (address and name of each
    recipient, kept 35 days after the event), and change-notice batch items
    (`NOTICEBATCH#...`, person ids only, as long);
  - export CSVs in the export bucket (30 days);
  - SES's account-level suppression list (an address SES saw bounce or complain).
Queued SQS messages carry ids only, never an address: once the profile and registrations are
gone, a queued email finds nobody to send to. Logs carry no personal data. The per-address
sign-up rate-limit items are keyed by the person id and expire within two hours; erasure removes
them too.

Erasure never moves an event's counters down: `counts` and `links_opened` stay, so reports to
funders stay true. A place the person still holds at an event that is open is cancelled first,
through `cancel_registration` (counted as a cancellation, and the waiting list is promoted), so
capacity accounting never changes silently; registrations at past or cancelled events are
deleted with their counts left as they were.

A person who unsubscribed or complained keeps a bare profile `{PK, SK, suppression}`: the keyed
hash of their address and why they are not mailed, nothing else and no expiry, so a later
sign-up with that address is not emailed against their wish (an unsubscribed person who signs up
again is emailed again, as after any unsubscribe). Anyone else's profile goes entirely.

Nothing here logs an address, a name or a person id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import Unavailable
from shared.domain.models import Event, RegistrationStatus, Suppression, normalise_address
from shared.mail.mailer import Mailer
from shared.stores.repository import Repository
from shared.workflows.exports import ExportStore
from shared.workflows.morning_send import BATCH_RETENTION
from shared.workflows.registrations import cancel_registration
from shared.workflows.suppression import suppress

logger = Logger(service="privacy")

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


# --- SES's account-level suppression list ------------------------------------------------------------

Listing = Literal["listed", "not_listed", "unknown"]
Removal = Literal["removed", "not_listed", "unsupported"]

# What an endpoint without these account calls answers (moto lacks them; in server mode an
# unknown route is an HTML 404): treated as "nothing to remove here", and said so.
_UNSUPPORTED_CODES = {"404", "NotImplemented", "InvalidAction", "UnknownOperationException"}


@dataclass(frozen=True)
class SesListing:
    state: Listing
    reason: str | None = None  # SES's reason: "BOUNCE" or "COMPLAINT"


class SesSuppressionList:
    """SES v2 `GetSuppressedDestination` / `DeleteSuppressedDestination`, through one adapter:
    NotFound means not listed; an endpoint that lacks the calls (the local stack's moto) means
    nothing to remove, reported as `unsupported`/`unknown`; any other failure is Unavailable,
    so the caller stops before changing anything else."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def _code(error: ClientError) -> str:
        return str(error.response.get("Error", {}).get("Code", ""))

    def _failed(self, error: Exception) -> Unavailable:
        code = self._code(error) if isinstance(error, ClientError) else type(error).__name__
        logger.warning("SES suppression list call failed", extra={"error_code": code})
        return Unavailable(
            f"SES's suppression list could not be asked or changed ({code}): nothing was changed. "
            "Please try again in a minute, or check AdminFunction's permissions."
        )

    def lookup(self, address: str) -> SesListing:
        try:
            answer = self.client.get_suppressed_destination(EmailAddress=address)
        except NotImplementedError:
            return SesListing("unknown")
        except ClientError as error:
            code = self._code(error)
            if code == "NotFoundException":
                return SesListing("not_listed")
            if code in _UNSUPPORTED_CODES:
                return SesListing("unknown")
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        reason = answer.get("SuppressedDestination", {}).get("Reason")
        return SesListing("listed", str(reason) if reason else None)

    def remove(self, address: str) -> Removal:
        try:
            self.client.delete_suppressed_destination(EmailAddress=address)
        except NotImplementedError:
            return "unsupported"
        except ClientError as error:
            code = self._code(error)
            if code == "NotFoundException":
                return "not_listed"
            if code in _UNSUPPORTED_CODES:
                return "unsupported"
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None
        return "removed"


# --- helpers --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """DynamoDB's values as JSON: numbers as int (or float), sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    return value


def _view(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item for a person to read: every attribute but the table's keys; the expiry
    (an epoch number for DynamoDB's TTL) as a date-time."""
    view = {k: _plain(v) for k, v in sorted(item.items()) if k not in KEY_ATTRIBUTES}
    if isinstance(view.get("expires_at"), int):
        view["expires_at"] = datetime.fromtimestamp(view["expires_at"], UTC).isoformat()
    return view


@dataclass(frozen=True)
class BatchHit:
    event_id: str
    batch_sk: str
    index: int


def _holds(recipient: Any, person_id: str, address: str) -> bool:
    return isinstance(recipient, dict) and (
        recipient.get("person_id") == person_id
        or normalise_address(str(recipient.get("email", ""))) == address
    )


def _batch_hits(
    repository: Repository, event_ids: set[str], person_id: str, address: str, *, notices: bool = False
) -> list[BatchHit]:
    """Where the person is among a batch's recipients: morning-send batches (address and name),
    or with `notices`, change-notice batches (the person id only)."""
    hits: list[BatchHit] = []
    for event_id in sorted(event_ids):
        for batch in repository.event_batches(event_id, notices=notices):
            recipients = batch.get("recipients") or []
            hits.extend(
                BatchHit(event_id, str(batch["SK"]), n)
                for n, recipient in enumerate(recipients)
                if _holds(recipient, person_id, address)
            )
    return hits


def _batch_events(repository: Repository, registered: set[str], now: datetime) -> set[str]:
    """Events whose batch items may still exist: the person's, and every event that ended less
    than the batches' retention ago (a batch can outlive a short registration retention)."""
    recent = repository.list_events(ending_after=now - BATCH_RETENTION)
    return registered | {event.id for event in recent}


# --- subject access --------------------------------------------------------------------------------


def subject_access(
    address: str,
    *,
    repository: Repository,
    store: ExportStore | None,
    ses: SesSuppressionList,
    person_id_for: Callable[[str], str],
    now: datetime,
) -> dict[str, Any]:
    """Everything held about this address, as stored."""
    address = normalise_address(address)
    person_id = person_id_for(address)
    profile = repository.raw_person(person_id)
    items = repository.raw_registrations_of(person_id)
    events = repository.get_events(str(item["event_id"]) for item in items)
    registrations = []
    for item in items:
        event = events.get(str(item["event_id"]))
        view = _view(item)
        view["title"] = event.title if event else None
        view["starts_at"] = event.local_start.isoformat() if event else None
        view["event_status"] = event.status.value if event else None
        registrations.append(view)
    batch_events = _batch_events(repository, set(events), now)
    hits = _batch_hits(repository, batch_events, person_id, address)
    notice_hits = _batch_hits(repository, batch_events, person_id, address, notices=True)
    exports = store.holding(address) if store else []
    listing = ses.lookup(address)
    return {
        "person_id": person_id,
        "person": _view(profile) if profile else None,
        "registrations": registrations,
        "morning_send": sorted({hit.event_id for hit in hits}),
        "change_notices": sorted({hit.event_id for hit in notice_hits}),
        "exports": [store.uri(key) for key in exports] if store else [],
        "ses_suppression_list": {"state": listing.state, "reason": listing.reason},
        "notes": NOTES,
    }


# --- erasure ---------------------------------------------------------------------------------------


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

    def answer(self) -> dict[str, Any]:
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

    def log_fields(self) -> dict[str, Any]:
        erased = self.answer()["erased"]
        return {"dry_run": self.dry_run, **erased, "cancelled": len(self.cancelled), "kept": bool(self.kept)}


def _remove_from_batches(
    repository: Repository,
    hits: list[BatchHit],
    person_id: str,
    address: str,
    event_ids: set[str],
    *,
    notices: bool = False,
) -> int:
    """Take the person out of every batch holding them. By index, from the end (earlier indices
    stay valid), each conditional on the entry still being theirs; a batch changed meanwhile is
    read again."""
    removed = 0
    for _attempt in range(5):
        failed = False
        for hit in sorted(hits, key=lambda h: (h.event_id, h.batch_sk, -h.index)):
            if repository.remove_batch_recipient(hit.event_id, hit.batch_sk, hit.index, person_id):
                removed += 1
            else:
                failed = True
        if not failed:
            return removed
        hits = _batch_hits(repository, event_ids, person_id, address, notices=notices)
        if not hits:
            return removed
    raise Unavailable("The morning send kept changing while we erased this person. Please try again.")


def forget(
    address: str,
    *,
    dry_run: bool,
    repository: Repository,
    mailer: Mailer,
    store: ExportStore | None,
    ses: SesSuppressionList,
    person_id_for: Callable[[str], str],
    now: datetime,
) -> Erasure:
    """Erase everything held about this address (or, with `dry_run`, say what would go).

    The SES list comes first and the profile last: a failure part-way raises Unavailable, and
    running it again finishes the job (every step is idempotent, and the profile that decides
    what is kept is still there)."""
    address = normalise_address(address)
    person_id = person_id_for(address)
    erasure = Erasure(dry_run=dry_run)

    profile = repository.raw_person(person_id)
    registrations = repository.registrations_of(person_id)
    events: dict[str, Event] = repository.get_events(r.event_id for r in registrations)
    to_cancel = [
        r.event_id
        for r in registrations
        if r.status is not RegistrationStatus.cancelled
        and r.event_id in events
        and events[r.event_id].is_open(now)
    ]
    batch_events = _batch_events(repository, {r.event_id for r in registrations}, now)
    hits = _batch_hits(repository, batch_events, person_id, address)
    notice_hits = _batch_hits(repository, batch_events, person_id, address, notices=True)
    exports: list[str] = store.holding(address) if store else []
    windows = repository.address_rate_limit_windows(person_id)

    current = profile.get("suppression") if profile else None
    kept = Suppression(current) if current in {s.value for s in Suppression} else None

    if dry_run:
        listing = ses.lookup(address)
        erasure.ses_state = {"listed": "would_be_removed", "not_listed": "not_listed"}.get(
            listing.state, "unknown"
        )
        erasure.ses_suppression_list = int(listing.state == "listed")
        if listing.reason == "COMPLAINT":
            kept = Suppression.complained
    else:
        # SES first: asking what SES holds also tells whether the person complained to SES. That
        # goes on the profile before SES forgets it, so a run that fails later and is run again
        # still keeps the hash.
        listing = ses.lookup(address)
        if listing.reason == "COMPLAINT":
            suppress(repository, person_id, Suppression.complained, now)
            kept = Suppression.complained
        erasure.ses_state = ses.remove(address)
        erasure.ses_suppression_list = int(erasure.ses_state == "removed")
        for event_id in to_cancel:
            cancel_registration(repository, mailer, event_id, person_id, now)
        _remove_from_batches(repository, hits, person_id, address, batch_events)
        _remove_from_batches(repository, notice_hits, person_id, address, batch_events, notices=True)
        if store is not None:
            for key in exports:
                store.delete(key)
        for registration in registrations:
            repository.delete_registration(registration.event_id, person_id)
        repository.delete_address_rate_limits(person_id, windows)

    erasure.kept = kept if kept in KEPT_AFTER_ERASURE else None
    if not dry_run:
        if erasure.kept is not None:
            repository.keep_only_suppression(person_id, erasure.kept)
        elif profile is not None:
            repository.delete_person(person_id)

    erasure.cancelled = to_cancel
    erasure.registrations = len(registrations)
    erasure.morning_send_recipients = len(hits)
    erasure.notice_recipients = len(notice_hits)
    erasure.exports = len(exports)
    erasure.export_keys = [store.uri(key) for key in exports] if store else []
    erasure.rate_limits = len(windows)
    # The profile counts as erased when anything personal goes: all of it, or all but the hash.
    erasure.profile = int(profile is not None and (erasure.kept is None or bool(set(profile) - _BARE)))
    return erasure


# --- lifting a suppression -------------------------------------------------------------------------


def unsuppress(
    address: str,
    *,
    repository: Repository,
    ses: SesSuppressionList,
    person_id_for: Callable[[str], str],
) -> dict[str, Any]:
    """Lift our suppression (bounced, complained or unsubscribed) and SES's own, so the address
    is emailed again. A bare profile (held only to suppress) is deleted: it would hold nothing."""
    address = normalise_address(address)
    person_id = person_id_for(address)
    ses_state = ses.remove(address)
    profile = repository.raw_person(person_id)
    previous = profile.get("suppression") if profile else None
    profile_change = "none"
    if profile is not None and previous is not None:
        if profile.get("email"):
            if repository.clear_suppression(person_id):
                profile_change = "cleared"
        else:
            repository.delete_person(person_id)
            profile_change = "deleted"
    return {
        "suppression_removed": previous if profile_change != "none" else None,
        "profile": profile_change,
        "ses_suppression_list": ses_state,
        "changed": profile_change != "none" or ses_state == "removed",
    }
