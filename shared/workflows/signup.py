"""Signing up: a decision (pure), one all-or-nothing write, a retry policy, and the confirmation.

The path with nothing duplicate or full costs two DynamoDB requests whatever the number of
events (one BatchGetItem for events, existing registrations and the profile; one
TransactWriteItems for registrations, event counters, the profile and the rate limits) and one
SES request (or one SQS request when the email has to wait). A lost race (someone took the last
place, a duplicate request landed first) cancels the transaction, and the decision is made again
from a fresh read, so nothing is stored twice and capacity is never exceeded.

Someone an admin registers without an address takes the same decision and the same write, with
no profile, no rate limit and no email.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING

from shared.domain.errors import RateLimited, Unavailable
from shared.domain.models import Event, RegistrationStatus, Suppression
from shared.domain.notice_digest import told_at_once
from shared.domain.people import Person, Registration
from shared.domain.schedule import Schedule
from shared.domain.signup import (
    RESEND_AFTER,
    Applicant,
    ItemStatus,
    Plan,
    SignupItem,
    SignupSnapshot,
    confirmation_lines,
    gets_join_link,
    known,
    plan_signup,
    profile_for,
)
from shared.domain.tokens import Keys, person_id_for
from shared.mail.jobs import ConfirmationEntry, ConfirmationJob
from shared.mail.mailer import Delivery, Mailer
from shared.mail.messages import Confirmation
from shared.stores.events import EventStore
from shared.stores.limits import RateLimit
from shared.stores.people import PersonStore, ProfileSave
from shared.stores.registrations import Commit, NewPlace, RegistrationStore

if TYPE_CHECKING:
    from shared.workflows.texting import LateTexts

RATE_WINDOW = timedelta(hours=1)


@dataclass
class SignupOutcome:
    items: list[SignupItem]
    confirmation: Delivery | None = None
    person: Person | None = None
    honeypot: bool = False
    send_confirmation: bool = False
    not_queued: bool = False  # stored, but neither SES nor the queue took the confirmation
    # Events of this sign-up's new places with access needs that start before the next digest:
    # the admins are told of them at once (the others wait for the digest).
    notice_now: list[Event] = field(default_factory=list)
    texts_not_queued: bool = False  # a late sign-up's morning text could not be queued

    @property
    def anything_new(self) -> bool:
        return any(item.changed for item in self.items)


@dataclass
class Limits:
    enabled: bool = True
    per_address_per_hour: int = 10
    per_ip_per_hour: int = 60


@dataclass(frozen=True)
class Retry:
    """A sign-up that lost a race reads and decides again, after a short jittered pause."""

    attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform

    def pause(self, attempt: int) -> None:
        self.sleep(self.jitter(0, 0.02 * (attempt + 1)))


def _hash_ip(source_ip: str, keys: Keys) -> str:
    return hmac.new(keys.person, b"ip\n" + source_ip.encode(), hashlib.sha256).hexdigest()[:24]


# --- the workflow ------------------------------------------------------------------------------------


class Signups:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        mailer: Mailer,
        keys: Keys,
        schedule: Schedule,
        *,
        limits: Limits,
        retention: timedelta,
        retry: Retry,
        late_texts: LateTexts | None = None,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.people = people
        self.mailer = mailer
        self.keys = keys
        self.schedule = schedule
        self.limits = limits
        self.retention = retention
        self.retry = retry
        self.late_texts = late_texts  # SmsEnabled: texts for places taken after the send moment

    def sign_up(
        self,
        request: Applicant,
        *,
        source_ip: str,
        now: datetime,
        honeypot: bool = False,
        rate_limited: bool = True,
        notify_admins: bool = True,
    ) -> SignupOutcome:
        person_id = person_id_for(request.email, self.keys)
        if honeypot:
            # A robot filled the hidden field: the same reads and decision as a real sign-up (an
            # unknown or closed event is refused alike), the same answer, but nothing stored or sent.
            snapshot = self.registrations.snapshot(request.event_ids, person_id)
            plan = plan_signup(request, person_id, snapshot, now, self.schedule)
            return SignupOutcome(items=plan.items, confirmation="sent", honeypot=True)
        for attempt in range(self.retry.attempts):
            snapshot = self.registrations.snapshot(request.event_ids, person_id)
            plan = plan_signup(request, person_id, snapshot, now, self.schedule)
            notice_now = self._admin_notices(plan, now) if notify_admins else []
            person = profile_for(request, person_id, plan, snapshot.known_person(person_id), now)
            limits = self._limits(person_id, source_ip, now) if rate_limited else []
            commit = self._commit(plan, snapshot, person, limits, now)
            if commit is Commit.rate_limited:
                window_end = now.replace(minute=0, second=0, microsecond=0) + RATE_WINDOW
                raise RateLimited(retry_after_seconds=max(1, ceil((window_end - now).total_seconds())))
            if commit is Commit.lost_race:
                self.retry.pause(attempt)
                continue
            outcome = self._confirm(plan, person, now)
            outcome.notice_now = notice_now
            self._text_late_places(plan, person, outcome, now)
            return outcome
        raise Unavailable()

    def _text_late_places(self, plan: Plan, person: Person, outcome: SignupOutcome, now: datetime) -> None:
        """Places taken after their send moment get the morning text at once, as the confirmation
        carries the join link (shared/workflows/texting.py)."""
        from shared.workflows.texting import wants_text

        late = {r.event_id for r in plan.new_registrations if r.link_sent_for is not None}
        if self.late_texts is None or not late or not wants_text(person):
            return
        events = [item.event for item in plan.items if item.event.id in late]
        outcome.texts_not_queued = not self.late_texts.queue(events, person.person_id, now)

    def add_by_admin(self, applicant: Applicant, now: datetime) -> tuple[Registration, Delivery | None]:
        """An admin's registration of someone: with an address, exactly the public sign-up on their
        behalf (capacity, waiting list, confirmation), without rate limits; without one, under a
        random id (the admin passes the link on by phone). Returns the stored registration and
        how the confirmation went (None: no address, no email)."""
        if applicant.email:
            # The admin who adds someone knows of their needs: no notice to the admins.
            outcome = self.sign_up(
                applicant, source_ip="admin", now=now, rate_limited=False, notify_admins=False
            )
            person_id, confirmation = person_id_for(applicant.email, self.keys), outcome.confirmation
        else:
            person_id, confirmation = secrets.token_hex(16), None
            self.register_without_email(applicant, person_id, now)
        registration = self.registrations.get(applicant.event_ids[0], person_id)
        assert registration is not None
        return registration, confirmation

    def register_without_email(self, applicant: Applicant, person_id: str, now: datetime) -> SignupItem:
        """An admin's registration of someone with no address: the sign-up's decision and write
        (their profile holds their name, role and organisation), with no rate limit and no email."""
        for attempt in range(self.retry.attempts):
            snapshot = self.registrations.snapshot(applicant.event_ids, person_id)
            plan = plan_signup(applicant, person_id, snapshot, now, schedule=None)
            person = profile_for(applicant, person_id, plan, snapshot.person, now)
            if self._commit(plan, snapshot, person, [], now, confirm=False) is Commit.committed:
                return plan.items[0]
            self.retry.pause(attempt)
        raise Unavailable()

    def _admin_notices(self, plan: Plan, now: datetime) -> list[Event]:
        """Decide how the admins hear of each new place with access needs: its registration is
        marked for the next digest (written with it, in the sign-up's one transaction), or, when
        its event starts before that digest, its event is returned to be told at once."""
        at_once: list[Event] = []
        for index, registration in enumerate(plan.new_registrations):
            if not registration.access_needs:
                continue
            event = next(item.event for item in plan.items if item.event.id == registration.event_id)
            if told_at_once(event, self.schedule, now):
                at_once.append(event)
            else:
                plan.new_registrations[index] = registration.model_copy(update={"admin_notice_due": now})
        return at_once

    def _limits(self, person_id: str, source_ip: str, now: datetime) -> list[RateLimit]:
        if not self.limits.enabled:
            return []
        window = now.replace(minute=0, second=0, microsecond=0)
        return [
            RateLimit("address", person_id, window, self.limits.per_address_per_hour, RATE_WINDOW),
            RateLimit("ip", _hash_ip(source_ip, self.keys), window, self.limits.per_ip_per_hour, RATE_WINDOW),
        ]

    def _commit(
        self,
        plan: Plan,
        snapshot: SignupSnapshot,
        person: Person | None,
        limits: list[RateLimit],
        now: datetime,
        *,
        confirm: bool = True,
    ) -> Commit:
        expires_at = max(item.event.ends_at for item in plan.items) + self.retention
        places = [
            NewPlace(
                r, snapshot.events[r.event_id], expires_at, replaces=snapshot.registrations.get(r.event_id)
            )
            for r in plan.new_registrations
        ]
        profile = None
        if person is not None:
            previous = snapshot.person
            profile = ProfileSave(
                person,
                # The profile lives as long as the person's latest event, not this sign-up's.
                expires_at=max(expires_at, previous.expires_at)
                if previous and previous.expires_at
                else expires_at,
                clear_unsubscribe=previous is not None and previous.suppression is Suppression.unsubscribed,
                mark_confirmation=confirm and plan.send_confirmation,
                only_if_no_confirmation_since=None if plan.new_registrations else now - RESEND_AFTER,
                known=known(previous) is not None,
                lift_marker_at=now if snapshot.marker is Suppression.unsubscribed else None,
            )
        elif not places:
            return Commit.committed
        return self.registrations.commit_signup(places, profile, limits)

    def _confirm(self, plan: Plan, person: Person, now: datetime) -> SignupOutcome:
        outcome = SignupOutcome(items=plan.items, person=person, send_confirmation=plan.send_confirmation)
        if not plan.send_confirmation:
            # One went to this address within the hour; a repeat does not send another.
            outcome.confirmation = "sent"
            return outcome
        job = ConfirmationJob(
            person_id=person.person_id,
            events=[ConfirmationEntry(event_id=item.event.id, status=item.status) for item in plan.items],
        )
        lines = confirmation_lines(plan.items)
        try:
            outcome.confirmation = self.mailer.deliver(
                person, lambda: Confirmation.of(person, lines, self.mailer.links, now), job, now
            )
        except Unavailable:
            # Neither SES nor the queue took it. The sign-up stands and is answered as one (never
            # a 5xx once stored); the confirmation is counted and alarmed on as not queued, and
            # forgotten, so that a repeat of the sign-up sends one.
            self.people.forget_confirmation(person.person_id)
            outcome.confirmation, outcome.not_queued = "queued", True
        return outcome

    # --- a confirmation that waited in the queue ------------------------------------------------

    def complete_confirmation(self, job: ConfirmationJob, now: datetime) -> str | None:
        """Send a queued confirmation as it stands now: the person's current status at each event
        (promoted, cancelled since), and the join link by the sign-up's own rule. Returns SES's
        message id, or None when there is nothing to send any more."""
        person = self.people.get(job.person_id)
        if person is None or person.suppression is not None or not person.email:
            return None
        current = {r.event_id: r for r in self.registrations.of_person(person.person_id)}
        events = self.events.get_many(entry.event_id for entry in job.events)
        items = []
        for entry in job.events:
            event, registration = events.get(entry.event_id), current.get(entry.event_id)
            if event is None or registration is None or registration.status is RegistrationStatus.cancelled:
                continue
            status: ItemStatus = entry.status
            if registration.status is RegistrationStatus.waitlisted:
                status = "waitlisted"
            elif status == "waitlisted":
                status = "registered"  # promoted while the email waited
            items.append(
                SignupItem(
                    event,
                    status,
                    changed=False,
                    join_details=gets_join_link(event, status, self.schedule, now),
                )
            )
        if not items:
            return None
        message_id = self.mailer.send(
            lambda: Confirmation.of(person, confirmation_lines(items), self.mailer.links, now), now
        )
        for item in items:
            if item.join_details:  # it carried the join link: that registration counts as sent
                self.registrations.mark_link_sent(
                    item.event.id, person.person_id, self.schedule.send_moment(item.event), now
                )
        return message_id
