"""The morning text (issue 12): each registrant who agreed gets one SMS with their short join link,
sent with the morning send's batch, after its emails (shared/workflows/morning_send.py).

For each person of the batch: their place is still registered, their text not yet sent or refused
for this send moment, they agreed and a number is held; their number is claimed for the event
(shared/stores/text_claims.py: one text per number per event); the code of their `/j/<code>` link
is written (shared/stores/join_codes.py); the text is built (shared/domain/sms_text.py: one GSM-7
segment) and sent through SNS, paced at this instance's share of SmsMaxSendRate, after asking SNS
whether the number opted out (replied STOP). Then one conditional write marks it sent, or failed
with its reason (`send_failures`, channel `sms`). The batch runner's rules hold as for emails: a
duplicate delivery or a crashed sender's successor sends nobody a second text, except a text SNS
took just before a crash, before its write; the first few all failing stop the batch (the fault
is ours or SNS's), and one person's failure never holds up another's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.domain.bulk import BATCH_RETENTION, MorningSend
from shared.domain.errors import Unavailable
from shared.domain.links import Links
from shared.domain.models import Event, RegistrationStatus, Suppression
from shared.domain.people import FailureReason, Person, Registration, SendFailure
from shared.domain.schedule import Schedule
from shared.mail.jobs import JoinLinksJob
from shared.mail.outbox import Outbox
from shared.observability import logger_for
from shared.sms.transport import SnsTransport
from shared.stores.batches import BatchStore
from shared.stores.join_codes import JoinCodeStore
from shared.stores.registrations import RegistrationStore
from shared.stores.text_claims import TextClaimStore
from shared.workflows.sending import BatchResult, BatchRunner, Deadline, Pacer, paced

KIND = "join_link"  # the send failure's kind: the morning join link, by text
_log = logger_for("sender")


@dataclass(frozen=True)
class Text:
    to: str
    body: str

    def __repr__(self) -> str:  # never the number or the link, whoever prints it
        return f"Text({len(self.body)} characters)"


class TextSending:
    """SNS's side, as BatchRunner.send is SES's: paced, throttling retried, refusals sorted."""

    def __init__(
        self, transport: SnsTransport, pacer: Pacer, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.transport = transport
        self.pacer = pacer
        self.sleep = sleep

    def send(self, text: Text) -> FailureReason | None:
        """None when SNS took it; `rejected` when the number opted out or SNS refused it alone;
        SendingStopped when SNS will not send for anyone or keeps failing."""

        def once() -> FailureReason | None:
            if self.transport.opted_out(text.to):
                return "rejected"  # SNS's opted-out list: they replied STOP
            self.transport.send(text.to, text.body)
            return None

        return paced(self.pacer, self.sleep, once)


def handled(registration: Registration, send_moment: datetime) -> bool:
    return send_moment in (registration.sms_sent_for, registration.sms_failed_for)


def wants_text(person: Person | None) -> bool:
    """Someone we may text: they agreed, a number is held, and they have not unsubscribed."""
    return (
        person is not None
        and person.sms_consent
        and bool(person.phone)
        and person.suppression is not Suppression.unsubscribed
    )


def due_text(
    registration: Registration | None, person: Person | None, send_moment: datetime
) -> Person | None:
    """The person, if this send's text is owed to them: registered, not yet texted or refused for
    it, and someone we may text."""
    if (
        registration is None
        or registration.status is not RegistrationStatus.registered
        or handled(registration, send_moment)
        or not wants_text(person)
    ):
        return None
    return person


class MorningTexts:
    def __init__(
        self,
        sending: TextSending,
        registrations: RegistrationStore,
        codes: JoinCodeStore,
        claims: TextClaimStore,
        links: Links,
    ) -> None:
        self.sending = sending
        self.registrations = registrations
        self.codes = codes
        self.claims = claims
        self.links = links

    def send_batch(
        self,
        runner: BatchRunner,
        event: Event,
        send_moment: datetime,
        recipients: list[str],
        current: Mapping[str, Registration],
        people: Mapping[str, Person],
        deadline: Deadline,
        now: datetime,
    ) -> BatchResult:
        """Text everyone of a batch who is due one; their emails went (or were marked) first."""
        from shared.domain.sms_text import morning_text, sms_when

        result = BatchResult()
        expires = event.ends_at + BATCH_RETENTION
        when = sms_when(event, now)

        def due(person_id: str) -> Person | None:
            return due_text(current.get(person_id), people.get(person_id), send_moment)

        if not self._buildable(event.title, when):
            self._mark_all_unbuildable(event, send_moment, [p for p in recipients if due(p)], result, now)
            return result

        def text_for(person_id: str) -> Text | None:
            person = due(person_id)
            if person is None:
                return None
            if not self.claims.claim(event.id, person.phone, person_id, expires):
                # Their number has this event's text already (someone else gave it too).
                self.registrations.mark_text_failed(event.id, person_id, send_moment, None)
                return None
            code = self.codes.ensure(event.id, person_id, expires)
            body = morning_text(
                event.title, when, self.links.short_join(code), reply_stop=self.links.reply_stop
            )
            return Text(person.phone, body)

        runner.each(
            recipients,
            deadline,
            result,
            make=text_for,
            send=self.sending.send,
            sent=lambda person_id: self.registrations.mark_text_sent(event.id, person_id, send_moment, now),
            refused=lambda person_id, reason: self.registrations.mark_text_failed(
                event.id,
                person_id,
                send_moment,
                SendFailure(channel="sms", kind=KIND, reason=reason, at=now),
            ),
            # SNS refused that number alone (it replied STOP, or is not one SNS can text): faults
            # of ours or SNS's for everyone come as SendingStopped, never as `rejected`.
            individual=frozenset({"rejected"}),
        )
        return result

    def _buildable(self, title: str, when: str) -> bool:
        """Can this event's text be built at all? What can make it too long (the link's base, the
        time) is the same for everyone and every code is as long as this one, so if not, no text
        of the send can be: a deployment's fault (a long PUBLIC_BASE_URL or custom domain), which
        no retry mends."""
        from shared.domain.join_codes import LENGTH
        from shared.domain.sms_text import morning_text

        try:
            morning_text(title, when, self.links.short_join("z" * LENGTH), reply_stop=self.links.reply_stop)
        except ValueError:
            return False
        return True

    def _mark_all_unbuildable(
        self, event: Event, send_moment: datetime, person_ids: list[str], result: BatchResult, now: datetime
    ) -> None:
        """Every due text marked failed `unbuildable` (list_registrations shows it; the handler
        counts RecipientsFailed, which alarms) and the batch done: stopping it, as the runner
        stops a batch whose first texts all fail, would only send it round the queue to the
        dead-letter queue, as if the emails had failed, on every dispatch run until the event."""
        from shared.domain.join_codes import LENGTH

        _log.error(
            "no morning text can be built: the join link is too long for one text; check PUBLIC_BASE_URL",
            extra={"link_characters": len(self.links.short_join("z" * LENGTH)), "texts": len(person_ids)},
        )
        failure = SendFailure(channel="sms", kind=KIND, reason="unbuildable", at=now)
        for person_id in person_ids:
            self.registrations.mark_text_failed(event.id, person_id, send_moment, failure)
            result.rejected += 1
            result.failed["unbuildable"] += 1


class LateTexts:
    """A sign-up after the event's send moment: the confirmation carries the join link, and the
    text goes at once, as a one-person batch of the morning send (shared/stores/batches.py)."""

    def __init__(self, batches: BatchStore, outbox: Outbox, schedule: Schedule) -> None:
        self.batches = batches
        self.outbox = outbox
        self.schedule = schedule

    def queue(self, events: list[Event], person_id: str, now: datetime) -> bool:
        """Queue the text for each event; False (logged, counted by the caller) if the table or the
        queue refused: the sign-up stands, and `send_links` sends what is still owed."""
        try:
            for event in events:
                send = MorningSend(self.schedule.send_moment(event))
                batch = self.batches.add_late(
                    event.id, send, person_id, now=now, expires_at=event.ends_at + BATCH_RETENTION
                )
                self.outbox.put(
                    JoinLinksJob(event_id=event.id, send_moment=send.send_moment, batch=batch.key)
                )
        except Unavailable:
            _log.warning("a late sign-up's text was not queued", extra={"events": len(events)})
            return False
        return True
