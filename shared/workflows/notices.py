"""Change and cancellation notices: when an event's time or Zoom details change, or it is
cancelled, each person concerned gets exactly one email about it.

Who is concerned (a notice's *audience*, decided when its batches are written):
- a change of start, end or duration: everyone with a place (status registered) at the time;
- a change of Zoom details: everyone with a place whose join link already went out for the
  event's current send moment (everyone else gets the new details in the morning email);
- a cancellation: everyone with a place and everyone on the waiting list.
Nobody without an address, and no suppressed address, is emailed.

How each person gets one email per change:
- What registrants were last told is kept on the event (the time, and a fingerprint of the Zoom
  details). A notice is created only when the event differs from it, in one transaction that
  moves that bookkeeping on (or, for a cancellation, that cancels the event). So an admin
  repeating an update or a cancellation creates nothing, two admins racing create one notice,
  and an update that failed after changing the event but before creating its notice is
  completed by the next update: the difference is still there.
- A notice's recipients are written into batches of person ids under a short lock and queued,
  one message per batch; SenderFunction sends them (shared/workflows/notice_sending.py) with the
  morning send's batch runner, marking each person `notified_for = n`.
- A batch whose message was lost is queued again by the next admin action on that event.
- A notice shows the event as it is when sent: a later change is shown, and a notice made
  pointless (a change undone, an event cancelled since) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from shared.domain import bulk
from shared.domain.bulk import BATCH_RETENTION, Batch, NoticeSend
from shared.domain.errors import EventClosed, NotFound, Unavailable
from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.notices import Notice, NoticeState, Told, links_out
from shared.domain.people import Registration
from shared.domain.schedule import Schedule
from shared.mail.jobs import NoticeJob
from shared.mail.outbox import Outbox
from shared.observability import logger_for
from shared.stores.batches import BatchStore, notice_number
from shared.stores.notices import NoticeStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore

if TYPE_CHECKING:
    from shared.workflows.admin_events import EventAdmin, UpdateEvent

logger = logger_for("notices")

PLANNING_LOCK = timedelta(minutes=2)
MAX_ATTEMPTS = 5


class Notices:
    """The admin's side: deciding that people must be told, and queuing the telling."""

    def __init__(
        self,
        notices: NoticeStore,
        registrations: RegistrationStore,
        people: PersonStore,
        batches: BatchStore,
        outbox: Outbox,
        schedule: Schedule,
    ) -> None:
        self.notices = notices
        self.registrations = registrations
        self.people = people
        self.batches = batches
        self.outbox = outbox
        self.schedule = schedule

    # --- update_event ------------------------------------------------------------------------

    def update_event(self, admin: EventAdmin, request: UpdateEvent, now: datetime) -> tuple[Event, int]:
        """Apply an admin's update; with `notify`, queue the change notice it calls for.
        Returns the event and how many people were queued an email."""
        found = self.notices.state(request.event_id)
        if found is not None and found[1].told is None:
            # First change of this event: record what people know before it changes, so that the
            # difference survives a failure between the update and its notice.
            self.notices.record_baseline(found[0])
        event = admin.update_event(request, now)
        if not request.notify:
            self._accept_silently(event.id)
            return event, 0
        return event, self.notify_changes(event.id, now)

    def _accept_silently(self, event_id: str) -> None:
        """`notify: false`: people may take the event as it now stands without an email."""
        for _attempt in range(MAX_ATTEMPTS):
            found = self.notices.state(event_id)
            if found is None:
                return
            event, state = found
            if state.told == Told.now(event) or self.notices.record_told(event_id, Told.now(event), state):
                return
        raise Unavailable("The event kept changing while we updated it. Please try again.")

    def notify_changes(self, event_id: str, now: datetime) -> int:
        """Create the change notice the event calls for, if any, and queue it (and anything an
        earlier attempt left unfinished). Returns how many people were queued an email."""
        notice: Notice | None = None
        for _attempt in range(MAX_ATTEMPTS):
            found = self.notices.state(event_id)
            if found is None:
                return 0
            event, state = found
            if event.status is not EventStatus.scheduled or event.has_ended(now):
                break  # a cancellation tells people itself; an ended event needs no news
            candidate = self._change_called_for(event, state, now)
            if candidate == "none":
                break
            if candidate == "retry":
                continue  # the bookkeeping moved while we recorded a silent change: read again
            if self.notices.create_change(candidate, event, Told.now(event), state):
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

    def _change_called_for(
        self, event: Event, state: NoticeState, now: datetime
    ) -> Notice | Literal["none", "retry"]:
        """The change notice the event calls for; "none" when it calls for none; "retry" when a
        change that needs no email could not be recorded because the bookkeeping moved."""
        told, was = Told.now(event), state.told
        if was is None:
            return "none" if self.notices.record_told(event.id, told, state) else "retry"
        time_pending = (was.starts_at, was.ends_at) != (event.starts_at, event.ends_at)
        zoom_pending = was.zoom != told.zoom
        if not (time_pending or zoom_pending):
            return "none"
        zoom_news = zoom_pending and any(
            r.status is RegistrationStatus.registered and links_out(r, event, self.schedule)
            for r in self.registrations.of_event(event.id)
        )
        if not time_pending and not zoom_news:
            # New Zoom details before the links went out: the morning email carries them.
            return "none" if self.notices.record_told(event.id, told, state) else "retry"
        return Notice(
            event_id=event.id,
            number=state.notices + 1,
            kind="change",
            created_at=now,
            time_changed=time_pending,
            zoom_changed=zoom_news,
            old_starts_at=was.starts_at,
            old_ends_at=was.ends_at,
        )

    # --- cancel_event ------------------------------------------------------------------------

    def cancel_event(self, event_id: str, message: str, *, dry_run: bool, now: datetime) -> tuple[Event, int]:
        """Cancel the event and queue one email to everyone with a place or on its waiting list.
        `dry_run`: change nothing, and say how many would be emailed. Cancelling again sends
        nothing new (it finishes what an interrupted first attempt left)."""
        for _attempt in range(MAX_ATTEMPTS):
            found = self.notices.state(event_id)
            if found is None:
                raise NotFound(f"There is no event with id {event_id!r}.")
            event, state = found
            if event.status is EventStatus.cancelled:
                return event, 0 if dry_run else self.resume(event_id, now)
            if event.has_ended(now):
                raise EventClosed("That event has already ended, so it cannot be cancelled.")
            notice = Notice(
                event_id=event_id,
                number=state.notices + 1,
                kind="cancellation",
                created_at=now,
                message=message.strip(),
            )
            if dry_run:
                return event, len(self._audience(notice, event, self.registrations.of_event(event_id), set()))
            if self.notices.cancel_event(notice, event, now):
                break
        else:
            raise Unavailable("The event kept changing while we cancelled it. Please try again.")
        logger.info("event cancelled", extra={"event_id": event_id, "notice": notice.number})
        queued = self.plan(notice, now)
        found = self.notices.state(event_id)
        return (found[0] if found else event), queued

    # --- batches -------------------------------------------------------------------------------

    def _audience(
        self, notice: Notice, event: Event, registrations: Iterable[Registration], planned: set[str]
    ) -> list[str]:
        due = [
            r
            for r in registrations
            if r.notice_mark < notice.number
            and r.person_id not in planned
            and notice.concerns(r, event, self.schedule)
        ]
        if not due:
            return []
        people = self.people.get_many(r.person_id for r in due)
        return [
            r.person_id
            for r in due
            if (p := people.get(r.person_id)) is not None and p.email and p.suppression is None
        ]

    def plan(self, notice: Notice, now: datetime) -> int:
        """Write the batches of everyone the notice concerns who is in none yet, then queue every
        batch not known to be queued. Returns how many people were newly put in a batch."""
        found = self.notices.state(notice.event_id)
        if found is None:
            return 0
        event, send = found[0], NoticeSend(notice.number)
        if not self.batches.lock(event.id, send, now, now + PLANNING_LOCK, event.ends_at + BATCH_RETENTION):
            return 0  # another caller is planning this notice right now, and covers everyone
        try:
            batches = self.batches.of_send(event.id, send, consistent=True)
            in_batches = {person for b in batches for person in b.recipients}
            due = self._audience(notice, event, self.registrations.of_event(event.id), in_batches)
            fresh = self.batches.add(
                event.id,
                send,
                bulk.in_batches(due),
                existing=len(batches),
                now=now,
                expires_at=event.ends_at + BATCH_RETENTION,
            )
            # Batches that an interrupted planning wrote may never have reached the queue.
            earlier = [b for b in batches if not b.done and not b.leased(now)]
            self._enqueue(notice.number, earlier + fresh)
            self.notices.mark_planned(event.id, notice.number)
        finally:
            self.batches.unlock(event.id, send)
        logger.info(
            "notice queued", extra={"event_id": event.id, "notice": notice.number, "queued": len(due)}
        )
        return len(due)

    def resume(self, event_id: str, now: datetime, skip: int | None = None) -> int:
        """Finish what earlier attempts left: plan notices whose planning never completed, and queue
        again batches whose message was lost (unfinished, not held, queued long ago)."""
        notices = self.notices.of_event(event_id)
        queued = sum(self.plan(n, now) for n in notices if not n.planned and n.number != skip)
        settled = {n.number for n in notices if n.planned and n.number != skip}
        if not settled:
            return queued
        for batch in self.batches.of_event(event_id, "notice"):
            number = notice_number(batch)
            if number in settled and batch.lost(now) and self.batches.requeue(batch, now):
                self._enqueue(number, [batch])
        return queued

    def _enqueue(self, number: int, batches: list[Batch]) -> None:
        jobs = [NoticeJob(event_id=b.event_id, notice=number, batch=b.key) for b in batches]
        # The batches stay unfinished: repeating the action queues them again.
        self.outbox.put_many(jobs, refused="The queue refused some emails. Please run the action again.")
