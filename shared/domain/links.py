"""Absolute URLs: public pages, and personal links carrying signed tokens (ids, never addresses)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from shared.domain.models import Event
from shared.domain.tokens import Keys, Purpose, sign

# A manage or unsubscribe link keeps working for as long as we may hold the person's data.
PERSONAL_LINK_LIFETIME = timedelta(days=400)
# A join link is refused outside its event's window anyway; the token itself outlives a late change.
JOIN_LINK_GRACE = timedelta(days=30)


class Links:
    def __init__(
        self, base_url: str, keys: Keys, *, texts_on: bool = False, reply_stop: bool = False
    ) -> None:
        self.base = base_url.rstrip("/")
        self.keys = keys
        # Are morning texts sent (SmsEnabled), and may people reply STOP (a two-way number)? Every
        # email to someone who agreed to texts says how to stop them.
        self.texts_on = texts_on
        self.reply_stop = reply_stop
        if not urlsplit(self.base).hostname:
            # Every emailed link would be relative, so broken: say so loudly instead.
            raise ValueError(f"links need an absolute base URL (PUBLIC_BASE_URL), not {base_url!r}")

    @property
    def uid_domain(self) -> str:
        return urlsplit(self.base).hostname or "localhost"

    def event_page(self, event_id: str) -> str:
        return f"{self.base}/events/{quote(event_id)}"

    def event_calendar(self, event_id: str) -> str:
        return f"{self.base}/events/{quote(event_id)}/calendar.ics"

    def signup_page(self, event_id: str | None = None) -> str:
        return f"{self.base}/signup" + (f"?event={quote(event_id)}" if event_id else "")

    def manage(self, person_id: str, now: datetime) -> str:
        token = sign(Purpose.MANAGE, [person_id], now + PERSONAL_LINK_LIFETIME, self.keys)
        return f"{self.base}/manage?token={token}"

    def unsubscribe(self, person_id: str, now: datetime) -> str:
        token = sign(Purpose.UNSUBSCRIBE, [person_id], now + PERSONAL_LINK_LIFETIME, self.keys)
        return f"{self.base}/unsubscribe?token={token}"

    def messages_opt_out(self, person_id: str, now: datetime) -> str:
        """Stops admins' messages and follow-ups only: the person's places and join links stay."""
        token = sign(Purpose.MESSAGES, [person_id], now + PERSONAL_LINK_LIFETIME, self.keys)
        return f"{self.base}/unsubscribe/messages?token={token}"

    def join(self, event: Event, person_id: str) -> str:
        token = sign(Purpose.JOIN, [event.id, person_id], event.ends_at + JOIN_LINK_GRACE, self.keys)
        return f"{self.base}/join/{token}"

    def short_join(self, code: str) -> str:
        """The short personal join link of the morning text (shared/domain/join_codes.py)."""
        return f"{self.base}/j/{code}"
