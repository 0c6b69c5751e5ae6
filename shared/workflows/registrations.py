"""Changing registrations after sign-up: cancelling, the waiting list, unsubscribing, manage links,
and an admin's resending of a join link.

Each change of status is one transaction over the registration and its event's counters,
conditional on the state it was read in (shared/stores/registrations.py), so counts stay right
and capacity is never exceeded under races: a change that lost a race reads again.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.domain.errors import NotFound, Unavailable, ValidationFailed
from shared.domain.models import Event, RegistrationStatus, Role
from shared.domain.people import FailureReason, Person, Registrant, Registration, SendFailure
from shared.domain.schedule import Schedule
from shared.domain.signup import gets_join_link
from shared.mail.jobs import ManageLinkJob, PlaceOfferedJob
from shared.mail.mailer import Mailer, Undeliverable
from shared.mail.messages import JoinLink, ManageLink, PlaceOffered
from shared.mail.transport import SendFailed
from shared.stores.events import EventStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore

if TYPE_CHECKING:
    from shared.workflows.texting import LateTexts

MANAGE_LINK_EVERY = timedelta(hours=1)
MAX_ATTEMPTS = 5


class Registrations:
    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        mailer: Mailer,
        schedule: Schedule,
        late_texts: LateTexts | None = None,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.people = people
        self.mailer = mailer
        self.schedule = schedule
        self.late_texts = late_texts  # SmsEnabled: a place offered after the send moment is texted

    # --- cancelling and the waiting list ------------------------------------------------------

    def cancel(self, event_id: str, person_id: str, now: datetime) -> bool:
        """Cancel one place (or waiting-list place). True if it changed anything; repeating is harmless."""
        for _attempt in range(MAX_ATTEMPTS):
            registration = self.registrations.get(event_id, person_id)
            if registration is None or registration.status is RegistrationStatus.cancelled:
                return False
            event = self.events.get(event_id)
            if event is None:
                return False
            if not self.registrations.cancel(registration, event, now):
                continue
            if registration.status is RegistrationStatus.registered and event.waitlisted_count > 0:
                freed = event.model_copy(update={"registered_count": event.registered_count - 1})
                self.promote_waiting_list(event_id, now, event=freed)
            return True
        return False

    def promote_waiting_list(self, event_id: str, now: datetime, *, event: Event | None = None) -> list[str]:
        """Offer free places to the waiting list, first come first served; each promoted person is
        told. Returns the promoted person ids. `event`, if given, is the caller's fresh copy (saves
        a read). Two promotions racing for one place end with one winner; the loser reads again."""
        promoted: list[str] = []
        for _attempt in range(MAX_ATTEMPTS * 4):
            event = event or self.events.get(event_id)
            if event is None or not event.is_open(now) or event.is_full() or event.waitlisted_count <= 0:
                break
            waiting = sorted(
                (
                    r
                    for r in self.registrations.of_event(event_id)
                    if r.status is RegistrationStatus.waitlisted
                ),
                key=lambda r: (r.waitlisted_at or r.registered_at, r.person_id),
            )
            if not waiting:
                break
            first = waiting[0]
            if not self.registrations.promote(first, event, now):
                event = None  # someone else moved the counters: read again
                continue
            promoted.append(first.person_id)
            event = event.model_copy(
                update={
                    "registered_count": event.registered_count + 1,
                    "waitlisted_count": event.waitlisted_count - 1,
                }
            )
            self._tell_promoted(first, event, now)
        return promoted

    def _tell_promoted(self, registration: Registration, event: Event, now: datetime) -> None:
        # Promoted at or after the send moment: the place counts as sent (with or without an
        # address), and the offer carries the join link.
        late = self._late(event, RegistrationStatus.registered.value, now)
        if late:
            self._mark_sent(event, registration.person_id, now)
        person = self.people.get(registration.person_id)
        if person is not None:
            job = PlaceOfferedJob(person_id=person.person_id, event_id=event.id)
            self.mailer.deliver(
                person, lambda: PlaceOffered.of(person, event, self.mailer.links, now, late), job, now
            )
        if late and person is not None and self.late_texts is not None:
            from shared.workflows.texting import wants_text

            if wants_text(person):  # the morning text at once, as for a late sign-up
                self.late_texts.queue([event], person.person_id, now)

    def complete_place_offered(self, job: PlaceOfferedJob, now: datetime) -> str | None:
        """A queued place-offered email, as it stands now (None: nothing to send any more). It
        decides "late" by the sign-up's rule, and counts as sent only once SES took it."""
        person = self.people.get(job.person_id)
        event = self.events.get(job.event_id)
        if person is None or person.suppression is not None or not person.email or event is None:
            return None
        registration = self.registrations.get(event.id, person.person_id)
        late = registration is not None and self._late(event, registration.status.value, now)
        message_id = self.mailer.send(
            lambda: PlaceOffered.of(person, event, self.mailer.links, now, late), now
        )
        if late:
            self._mark_sent(event, person.person_id, now)
        return message_id

    def note_failure(
        self, person_id: str, event_ids: list[str], kind: str, reason: FailureReason, now: datetime
    ) -> None:
        """An email to this person that can never go: marked on each registration it was about
        (shown by list_registrations); a registration since erased is simply not there."""
        failure = SendFailure(kind=kind, reason=reason, at=now)
        for event_id in event_ids:
            with contextlib.suppress(Unavailable):
                self.registrations.record_failure(event_id, person_id, failure)

    def _late(self, event: Event, status: str, now: datetime) -> bool:
        return status == RegistrationStatus.registered.value and gets_join_link(
            event, status, self.schedule, now
        )

    def _mark_sent(self, event: Event, person_id: str, now: datetime) -> None:
        self.registrations.mark_link_sent(event.id, person_id, self.schedule.send_moment(event), now)

    # --- a person's own links -----------------------------------------------------------------

    def upcoming(self, person_id: str, now: datetime) -> list[tuple[Registration, Event]]:
        registrations = self.registrations.of_person(person_id)
        events = self.events.get_many(r.event_id for r in registrations)
        return [
            (registration, events[registration.event_id])
            for registration in registrations
            if registration.event_id in events and not events[registration.event_id].has_ended(now)
        ]

    def manage_view(
        self, person_id: str, now: datetime
    ) -> tuple[Person | None, list[tuple[Registration, Event]]]:
        """What the manage page shows: the person's own details and their upcoming registrations."""
        return self.people.get(person_id), self.upcoming(person_id, now)

    def change_profile(
        self, person_id: str, name: str, role: Role, organisation: str, phone: str | None = None
    ) -> bool:
        """The person's own change of their details: what every later email and export says, and
        (unless `phone` is None) their texts: a number they agreed to, or "" for none. False when
        there is nobody by that id (erased since the link was sent)."""
        return self.people.change_details(person_id, name, role, organisation, phone)

    def cancel_for_person(self, person_id: str, event_id: str | None, now: datetime) -> list[str]:
        """The person cancels one place (`event_id`) or, with None, every upcoming one. Repeating
        is harmless: a place already cancelled is reported as cancelled."""
        if event_id is None:
            targets = [registration.event_id for registration, _event in self.upcoming(person_id, now)]
        else:
            targets = [event_id]
        cancelled = [target for target in targets if self.cancel(target, person_id, now)]
        if event_id is not None and not cancelled:
            if self.registrations.get(event_id, person_id) is None:
                raise NotFound("You have no place at that event.")
            cancelled = [event_id]
        return cancelled

    def unsubscribe(self, person_id: str, now: datetime) -> list[str]:
        """RFC 8058 one-click: cancel every upcoming place and waiting-list place; send nothing more
        until the person signs up again. Returns the cancelled event ids."""
        cancelled = [
            registration.event_id
            for registration, _event in self.upcoming(person_id, now)
            if registration.status is not RegistrationStatus.cancelled
            and self.cancel(registration.event_id, person_id, now)
        ]
        self.people.unsubscribe(person_id, now)
        return cancelled

    def request_manage_link(self, person_id: str) -> None:
        """Queue the request: whether anyone gets an email is decided by SenderFunction, so the
        answer, its time and its AWS calls are the same whoever asks (known or not)."""
        self.mailer.outbox.put(ManageLinkJob(person_id=person_id))

    def complete_manage_link(self, job: ManageLinkJob, now: datetime) -> str | None:
        """Email the person their manage link, at most once an hour, and only if they have
        registrations. A send that fails gives the hour back, so the job's retry can send it."""
        person = self.people.get(job.person_id)
        if person is None or person.suppression is not None or not person.email:
            return None
        if not self.registrations.of_person(job.person_id):
            return None
        if not self.people.claim_manage_link(job.person_id, now, MANAGE_LINK_EVERY):
            return None
        try:
            return self.mailer.send(lambda: ManageLink.of(person, self.mailer.links, now), now)
        except SendFailed:
            self.people.release_manage_link(job.person_id, now)
            raise

    # --- an admin's view and changes ------------------------------------------------------------

    def roster(self, event_id: str) -> tuple[Event, list[Registrant]]:
        """The event and everyone registered for it (any status), by status then sign-up time."""
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        found = sorted(self.registrations.of_event(event.id), key=lambda r: (r.status.value, r.registered_at))
        people = self.people.get_many(r.person_id for r in found)
        return event, [Registrant(r, people.get(r.person_id)) for r in found]

    def registrant(self, registration: Registration) -> Registrant:
        return Registrant(registration, self.people.get(registration.person_id))

    def cancel_by_admin(self, event_id: str, person_id: str, now: datetime) -> tuple[Registration, bool]:
        """Cancel someone's place as an admin. Returns the registration as it now stands and
        whether anything changed (cancelling again is harmless)."""
        if self.registrations.get(event_id, person_id) is None:
            raise NotFound("That person has no registration at that event.")
        changed = self.cancel(event_id, person_id, now)
        registration = self.registrations.get(event_id, person_id)
        if registration is None:  # erased meanwhile
            raise NotFound("That person has no registration at that event.")
        return registration, changed

    def resend_link(self, event_id: str, person_id: str, now: datetime) -> str:
        """Send the person's join link for the event now. From the send moment on it counts as the
        morning's email, so the morning send does not send it again."""
        registration = self.registrations.get(event_id, person_id)
        event = self.events.get(event_id)
        if event is None or registration is None:
            raise NotFound("That address has no registration at that event.")
        if registration.status is not RegistrationStatus.registered:
            raise ValidationFailed(
                f"That registration is {registration.status.value}: there is no place to send a link for.",
                fields={"email": f"registration is {registration.status.value}"},
            )
        person = self.people.get(person_id)
        if person is None or not person.email:
            raise NotFound("That address has no registration at that event.")
        try:
            message_id = self.mailer.send(lambda: JoinLink.of(person, event, self.mailer.links, now), now)
        except SendFailed as failure:
            raise Unavailable(
                f"SES did not take the email ({failure.code}). Please try again shortly."
            ) from None
        except Undeliverable as failure:
            self.note_failure(person_id, [event_id], JoinLink.kind, failure.reason, now)
            raise ValidationFailed(
                f"This person's join link cannot be sent ({failure.reason}): check their address "
                "with list_registrations.",
                fields={"email": failure.reason},
            ) from None
        send_moment = self.schedule.send_moment(event)
        if now >= send_moment:
            self.registrations.mark_link_sent(event.id, person_id, send_moment, now)
        return message_id
