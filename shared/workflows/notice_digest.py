"""The morning's digest for the admins: every sign-up with access needs since the last digest,
in one message grouped by event, published to `AdminNoticesTopic` at the end of each run of
DispatchFunction. What it says, and which sign-ups are told at once instead:
shared/domain/notice_digest.py.

Each sign-up is in exactly one digest:
- its registration carries `admin_notice_due` from the sign-up's own transaction, so a stored
  sign-up is never missed;
- a run takes the digest's lock (a conditional write) before reading, so two runs at once send
  one digest; a run that dies holding it loses it after LOCK_LEASE;
- the marks of the sign-ups told are cleared only after SNS accepted the digest, each on its own
  value, so a run that fails before SNS accepts leaves every mark for the next run. A run that
  dies after SNS accepted and before clearing every mark tells those sign-ups again in the next
  digest: at most one repeat per crash, as the morning send's own batches allow.
No new sign-ups, no digest. Sign-ups whose place was cancelled, whose event was cancelled or has
ended, or whose needs are no longer held, are cleared without a word; an erased person's
registration is gone, and with it the mark.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.models import Event, EventStatus, RegistrationStatus
from shared.domain.notice_digest import EventSignups, digest_message, digest_subject
from shared.domain.people import Registration
from shared.domain.schedule import Schedule
from shared.observability import logger_for
from shared.stores.events import EventStore
from shared.stores.notice_digest import NoticeDigestStore
from shared.stores.registrations import RegistrationStore
from shared.workflows.notify_admins import AdminNotices

logger = logger_for("dispatch")

# Longer than DispatchFunction's Timeout (120 s, template.yaml): a live run never loses the lock.
LOCK_LEASE = timedelta(seconds=150)
_STILL_ON = (RegistrationStatus.registered, RegistrationStatus.waitlisted)


@dataclass(frozen=True)
class DigestRun:
    """What a run did: `signups` told in `events` (0 and 0: nothing new, no digest), how many
    marks were cleared without a word, and whether another run held the lock."""

    signups: int = 0
    events: int = 0
    cleared_silently: int = 0
    locked_out: bool = False

    @property
    def sent(self) -> bool:
        return self.signups > 0


def _worth_telling(registration: Registration, event: Event, now: datetime) -> bool:
    return (
        bool(registration.access_needs)
        and registration.status in _STILL_ON
        and event.status is EventStatus.scheduled
        and not event.has_ended(now)
    )


class NoticeDigest:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        store: NoticeDigestStore,
        notices: AdminNotices,
        schedule: Schedule,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.store = store
        self.notices = notices
        self.schedule = schedule

    def send(self, now: datetime) -> DigestRun:
        """Publish the digest of every sign-up marked since the last one (if any), then clear
        their marks. Without a topic configured, nothing is read or sent."""
        if not self.notices.topic_arn:
            return DigestRun()
        holder = secrets.token_hex(8)
        if not self.store.lock(holder, now, now + LOCK_LEASE):
            logger.info("notice digest skipped: another run holds its lock")
            return DigestRun(locked_out=True)
        try:
            return self._send(now)
        finally:
            self.store.unlock(holder, now)

    def _send(self, now: datetime) -> DigestRun:
        told: list[Registration] = []
        silent: list[Registration] = []
        groups: list[EventSignups] = []
        for event in self.events.by_start(ending_after=now):
            marked = [r for r in self.registrations.of_event(event.id) if r.admin_notice_due is not None]
            worth = [r for r in marked if _worth_telling(r, event, now)]
            silent.extend(r for r in marked if not _worth_telling(r, event, now))
            if worth:
                groups.append(EventSignups(event, [r.admin_notice_due for r in worth if r.admin_notice_due]))
                told.extend(worth)
        if told:
            self.notices.publish(digest_subject(len(told)), digest_message(groups, self.schedule))
            logger.info("notice digest published", extra={"signups": len(told), "events": len(groups)})
        for registration in told + silent:
            assert registration.admin_notice_due is not None
            self.store.clear(registration.event_id, registration.person_id, registration.admin_notice_due)
        return DigestRun(signups=len(told), events=len(groups), cleared_silently=len(silent))
