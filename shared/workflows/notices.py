"""Change and cancellation notices: when an event's time or Zoom details change, or it is
cancelled, each person concerned gets exactly one email about it.

Who is concerned (a notice's *audience*, decided when its batches are written):
- a change of start, end or duration: everyone with a place (status registered) at the time;
- a change of Zoom details: everyone with a place whose join link already went out for the
  event's current send moment (everyone else gets the new details in the morning email);
- a cancellation: everyone with a place and everyone on the waiting list.
Nobody without an address, and no suppressed address, is emailed.

How each person gets one email per change (the morning send's design, shared/dispatch.py):
- What registrants were last told is kept on the event (`told_*`: the time, and a fingerprint of
  the Zoom details). A notice is created only when the event differs from it, in one transaction
  that moves `told_*` on (or, for a cancellation, that cancels the event). So an admin repeating
  an update or a cancellation creates nothing, two admins racing create one notice, and an update
  that failed after changing the event but before creating its notice is completed by the next
  update: the difference is still there.
- A notice is an item (`NOTICE#<n>`, numbered per event). Its recipients (person ids only; the
  addresses stay on the registrations) are written into batch items of up to BATCH_SIZE under a
  short lock, and one SQS message per batch names it: no address is ever on the queue.
- SenderFunction leases a batch (one conditional write), re-reads its registrations, sends, and
  after SES accepted each message makes one conditional write on that registration
  (`notified_for = n`); anyone already at `n` or beyond is skipped. Duplicate deliveries, retries
  and a crashed sender's successor send nobody twice, except a message SES accepted just before
  a crash, before its write: that person may get one duplicate, never a missed email.
- A batch whose message was lost (queue refused it, dead-letter queue) is queued again by the
  next admin action on that event, as Dispatch does for morning batches.
- A notice shows the event as it is when sent: a later change is shown, and a notice made
  pointless (a change undone, an event cancelled since) is dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from shared import services
from shared.domain.errors import EventClosed, NotFound, Unavailable
from shared.domain.models import Event, EventStatus, Person, Registration, RegistrationStatus
from shared.domain.schedule import Schedule, links_due
from shared.mail.mailer import ConfirmationLine, Mailer, SendFailed
from shared.mail.render import RenderedEmail, as_preview
from shared.stores.repository import Repository, iso, parse_iso
from shared.workflows.morning_send import (
    BATCH_RETENTION,
    REQUEUE_AFTER,
    BatchResult,
    LinkSender,
)

if TYPE_CHECKING:
    from shared.workflows.admin_events import UpdateEvent

logger = Logger(service="notices")

JOB_KIND = "notice"
BATCH_SIZE = 100
PLANNING_LOCK = timedelta(minutes=2)
MAX_ATTEMPTS = 5
NoticeKind = Literal["change", "cancellation"]
PreviewKind = Literal["confirmation", "join", "change", "cancellation"]
# Previews go to the admin with links made for nobody: the join link answers 404, the manage
# page lists no places.
SAMPLE_PERSON_ID = "sample-person-for-previews"
SAMPLE_NAME = "Sample Person"
SAMPLE_MOVE = timedelta(hours=1)


def zoom_fingerprint(event: Event) -> str:
    """A short digest of the Zoom details, to notice a change without keeping a second copy."""
    details = (event.zoom_join_url, event.zoom_meeting_id, event.zoom_passcode, event.zoom_dial_in)
    return hashlib.sha256("\x1f".join(d.strip() for d in details).encode()).hexdigest()[:24]


def _told_now(event: Event) -> tuple[datetime, datetime, str]:
    return event.starts_at, event.ends_at, zoom_fingerprint(event)


def _links_out(registration: Registration, event: Event, schedule: Schedule) -> bool:
    """Did this person's join link (with the Zoom details) go out for the event's send moment?"""
    return registration.link_sent_for is not None and registration.link_sent_for == schedule.send_moment(
        event
    )


def _leased(batch: dict[str, Any], now: datetime) -> bool:
    until = parse_iso(batch.get("lease_until"))
    return until is not None and until > now


@dataclass(frozen=True)
class Notice:
    event_id: str
    number: int
    kind: NoticeKind
    created_at: datetime
    time_changed: bool = False
    zoom_changed: bool = False
    old_starts_at: datetime | None = None
    old_ends_at: datetime | None = None
    message: str = ""
    planned: bool = False

    def item(self, event: Event) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "created_at": iso(self.created_at),
            "time_changed": self.time_changed,
            "zoom_changed": self.zoom_changed,
            "old_starts_at": iso(self.old_starts_at),
            "old_ends_at": iso(self.old_ends_at),
            "message": self.message or None,
            "planned": False,
            "expires_at": int((event.ends_at + BATCH_RETENTION).timestamp()),
        }

    @classmethod
    def from_item(cls, event_id: str, values: dict[str, Any]) -> Notice:
        created_at = parse_iso(values.get("created_at"))
        assert created_at is not None
        return cls(
            event_id=event_id,
            number=int(values["number"]),
            kind="cancellation" if values.get("kind") == "cancellation" else "change",
            created_at=created_at,
            time_changed=bool(values.get("time_changed")),
            zoom_changed=bool(values.get("zoom_changed")),
            old_starts_at=parse_iso(values.get("old_starts_at")),
            old_ends_at=parse_iso(values.get("old_ends_at")),
            message=str(values.get("message") or ""),
            planned=bool(values.get("planned")),
        )

    def concerns(self, registration: Registration, event: Event, schedule: Schedule) -> bool:
        """Is this registration in the notice's audience? (Asked when its batches are written.)"""
        if self.kind == "cancellation":
            return registration.status in (RegistrationStatus.registered, RegistrationStatus.waitlisted)
        if registration.status is not RegistrationStatus.registered:
            return False
        if registration.registered_at > self.created_at:
            return False  # signed up (or promoted) after the change: their email had it already
        return self.time_changed or _links_out(registration, event, schedule)

    def still_news(self, event: Event, now: datetime) -> bool:
        """A change of an event since cancelled or ended is no longer worth an email."""
        if self.kind == "cancellation":
            return event.status is EventStatus.cancelled
        return event.status is EventStatus.scheduled and not event.has_ended(now)


class Notices:
    """The admin's side: deciding that people must be told, and queuing the telling."""

    def __init__(self, repository: Repository, mailer: Mailer, schedule: Schedule) -> None:
        self.repository = repository
        self.mailer = mailer
        self.schedule = schedule

    # --- update_event ------------------------------------------------------------------------

    def update_event(self, request: UpdateEvent, now: datetime) -> tuple[Event, int]:
        """Apply an admin's update; with `notify`, queue the change notice it calls for.
        Returns the event and how many people were queued an email."""
        from shared.workflows import admin_events  # the sender never needs it

        found = self.repository.event_with_notice_state(request.event_id)
        if found is not None and found[1]["told_starts_at"] is None:
            # First change of this event: record what people know before it changes, so that the
            # difference survives a failure between the update and its notice.
            before = found[0]
            self.repository.record_told_baseline(
                before.id, before.starts_at, before.ends_at, zoom_fingerprint(before)
            )
        event, _time_changed = admin_events.update_event(self.repository, request, now)
        if not request.notify:
            self._accept_silently(event.id)
            return event, 0
        return event, self.notify_changes(event.id, now)

    def _accept_silently(self, event_id: str) -> None:
        """`notify: false`: people may take the event as it now stands without an email."""
        for _attempt in range(MAX_ATTEMPTS):
            found = self.repository.event_with_notice_state(event_id)
            if found is None:
                return
            event, state = found
            told = _told_now(event)
            if (state["told_starts_at"], state["told_ends_at"], state["told_zoom"]) == told:
                return
            if self.repository.record_told(event_id, told, state):
                return
        raise Unavailable("The event kept changing while we updated it. Please try again.")

    def notify_changes(self, event_id: str, now: datetime) -> int:
        """Create the change notice the event calls for, if any, and queue it (and anything an
        earlier attempt left unfinished). Returns how many people were queued an email."""
        notice: Notice | None = None
        for _attempt in range(MAX_ATTEMPTS):
            found = self.repository.event_with_notice_state(event_id)
            if found is None:
                return 0
            event, state = found
            if event.status is not EventStatus.scheduled or event.has_ended(now):
                break  # a cancellation tells people itself; an ended event needs no news
            told = _told_now(event)
            old = (state["told_starts_at"], state["told_ends_at"])
            time_pending = old[0] is not None and old != (event.starts_at, event.ends_at)
            zoom_pending = state["told_zoom"] is not None and state["told_zoom"] != told[2]
            if old[0] is None or not (time_pending or zoom_pending):
                if old[0] is None and not self.repository.record_told(event_id, told, state):
                    continue
                break
            zoom_news = zoom_pending and any(
                r.status is RegistrationStatus.registered and _links_out(r, event, self.schedule)
                for r in self.repository.list_registrations(event_id)
            )
            if not time_pending and not zoom_news:
                # New Zoom details before the links went out: the morning email carries them.
                if self.repository.record_told(event_id, told, state):
                    break
                continue
            candidate = Notice(
                event_id=event_id,
                number=state["notices"] + 1,
                kind="change",
                created_at=now,
                time_changed=time_pending,
                zoom_changed=zoom_news,
                old_starts_at=old[0],
                old_ends_at=old[1],
            )
            if self.repository.create_change_notice(
                event_id, candidate.number, candidate.item(event), told, state
            ):
                notice = candidate
                logger.info(
                    "change notice created",
                    extra={
                        "event_id": event_id,
                        "notice": notice.number,
                        "time_changed": notice.time_changed,
                        "zoom_changed": notice.zoom_changed,
                    },
                )
                break
        else:
            raise Unavailable("The event kept changing while we worked out who to tell. Please try again.")
        queued = self.plan(notice, now) if notice is not None else 0
        return queued + self.resume(event_id, now, skip=notice.number if notice is not None else None)

    # --- cancel_event ------------------------------------------------------------------------

    def cancel_event(self, event_id: str, message: str, *, dry_run: bool, now: datetime) -> tuple[Event, int]:
        """Cancel the event and queue one email to everyone with a place or on its waiting list.
        `dry_run`: change nothing, and say how many would be emailed. Cancelling again sends
        nothing new (it finishes what an interrupted first attempt left)."""
        for _attempt in range(MAX_ATTEMPTS):
            found = self.repository.event_with_notice_state(event_id)
            if found is None:
                raise NotFound(f"There is no event with id {event_id!r}.")
            event, state = found
            if event.status is EventStatus.cancelled:
                return event, 0 if dry_run else self.resume(event_id, now)
            if event.has_ended(now):
                raise EventClosed("That event has already ended, so it cannot be cancelled.")
            notice = Notice(
                event_id=event_id,
                number=state["notices"] + 1,
                kind="cancellation",
                created_at=now,
                message=message.strip(),
            )
            if dry_run:
                marked = self.repository.registrations_with_notice_marks(event_id)
                return event, len(self._audience(notice, event, marked, planned=set()))
            if self.repository.cancel_event_with_notice(event_id, notice.number, notice.item(event), now):
                break
        else:
            raise Unavailable("The event kept changing while we cancelled it. Please try again.")
        logger.info("event cancelled", extra={"event_id": event_id, "notice": notice.number})
        queued = self.plan(notice, now)
        return self.repository.get_event_consistent(event_id) or event, queued

    # --- batches -------------------------------------------------------------------------------

    def _audience(
        self, notice: Notice, event: Event, marked: Iterable[tuple[Registration, int]], planned: set[str]
    ) -> list[Registration]:
        due = [
            registration
            for registration, mark in marked
            if mark < notice.number
            and registration.email
            and registration.person_id not in planned
            and notice.concerns(registration, event, self.schedule)
        ]
        if not due:
            return []
        people = self.repository.people(r.person_id for r in due)
        return [r for r in due if (p := people.get(r.person_id)) is None or p.suppression is None]

    def plan(self, notice: Notice, now: datetime) -> int:
        """Write the batches of everyone the notice concerns who is in none yet, then queue every
        batch not known to be queued. Returns how many people were newly put in a batch."""
        event = self.repository.get_event_consistent(notice.event_id)
        if event is None:
            return 0
        if not self.repository.lock_notice(event.id, notice.number, now, now + PLANNING_LOCK):
            return 0  # another caller is planning this notice right now, and covers everyone
        planned = False
        try:
            batches = self.repository.notice_batches(event.id, notice.number)
            in_batches = {r["person_id"] for b in batches for r in b.get("recipients", [])}
            marked = self.repository.registrations_with_notice_marks(event.id)
            due = self._audience(notice, event, marked, in_batches)
            prefix = self.repository.notice_batch_prefix(notice.number)
            fresh = [
                {
                    "SK": f"{prefix}{len(batches) + n:05d}",
                    "notice": notice.number,
                    "queued_at": iso(now),
                    "recipients": [{"person_id": r.person_id} for r in due[offset : offset + BATCH_SIZE]],
                }
                for n, offset in enumerate(range(0, len(due), BATCH_SIZE))
            ]
            if fresh:
                self.repository.put_batches(event.id, fresh, event.ends_at + BATCH_RETENTION)
            # Batches that an interrupted planning wrote may never have reached the queue.
            earlier = [b for b in batches if b.get("status") != "done" and not _leased(b, now)]
            self._enqueue(event.id, earlier + fresh)
            planned = True
        finally:
            self.repository.unlock_notice(event.id, notice.number, planned=planned)
        logger.info(
            "notice queued", extra={"event_id": event.id, "notice": notice.number, "queued": len(due)}
        )
        return len(due)

    def resume(self, event_id: str, now: datetime, skip: int | None = None) -> int:
        """Finish what earlier attempts left: plan notices whose planning never completed, and queue
        again batches whose message was lost (unfinished, not held, queued long ago)."""
        notices = [Notice.from_item(event_id, item) for item in self.repository.list_notices(event_id)]
        queued = sum(self.plan(n, now) for n in notices if not n.planned and n.number != skip)
        settled = {n.number for n in notices if n.planned and n.number != skip}
        if not settled:
            return queued
        lost = [
            b
            for b in self.repository.notice_batches(event_id)
            if int(b.get("notice", 0)) in settled
            and b.get("status") != "done"
            and not _leased(b, now)
            and (parse_iso(b.get("queued_at")) or now) <= now - REQUEUE_AFTER
            and self.repository.requeue_batch(event_id, b["SK"], b.get("queued_at"), now)
        ]
        self._enqueue(event_id, lost)
        return queued

    def _enqueue(self, event_id: str, batches: list[dict[str, Any]]) -> None:
        entries = [
            {
                "Id": str(n),
                "MessageBody": json.dumps(
                    {"kind": JOB_KIND, "event_id": event_id, "notice": int(b["notice"]), "batch": b["SK"]}
                ),
            }
            for n, b in enumerate(batches)
        ]
        for start in range(0, len(entries), 10):
            try:
                answer = self.mailer.sqs.send_message_batch(
                    QueueUrl=self.mailer.settings.outbound_queue_url, Entries=entries[start : start + 10]
                )
            except (ClientError, BotoCoreError) as error:
                raise Unavailable() from error
            if answer.get("Failed"):
                # The batches stay unfinished: repeating the action queues them again.
                raise Unavailable("The queue refused some emails. Please run the action again.")

    # --- preview_email -------------------------------------------------------------------------

    def preview(self, kind: PreviewKind, event_id: str, to: str, message: str, now: datetime) -> str:
        """One sample of `kind` for this event, to `to` only, subject "[Preview] ...", personal
        links made for a person who does not exist. Returns SES's message id."""
        event = self.repository.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        sample = Person(person_id=SAMPLE_PERSON_ID, email=to, name=SAMPLE_NAME)
        late = links_due(event, self.schedule, now)
        rendered: RenderedEmail
        if kind == "confirmation":
            rendered = self.mailer.confirmation(sample, [ConfirmationLine(event, "registered", late)], now)
        elif kind == "join":
            rendered = self.mailer.join_link(sample, event, now)
        elif kind == "change":
            old_start, old_end = self._sample_old_time(event)
            rendered = self.mailer.change_notice(
                sample,
                event,
                old_starts_at=old_start,
                old_ends_at=old_end,
                time_changed=True,
                zoom_changed=False,
                include_join=late,
                now=now,
            )
        else:
            cancelled = event
            if event.status is not EventStatus.cancelled:
                cancelled = event.model_copy(
                    update={"status": EventStatus.cancelled, "sequence": event.sequence + 1}
                )
            rendered = self.mailer.cancellation_notice(
                sample, cancelled, waitlisted=False, message=message, now=now
            )
        try:
            return self.mailer.send(as_preview(rendered))
        except SendFailed as failure:
            logger.warning("preview not sent", extra={"ses_code": failure.code, "kind": kind})
            raise Unavailable(
                "The preview could not be sent just now. Please try again in a minute."
            ) from None

    def _sample_old_time(self, event: Event) -> tuple[datetime, datetime]:
        """The old time of the event's latest change of time, or (never moved) an hour earlier."""
        for item in reversed(self.repository.list_notices(event.id)):
            notice = Notice.from_item(event.id, item)
            if notice.time_changed and notice.old_starts_at and notice.old_ends_at:
                return notice.old_starts_at, notice.old_ends_at
        return event.starts_at - SAMPLE_MOVE, event.ends_at - SAMPLE_MOVE


class NoticeSender(LinkSender):
    """SenderFunction's side: one notice batch at a time, with the morning send's machinery
    (the lease, pacing at this instance's share of SES's rate, throttling retries, stopping
    cleanly when SES pauses, and giving the batch back before the invocation times out)."""

    def send_batch(
        self, job: dict[str, Any], now: datetime, remaining_seconds: Callable[[], float] | None = None
    ) -> BatchResult:
        event_id, batch_key, number = str(job["event_id"]), str(job["batch"]), int(job["notice"])
        return self.run_leased(
            event_id,
            batch_key,
            now,
            remaining_seconds,
            lambda batch, result: self._send_notices(batch, event_id, number, now, result),
        )

    def _send_notices(
        self, batch: dict[str, Any], event_id: str, number: int, now: datetime, result: BatchResult
    ) -> None:
        person_ids = [str(r["person_id"]) for r in batch.get("recipients", [])]
        found = self.repository.get_notice(event_id, number)
        event = self.repository.get_event_consistent(event_id)
        if found is None or event is None:
            result.skipped = len(person_ids)
            return
        notice = Notice.from_item(event_id, found)
        if not notice.still_news(event, now):
            result.skipped = len(person_ids)
            return
        # Read every time, not only after a takeover: whoever was sent this notice (or a later
        # one), cancelled, or was erased since the batch was written is skipped.
        targets = self.repository.notice_targets(event_id, person_ids)
        for person_id in person_ids:
            self._check_time()
            email = self._email_for(notice, event, targets.get(person_id), now)
            if email is None:
                result.skipped += 1
                continue
            try:
                self._send_one(email)
            except SendFailed as failure:
                if failure.code == "MessageRejected":
                    result.rejected += 1
                    self.repository.mark_notice_failed(event_id, person_id, number)
                    continue
                raise
            result.sent += 1
            result.sent_ids.append(person_id)
            self.repository.mark_notified(event_id, person_id, number, now)

    def _email_for(
        self,
        notice: Notice,
        event: Event,
        target: tuple[Registration, int, Person | None] | None,
        now: datetime,
    ) -> RenderedEmail | None:
        if target is None:
            return None
        registration, mark, profile = target
        if mark >= notice.number or not registration.email:
            return None
        if profile is not None and profile.suppression is not None:
            return None
        person = Person(person_id=registration.person_id, email=registration.email, name=registration.name)
        if notice.kind == "cancellation":
            if registration.status is RegistrationStatus.cancelled:
                return None
            return self.mailer.cancellation_notice(
                person,
                event,
                waitlisted=registration.status is RegistrationStatus.waitlisted,
                message=notice.message,
                now=now,
            )
        if registration.status is not RegistrationStatus.registered:
            return None
        include_join = _links_out(registration, event, self.schedule)
        time_changed = notice.time_changed and (event.starts_at, event.ends_at) != (
            notice.old_starts_at,
            notice.old_ends_at,
        )
        zoom_changed = notice.zoom_changed and include_join
        if not time_changed and not zoom_changed:
            return None  # changed back since, or their link is no longer the one that went out
        return self.mailer.change_notice(
            person,
            event,
            old_starts_at=notice.old_starts_at,
            old_ends_at=notice.old_ends_at,
            time_changed=time_changed,
            zoom_changed=zoom_changed,
            include_join=include_join,
            now=now,
        )


def service() -> Notices:
    return Notices(services.repository(), services.mailer(), services.schedule())


def sender() -> NoticeSender:
    """Shares the morning sender's pacer: both kinds of batch together stay within SES's rate."""
    links = services.link_sender()
    return NoticeSender(
        links.repository, links.mailer, links.schedule, links.pacer, lease=links.lease, sleep=links.sleep
    )
