"""The one mailer: renders a message (shared/mail/messages.py) and sends it through the transport.

One-off emails (confirmation, manage link, place offered) leave through `deliver`, which checks
suppression and, when the send fails (throttled, SES down, a timeout), does not lose the email:
its job, naming only ids (never an address), goes into the outbox, and SenderFunction completes
it from the table with the same decision that first made it, retrying until it goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.domain.links import Links
from shared.domain.people import Person
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

    def send(self, message: Message, now: datetime) -> str:
        """Render and send one email now. Returns SES's message id; raises SendFailed."""
        return self.transport.send(self.render(message, now))

    def deliver(self, person: Person, message: Message, job: Job, now: datetime) -> Delivery:
        """Send now; if SES fails, queue the job for SenderFunction. Suppressed people get nothing."""
        if person.suppression is not None or not person.email:
            return "suppressed"
        try:
            self.send(message, now)
            return "sent"
        except SendFailed:
            self.outbox.put(job)
            return "queued"
