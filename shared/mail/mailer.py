"""The one mailer: every email leaves through here.

It checks suppression, renders (shared/email_render.py, pure), and sends through SES v2 as raw
MIME. When a send from the API fails (throttled, SES down, a timeout), the email is not lost: a
job naming only ids (never an address) goes on the outbound queue, and SenderFunction renders it
again from the table and sends it, retrying until it goes (then the dead-letter queue).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from shared import aws
from shared.config import Settings
from shared.domain.errors import Unavailable
from shared.domain.links import Links
from shared.domain.models import Event, Person, RegistrationStatus
from shared.domain.schedule import Schedule
from shared.mail.render import (
    EventItem,
    RenderedEmail,
    render_cancellation,
    render_change,
    render_confirmation,
    render_join_link,
    render_manage_link,
    render_place_offered,
)
from shared.stores.repository import Repository

Delivery = Literal["sent", "queued", "suppressed"]


class SendFailed(Exception):
    """SES did not accept the message. `code` is SES's error code, when it gave one."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ConfirmationLine:
    """One event of a confirmation, as the sign-up decided it."""

    event: Event
    status: Literal["registered", "already_registered", "waitlisted"]
    include_join: bool = False  # a late sign-up: the morning email has already gone


class Mailer:
    def __init__(
        self,
        settings: Settings,
        repository: Repository,
        links: Links,
        *,
        ses: Any | None = None,
        sqs: Any | None = None,
    ) -> None:
        self.settings = settings
        self.repository = repository
        self.links = links
        self._ses = ses
        self._sqs = sqs

    @property
    def schedule(self) -> Schedule:
        return Schedule.of(self.settings.dispatch_time, self.settings.dispatch_timezone)

    @property
    def ses(self) -> Any:
        if self._ses is None:
            # One attempt: a refused or throttled send is queued, and the queue retries it,
            # rather than a person waiting on the sign-up while SES backs off.
            self._ses = aws.client("sesv2", attempts=1)
        return self._ses

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws.client("sqs")
        return self._sqs

    # --- the emails --------------------------------------------------------------------------------

    def confirmation(self, person: Person, lines: Sequence[ConfirmationLine], now: datetime) -> RenderedEmail:
        items = [
            EventItem(
                event=line.event,
                event_url=self.links.event_page(line.event.id),
                join_url=self.links.join(line.event, person.person_id),
                status=line.status,
                include_join_details=line.include_join and line.status != "waitlisted",
            )
            for line in lines
        ]
        return render_confirmation(
            to_name=person.name,
            to_address=person.email,
            items=items,
            manage_url=self.links.manage(person.person_id, now),
            uid_domain=self.links.uid_domain,
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    def manage_link(self, person: Person, now: datetime) -> RenderedEmail:
        return render_manage_link(
            to_name=person.name,
            to_address=person.email,
            manage_url=self.links.manage(person.person_id, now),
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    def place_offered(
        self, person: Person, event: Event, now: datetime, include_join: bool = False
    ) -> RenderedEmail:
        item = EventItem(
            event=event,
            event_url=self.links.event_page(event.id),
            join_url=self.links.join(event, person.person_id),
            include_join_details=include_join,
        )
        return render_place_offered(
            to_name=person.name,
            to_address=person.email,
            item=item,
            manage_url=self.links.manage(person.person_id, now),
            uid_domain=self.links.uid_domain,
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    def join_link(self, person: Person, event: Event, now: datetime) -> RenderedEmail:
        """The morning email: the personal join link, meeting ID, passcode and dial-in."""
        item = EventItem(
            event=event,
            event_url=self.links.event_page(event.id),
            join_url=self.links.join(event, person.person_id),
            include_join_details=True,
        )
        return render_join_link(
            to_name=person.name,
            to_address=person.email,
            item=item,
            manage_url=self.links.manage(person.person_id, now),
            unsubscribe_url=self.links.unsubscribe(person.person_id, now),
            uid_domain=self.links.uid_domain,
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    def change_notice(
        self,
        person: Person,
        event: Event,
        *,
        old_starts_at: datetime | None,
        old_ends_at: datetime | None,
        time_changed: bool,
        zoom_changed: bool,
        include_join: bool,
        now: datetime,
    ) -> RenderedEmail:
        """A change of time and/or Zoom details (shared/notices.py decides who and when).
        `include_join`: the person's join link already went out for the event's send moment."""
        item = EventItem(
            event=event,
            event_url=self.links.event_page(event.id),
            join_url=self.links.join(event, person.person_id),
            include_join_details=include_join,
        )
        return render_change(
            to_name=person.name,
            to_address=person.email,
            item=item,
            old_starts_at=old_starts_at,
            old_ends_at=old_ends_at,
            time_changed=time_changed,
            zoom_changed=zoom_changed,
            manage_url=self.links.manage(person.person_id, now),
            unsubscribe_url=self.links.unsubscribe(person.person_id, now),
            uid_domain=self.links.uid_domain,
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    def cancellation_notice(
        self, person: Person, event: Event, *, waitlisted: bool, message: str, now: datetime
    ) -> RenderedEmail:
        """The event is cancelled: to a registrant or (`waitlisted`) someone on its waiting list."""
        item = EventItem(
            event=event,
            event_url=self.links.event_page(event.id),
            join_url=self.links.join(event, person.person_id),
            status="waitlisted" if waitlisted else "registered",
        )
        return render_cancellation(
            to_name=person.name,
            to_address=person.email,
            item=item,
            message=message,
            signup_url=self.links.signup_page(),
            manage_url=self.links.manage(person.person_id, now),
            unsubscribe_url=self.links.unsubscribe(person.person_id, now),
            uid_domain=self.links.uid_domain,
            sender_name=self.settings.sender_name,
            sender_address=self.settings.sender_address,
            now=now,
        )

    # --- sending -----------------------------------------------------------------------------------

    def send_confirmation(self, person: Person, lines: Sequence[ConfirmationLine], now: datetime) -> Delivery:
        job = {
            "kind": "confirmation",
            "person_id": person.person_id,
            "events": [{"event_id": line.event.id, "status": line.status} for line in lines],
        }
        return self.deliver(person, lambda: self.confirmation(person, lines, now), job)

    def send_manage_link(self, person: Person, now: datetime) -> Delivery:
        job = {"kind": "manage_link", "person_id": person.person_id}
        return self.deliver(person, lambda: self.manage_link(person, now), job)

    def send_place_offered(
        self, person: Person, event: Event, now: datetime, include_join: bool = False
    ) -> Delivery:
        job = {"kind": "place_offered", "person_id": person.person_id, "event_id": event.id}
        return self.deliver(person, lambda: self.place_offered(person, event, now, include_join), job)

    def deliver(self, person: Person, render: Callable[[], RenderedEmail], job: dict[str, Any]) -> Delivery:
        """Send now; if SES fails, queue the job for SenderFunction. Suppressed people get nothing."""
        if person.suppression is not None or not person.email:
            return "suppressed"
        try:
            self.send(render())
            return "sent"
        except SendFailed:
            self.enqueue(job)
            return "queued"

    def send(self, email: RenderedEmail) -> str:
        """One SES v2 SendEmail with the raw MIME. Returns SES's message id."""
        request: dict[str, Any] = {
            "FromEmailAddress": formataddr((self.settings.sender_name, self.settings.sender_address)),
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Raw": {"Data": email.raw}},
        }
        if self.settings.ses_configuration_set:
            request["ConfigurationSetName"] = self.settings.ses_configuration_set
        try:
            return str(self.ses.send_email(**request)["MessageId"])
        except ClientError as error:
            raise SendFailed(error.response.get("Error", {}).get("Code", "Unknown")) from None
        except BotoCoreError as error:
            raise SendFailed(type(error).__name__) from None

    def enqueue(self, job: dict[str, Any]) -> None:
        try:
            self.sqs.send_message(QueueUrl=self.settings.outbound_queue_url, MessageBody=json.dumps(job))
        except (ClientError, BotoCoreError) as error:
            raise Unavailable() from error

    # --- the queue's side --------------------------------------------------------------------------

    def process_job(self, job: dict[str, Any], now: datetime) -> str | None:
        """Render a queued job again from the table and send it. Raises SendFailed to be retried.

        Returns SES's message id, or None when there is nothing to send any more (the person was
        erased or suppressed, or every event in the job is gone)."""
        person = self.repository.get_person(job["person_id"])
        if person is None or person.suppression is not None or not person.email:
            return None
        kind = job.get("kind")
        if kind == "confirmation":
            wanted = job.get("events", [])
            events = self.repository.get_events(entry["event_id"] for entry in wanted)
            registrations = {r.event_id: r for r in self.repository.registrations_of(person.person_id)}
            lines = []
            for entry in wanted:
                event = events.get(entry["event_id"])
                registration = registrations.get(entry["event_id"])
                if (
                    event is None
                    or registration is None
                    or registration.status is RegistrationStatus.cancelled
                ):
                    continue
                status = entry.get("status", "registered")
                if registration.status is RegistrationStatus.waitlisted:
                    status = "waitlisted"
                elif status == "waitlisted":
                    status = "registered"  # promoted while the email waited
                late = (
                    registration.status is RegistrationStatus.registered
                    and registration.link_sent_for is not None
                    and registration.link_sent_for == self.schedule.send_moment(event)
                )
                lines.append(ConfirmationLine(event, status, include_join=late))
            if not lines:
                return None
            return self.send(self.confirmation(person, lines, now))
        if kind == "manage_link":
            return self.send(self.manage_link(person, now))
        if kind == "place_offered":
            event = self.repository.get_event(job["event_id"])
            if event is None:
                return None
            registration = self.repository.get_registration(event.id, person.person_id)
            late = registration is not None and registration.link_sent_for == self.schedule.send_moment(event)
            return self.send(self.place_offered(person, event, now, include_join=late))
        raise ValueError(f"unknown job kind {kind!r}")
