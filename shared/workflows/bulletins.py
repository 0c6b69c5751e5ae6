"""Admins' messages to an event's registrants (`message_registrants`) and its follow-up
(`send_follow_up`): deciding who gets one, and queuing them as batches for the batch runner.

They go out exactly as the morning's join links and change notices do: the people due are
written into batches of person ids under a short lock (shared/domain/bulk.py), one queue message
names each batch, and SenderFunction sends them through the one batch runner, paced to SES
(shared/workflows/bulletin_sending.py), one conditional write per person after SES took their
email. So pressing Test twice, two admins at once, retries and crashes send nobody a message
twice (except, as for the join links, one SES accepted just before a crash, before its write).

Who is due: the audience (shared/domain/bulletins.py `in_audience`), with an address, not
suppressed, not opted out of messages, who has not had this send and is in none of its batches
still on their way. A message repeated (same subject and words) reaches only the people who have
not had it; when that is nobody it is refused (`duplicate_message`) unless `allow_repeat`, which
makes a new round for everyone in the audience. The follow-up is one send per event: a repeat
queues nothing. A batch whose queue message was lost (unfinished, not held, queued over ten
minutes ago) is queued again by the next run of the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain import bulk
from shared.domain.attendance import has_ended
from shared.domain.bulk import BATCH_RETENTION, Batch, MessageSend
from shared.domain.bulletins import (
    AFTER_THE_END,
    FOLLOW_UP_KEY,
    Audience,
    Bulletin,
    had,
    in_audience,
    may_message,
    message_key,
    round_key,
)
from shared.domain.errors import DuplicateMessage, EventClosed, EventNotEnded, NotFound, Unavailable
from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.people import Registration
from shared.mail.jobs import MessageJob
from shared.mail.outbox import Outbox
from shared.observability import logger_for
from shared.stores.batches import BatchStore
from shared.stores.bulletins import BulletinStore
from shared.stores.events import EventStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore

logger = logger_for("messages")

PLANNING_LOCK = timedelta(minutes=2)


@dataclass(frozen=True)
class Outcome:
    """`audience_count`: people in the audience; `queued`: put on their way now (or, in a dry
    run, who would be); `unreachable`: in the audience but not emailable (no address,
    suppressed, opted out of messages)."""

    audience_count: int
    queued: int
    unreachable: int
    attended: int = 0
    not_attended: int = 0
    already_sent: bool = False


@dataclass(frozen=True)
class Due:
    new: list[str]  # person ids due and in no batch yet
    lost: list[Batch]  # batches whose queue message was lost
    in_lost: int  # people due in those


class Bulletins:
    def __init__(
        self,
        events: EventStore,
        bulletins: BulletinStore,
        registrations: RegistrationStore,
        people: PersonStore,
        batches: BatchStore,
        outbox: Outbox,
    ) -> None:
        self.events = events
        self.bulletins = bulletins
        self.registrations = registrations
        self.people = people
        self.batches = batches
        self.outbox = outbox

    def _event(self, event_id: str) -> Event:
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        return event

    def _reachable(self, members: list[Registration]) -> list[Registration]:
        people = self.people.get_many(r.person_id for r in members)
        return [r for r in members if may_message(people.get(r.person_id))]

    # --- message_registrants -----------------------------------------------------------------------

    def message(
        self,
        event_id: str,
        subject: str,
        message: str,
        audience: Audience,
        *,
        dry_run: bool,
        allow_repeat: bool,
        now: datetime,
    ) -> Outcome:
        event = self._event(event_id)
        if audience in AFTER_THE_END and not has_ended(event, now):
            raise EventNotEnded(
                f"That event has not ended yet, so the audience {audience!r} is not known: "
                "who attended is settled only at the end. Try again after it ends."
            )
        base = message_key(subject, message)
        existing = self.bulletins.get(event_id, base)
        repeat_round = allow_repeat and existing is not None
        members = [r for r in self.registrations.of_event(event_id) if in_audience(r, audience)]
        reachable = self._reachable(members)
        if repeat_round:
            due = Due([r.person_id for r in reachable], [], 0)  # a new round: everyone again
        else:
            due = self._due(event_id, base, reachable, now)
            sent_before = existing is not None or any(had(r, base) for r in reachable)
            if sent_before and not (due.new or due.in_lost):
                raise DuplicateMessage(
                    f"Everyone in the audience {audience!r} has had this message already, or has it "
                    'on its way. To send it to them all again, add "allow_repeat": true.'
                )
        outcome = Outcome(len(members), len(due.new) + due.in_lost, len(members) - len(reachable))
        if dry_run or not (due.new or due.lost):
            return outcome
        key = base
        if repeat_round:
            key = round_key(base, self.bulletins.next_round(event_id, base))
        if existing is None or repeat_round:
            self.bulletins.create(
                Bulletin(event_id, key, "message", now, subject=subject, message=message),
                event.ends_at + BATCH_RETENTION,
            )
        queued = self._plan(event, key, reachable, now)
        logger.info("message queued", extra={"event_id": event_id, "audience": audience, "queued": queued})
        return Outcome(outcome.audience_count, queued, outcome.unreachable)

    # --- send_follow_up ------------------------------------------------------------------------------

    def follow_up(
        self,
        event_id: str,
        *,
        recording_url: str,
        feedback_url: str,
        message: str,
        dry_run: bool,
        now: datetime,
    ) -> Outcome:
        event = self._event(event_id)
        if not has_ended(event, now):
            raise EventNotEnded("That event has not ended yet: a follow-up goes only after the end.")
        if event.status is EventStatus.cancelled:
            raise EventClosed("That event was cancelled, so there is nothing to follow up.")
        existing = self.bulletins.get(event_id, FOLLOW_UP_KEY)
        members = [
            r for r in self.registrations.of_event(event_id) if r.status is RegistrationStatus.registered
        ]
        attended = sum(1 for r in members if r.joined_at is not None)
        reachable = self._reachable(members)
        due = self._due(event_id, FOLLOW_UP_KEY, reachable, now)
        outcome = Outcome(
            audience_count=len(members),
            queued=len(due.new) + due.in_lost,
            unreachable=len(members) - len(reachable),
            attended=attended,
            not_attended=len(members) - attended,
            already_sent=existing is not None,
        )
        if dry_run or not (due.new or due.lost):
            return outcome
        if existing is None:
            follow_up = Bulletin(
                event_id,
                FOLLOW_UP_KEY,
                "follow_up",
                now,
                message=message,
                recording_url=recording_url,
                feedback_url=feedback_url,
            )
            self.bulletins.create(follow_up, event.ends_at + BATCH_RETENTION)  # a racing admin's stays
        queued = self._plan(event, FOLLOW_UP_KEY, reachable, now)
        logger.info("follow-up queued", extra={"event_id": event_id, "queued": queued})
        return Outcome(
            outcome.audience_count,
            queued,
            outcome.unreachable,
            outcome.attended,
            outcome.not_attended,
            outcome.already_sent,
        )

    # --- batches ---------------------------------------------------------------------------------------

    def _due(
        self,
        event_id: str,
        key: str,
        reachable: list[Registration],
        now: datetime,
        *,
        consistent: bool = False,
    ) -> Due:
        batches = self.batches.of_send(event_id, MessageSend(key), consistent=consistent)
        lost = [b for b in batches if b.lost(now)]
        in_batches = {person for b in batches for person in b.recipients}
        in_lost = {person for b in lost for person in b.recipients}
        waiting = [r for r in reachable if not had(r, key)]
        return Due(
            new=[r.person_id for r in waiting if r.person_id not in in_batches],
            lost=lost,
            in_lost=sum(1 for r in waiting if r.person_id in in_lost),
        )

    def _plan(self, event: Event, key: str, reachable: list[Registration], now: datetime) -> int:
        """Under the send's lock: batches for everyone due in none yet, and lost batches queued
        again. Returns how many people were put on their way."""
        send = MessageSend(key)
        if not self.batches.lock(event.id, send, now, now + PLANNING_LOCK, event.ends_at + BATCH_RETENTION):
            raise Unavailable("Another admin is sending this right now. Try again in a minute.")
        try:
            due = self._due(event.id, key, reachable, now, consistent=True)
            requeued = [b for b in due.lost if self.batches.requeue(b, now)]
            batches = self.batches.of_send(event.id, send, consistent=True)
            fresh = self.batches.add(
                event.id,
                send,
                bulk.in_batches(due.new),
                existing=len(batches),
                now=now,
                expires_at=event.ends_at + BATCH_RETENTION,
            )
            jobs = [MessageJob(event_id=event.id, message=key, batch=b.key) for b in requeued + fresh]
            # The batches stay unfinished until sent: running the action again queues them again.
            self.outbox.put_many(jobs, refused="The queue refused some emails. Please run the action again.")
        finally:
            self.batches.unlock(event.id, send)
        return len(due.new) + due.in_lost
