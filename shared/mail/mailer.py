"""The one mailer: every one-off email (confirmation, manage link, place offered) leaves through
`deliver`, which checks suppression, renders (shared/mail/render.py, pure), and sends through the
transport. When a send fails (throttled, SES down, a timeout) the email is not lost: its job,
naming only ids (never an address), goes into the outbox, and SenderFunction completes it from
the table with the same decision that first made it, retrying until it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.config import Settings
from shared.domain.links import Links
from shared.domain.models import Event, Person
from shared.mail.jobs import Job
from shared.mail.outbox import Outbox
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
from shared.mail.transport import SendFailed, SesTransport

Delivery = Literal["sent", "queued", "suppressed"]


@dataclass(frozen=True)
class ConfirmationLine:
    """One event of a confirmation, as the sign-up decided it."""

    event: Event
    status: Literal["registered", "already_registered", "waitlisted"]
    include_join: bool = False  # a late sign-up: the morning email has already gone


class Mailer:
    def __init__(self, settings: Settings, links: Links, transport: SesTransport, outbox: Outbox) -> None:
        self.settings = settings
        self.links = links
        self.transport = transport
        self.outbox = outbox

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

    def deliver(self, person: Person, render: Callable[[], RenderedEmail], job: Job) -> Delivery:
        """Send now; if SES fails, queue the job for SenderFunction. Suppressed people get nothing."""
        if person.suppression is not None or not person.email:
            return "suppressed"
        try:
            self.transport.send(render())
            return "sent"
        except SendFailed:
            self.outbox.put(job)
            return "queued"

    def send(self, email: RenderedEmail) -> str:
        """Send one rendered email now. Raises SendFailed."""
        return self.transport.send(email)
