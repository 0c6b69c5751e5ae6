"""The one mailer: renders a message (shared/mail/messages.py) and sends it through the transport.

One-off emails (confirmation, manage link, place offered) leave through `deliver`, which checks
suppression and, when the send fails (throttled, SES down, a timeout), does not lose the email:
its job, naming only ids (never an address), goes into the outbox, and SenderFunction completes
it from the table with the same decision that first made it, retrying until it goes. An email
that can never go to that person (it cannot be made, or SES refuses the recipient) is
`Undeliverable`: SenderFunction marks the person failed and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from shared.domain.links import Links
from shared.domain.people import FailureReason, Person
from shared.mail.jobs import Job
from shared.mail.messages import Message
from shared.mail.outbox import Outbox
from shared.mail.render import RenderedEmail, Renderer
from shared.mail.transport import SendFailed, SesTransport

Delivery = Literal["sent", "queued", "suppressed"]


class Mailer:
    def __init__(self, renderer: Renderer, transport: SesTransport, outbox: Outbox, links: Links) -> None:
        self.renderer = renderer
        self.transport = transport
        self.outbox = outbox
        self.links = links  # what messages are addressed with: every link in them is absolute

    def render(self, message: Message, now: datetime) -> RenderedEmail:
        return self.renderer.render(message, now)

    def send(self, make: Callable[[], Message], now: datetime) -> str:
        """Make, render and send one email now. Returns SES's message id. Raises Undeliverable when
        it can never go to this person (it cannot be made from what is stored, or SES refused this
        recipient), and SendFailed when trying again later may work."""
        try:
            email = self.render(make(), now)
        except (ValueError, TypeError, UnicodeError, LookupError) as error:
            raise Undeliverable("unbuildable") from error
        try:
            return self.transport.send(email)
        except SendFailed as failure:
            reason = failure.recipient_reason
            if reason is not None:
                raise Undeliverable(reason) from None
            raise

    def deliver(self, person: Person, make: Callable[[], Message], job: Job, now: datetime) -> Delivery:
        """Send now; if that fails for any reason, queue the job for SenderFunction (which retries,
        or marks the person failed). Suppressed people get nothing."""
        if person.suppression is not None or not person.email:
            return "suppressed"
        try:
            self.send(make, now)
            return "sent"
        except (SendFailed, Undeliverable):
            self.outbox.put(job)
            return "queued"


class Undeliverable(Exception):
    """This email can never go to this person; `reason` says why."""

    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason)
        self.reason: FailureReason = reason
