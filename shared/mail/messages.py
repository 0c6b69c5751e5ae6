"""One message type per email kind: what the email says, as data (pure: no AWS).

Every message has an `Envelope` (who it goes to, and their own absolute links) and knows how to
`draft` itself: its subject, the templates it fills (`templates/email/<kind>.txt` and `.html`),
their context and its calendar files. `shared/mail/render.py` turns any draft into MIME the same
way. Adding an email kind is: a message type here, its two templates, and the place that sends
it. `of(...)` builds a message from the domain (a person, an event) and the links.

Zoom details (meeting ID, passcode, dial-in, and the personal join link) appear only in the
morning's join-link email and for an item marked `include_join_details` (a sign-up or promotion
after that event's morning send); the raw Zoom URL never appears at all, only the personal
`/join/` link that redirects to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from shared.domain.links import Links
from shared.domain.models import Event
from shared.domain.people import Person
from shared.domain.timefmt import date_in_words, span_in_words, time_in_words, when_in_words
from shared.mail.items import (
    Context,
    EventItem,
    ItemStatus,
    clean,
    ics_of,
    item_views,
    require_absolute,
)

if TYPE_CHECKING:  # the kinds whose words an admin writes live apart (they import Envelope, Draft)
    from shared.mail.bulletins import AdminMessage, FollowUp

SERIES = "Conversations on Co-production"


@dataclass(frozen=True)
class Envelope:
    """Who a message goes to, and the links of their own that every kind carries."""

    to_name: str
    to_address: str
    manage_url: str
    unsubscribe_url: str | None = None  # with it, RFC 8058 one-click unsubscribe headers
    # The number the person agreed to be texted at, masked (`+44 7*** ***456`), while texts are on:
    # every email then says so, and how to stop them. Empty: no texts.
    texts_to: str = ""
    reply_stop: bool = False  # texts come from a two-way number: replying STOP works too

    def __post_init__(self) -> None:
        require_absolute(self.manage_url)
        if self.unsubscribe_url is not None:
            require_absolute(self.unsubscribe_url)

    @classmethod
    def of(cls, person: Person, links: Links, now: datetime, *, unsubscribe: bool = False) -> Envelope:
        return cls(
            to_name=person.name,
            to_address=person.email,
            manage_url=links.manage(person.person_id, now),
            unsubscribe_url=links.unsubscribe(person.person_id, now) if unsubscribe else None,
            texts_to=_texts_to(person, links),
            reply_stop=links.reply_stop,
        )

    def require_unsubscribe(self) -> str:
        if self.unsubscribe_url is None:
            raise ValueError("this kind of email must carry an unsubscribe link")
        return self.unsubscribe_url


def _texts_to(person: Person, links: Links) -> str:
    if not (links.texts_on and person.sms_consent and person.phone):
        return ""
    from shared.domain.phones import masked

    return masked(person.phone)


@dataclass(frozen=True)
class Draft:
    subject: str
    context: Context
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


# --- the kinds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    """The confirmation of a sign-up: every event asked for, each with its status, time, links and,
    where the person has a place, a calendar file whose URL is their personal join link."""

    kind: ClassVar[str] = "confirmation"
    envelope: Envelope
    items: Sequence[EventItem]

    @classmethod
    def of(
        cls, person: Person, lines: Sequence[tuple[Event, ItemStatus, bool]], links: Links, now: datetime
    ) -> Confirmation:
        """`lines`: each event, the person's status at it, and whether to give its join details."""
        items = [
            EventItem.of(event, person.person_id, links, status, join and status != "waitlisted")
            for event, status, join in lines
        ]
        return cls(Envelope.of(person, links, now), items)

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        if not self.items:
            raise ValueError("a confirmation needs at least one event")
        views = item_views(self.items, uid_domain=uid_domain)
        context: Context = {
            "items": views,
            "several": len(views) > 1,
            "any_new_place": any(item.status == "registered" for item in self.items),
            "any_place": any(item.has_place for item in self.items),
            "any_waitlisted": any(item.status == "waitlisted" for item in self.items),
            "morning_send": [view for view in views if view["has_place"] and not view["join"]],
        }
        attachments = [(str(v["ics_filename"]), v["ics"]) for v in views if isinstance(v["ics"], bytes)]
        return Draft(_confirmation_subject(self.items), context, attachments)


@dataclass(frozen=True)
class ManageLink:
    """The person's own link to see and cancel their places, sent when they ask for it."""

    kind: ClassVar[str] = "manage_link"
    envelope: Envelope

    @classmethod
    def of(cls, person: Person, links: Links, now: datetime) -> ManageLink:
        return cls(Envelope.of(person, links, now))

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        return Draft("Your link to see or cancel your places", {})


@dataclass(frozen=True)
class PlaceOffered:
    """To someone moved off the waiting list after a cancellation: the place is theirs now."""

    kind: ClassVar[str] = "place_offered"
    envelope: Envelope
    item: EventItem

    @classmethod
    def of(
        cls, person: Person, event: Event, links: Links, now: datetime, join: bool = False
    ) -> PlaceOffered:
        return cls(Envelope.of(person, links, now), EventItem.of(event, person.person_id, links, join=join))

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        (view,) = item_views([replace(self.item, status="registered")], uid_domain=uid_domain)
        return Draft(clean(f"You have a place: {self.item.event.title}"), {"item": view}, ics_of(view))


@dataclass(frozen=True)
class JoinLink:
    """The morning email: one registration, one event, with the person's own `/join/` link, the
    meeting ID, passcode and dial-in, the manage link and one-click unsubscribe headers.

    The subject and opening say "today" or "tomorrow" by the event's own calendar day against
    `now` in the event's zone (a 06:30 event's link goes out at 07:00 the day before), or give the
    date. The calendar file is attached again for anyone who did not add it earlier.
    """

    kind: ClassVar[str] = "join_link"
    envelope: Envelope
    item: EventItem

    @classmethod
    def of(cls, person: Person, event: Event, links: Links, now: datetime) -> JoinLink:
        envelope = Envelope.of(person, links, now, unsubscribe=True)
        return cls(envelope, EventItem.of(event, person.person_id, links, join=True))

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        if now.tzinfo is None:
            raise ValueError("now must carry its offset")
        if not self.item.has_place:
            raise ValueError("a join link goes only to someone with a place, not the waiting list")
        self.envelope.require_unsubscribe()
        self.item.require_personal_join_link()
        event = self.item.event
        with_details = replace(self.item, status="registered", include_join_details=True)
        (view,) = item_views([with_details], uid_domain=uid_domain)
        day = _day_in_words(event, now)
        which = f"{day}'s conversation" if day in ("today", "tomorrow") else f"the conversation on {day}"
        subject = clean(f"{day[:1].upper()}{day[1:]}: {event.title} \N{EN DASH} your Zoom link")
        return Draft(subject, {"item": view, "which": which}, ics_of(view))


@dataclass(frozen=True)
class Change:
    """An event the person has a place at has changed: its time (start, end or duration: the new
    and the old time in words, and a calendar file with the same UID and the event's higher
    SEQUENCE), or its Zoom details after the join links went out, or both.

    The Zoom details (with the personal `/join/` link) are shown when `item.include_join_details`:
    the person already has the morning email, so the change must reach them here.
    """

    kind: ClassVar[str] = "change"
    envelope: Envelope
    item: EventItem
    old_starts_at: datetime | None
    old_ends_at: datetime | None
    time_changed: bool
    zoom_changed: bool

    @classmethod
    def of(
        cls,
        person: Person,
        event: Event,
        links: Links,
        now: datetime,
        *,
        old: tuple[datetime | None, datetime | None],
        time_changed: bool,
        zoom_changed: bool,
        include_join: bool,
    ) -> Change:
        """`include_join`: the person's join link already went out for the event's send moment."""
        item = EventItem.of(event, person.person_id, links, join=include_join)
        envelope = Envelope.of(person, links, now, unsubscribe=True)
        return cls(envelope, item, old[0], old[1], time_changed, zoom_changed)

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        item = self.item
        if not self.time_changed and not self.zoom_changed:
            raise ValueError("a change email needs a change of time or of Zoom details")
        if self.zoom_changed and not item.include_join_details:
            raise ValueError("new Zoom details go only to someone whose join link already went out")
        if not item.has_place:
            raise ValueError("a change email goes only to someone with a place, not the waiting list")
        self.envelope.require_unsubscribe()
        if item.include_join_details:
            item.require_personal_join_link()
        (view,) = item_views([replace(item, status="registered")], uid_domain=uid_domain)
        old_when, summary = "", "It has a new time."
        if self.time_changed and self.old_starts_at is not None and self.old_ends_at is not None:
            old_when = span_in_words(self.old_starts_at, self.old_ends_at, item.event.timezone)
            summary = _what_changed(self.old_starts_at, self.old_ends_at, item.event)
        title = item.event.title
        subject = clean(f"New time: {title}" if self.time_changed else f"New Zoom details: {title}")
        context: Context = {
            "item": view,
            "time_changed": self.time_changed,
            "zoom_changed": self.zoom_changed,
            "summary": summary,
            "old_when": old_when,
        }
        return Draft(subject, context, ics_of(view) if self.time_changed else [])


@dataclass(frozen=True)
class Cancellation:
    """An event is cancelled: to everyone with a place (`registered`) or on its waiting list
    (`waitlisted`), with the admin's own `message` if any, and a calendar file with
    `STATUS:CANCELLED` and the event's (raised) SEQUENCE, so calendars take it out."""

    kind: ClassVar[str] = "cancellation"
    envelope: Envelope
    item: EventItem
    message: str
    signup_url: str

    @classmethod
    def of(
        cls, person: Person, event: Event, links: Links, now: datetime, *, waitlisted: bool, message: str
    ) -> Cancellation:
        """To a registrant or (`waitlisted`) someone on the event's waiting list."""
        status: ItemStatus = "waitlisted" if waitlisted else "registered"
        item = EventItem.of(event, person.person_id, links, status)
        return cls(Envelope.of(person, links, now, unsubscribe=True), item, message, links.signup_page())

    def draft(self, uid_domain: str, now: datetime) -> Draft:
        from shared.mail.ics import event_calendar

        require_absolute(self.signup_url)
        self.envelope.require_unsubscribe()
        event = self.item.event
        ics_filename = f"conversation-{event.local_start:%Y-%m-%d}.ics"
        ics = event_calendar(event, uid_domain=uid_domain, url=self.item.event_url, cancelled=True)
        context: Context = {
            "title": clean(event.title),
            "when": when_in_words(event),
            "starts_iso": event.local_start.isoformat(),
            "waitlisted": not self.item.has_place,
            "message": self.message.strip(),
            "ics_filename": ics_filename,
            "signup_url": self.signup_url,
        }
        return Draft(clean(f"Cancelled: {event.title}"), context, [(ics_filename, ics)])


# A string: the last two are imported for type checking only (they import this module).
Message: TypeAlias = (
    "Confirmation | ManageLink | PlaceOffered | JoinLink | Change | Cancellation | AdminMessage | FollowUp"
)


# --- building blocks -------------------------------------------------------------------------------


def _what_changed(old_starts_at: datetime, old_ends_at: datetime, event: Event) -> str:
    """One plain sentence on what moved: the finish, the start, the day, or both ends."""
    zone = event.zone
    old_start, old_end = old_starts_at.astimezone(zone), old_ends_at.astimezone(zone)
    new_start, new_end = event.local_start, event.local_end
    if old_start == new_start:
        return f"It now finishes at {time_in_words(new_end)} rather than {time_in_words(old_end)}."
    if new_end - new_start == old_end - old_start:
        if new_start.date() == old_start.date():
            return (
                f"It now starts at {time_in_words(new_start)} rather than {time_in_words(old_start)}, "
                "on the same day."
            )
        return f"It has moved to {date_in_words(new_start)}."
    if new_start.date() == old_start.date():
        return "It now starts and finishes at different times, on the same day."
    return f"It has moved to {date_in_words(new_start)}, and its length has changed."


def _day_in_words(event: Event, now: datetime) -> str:
    """`today`, `tomorrow`, or the date, by calendar days in the event's own zone."""
    start = event.local_start
    days_ahead = (start.date() - now.astimezone(event.zone).date()).days
    if days_ahead == 0:
        return "today"
    if days_ahead == 1:
        return "tomorrow"
    return date_in_words(start)


def _confirmation_subject(items: Sequence[EventItem]) -> str:
    count = len(items)
    waitlisted = sum(1 for item in items if item.status == "waitlisted")
    if count == 1:
        title = items[0].event.title
        subject = f"You're on the waiting list: {title}" if waitlisted else f"You're signed up: {title}"
    elif waitlisted == count:
        subject = f"You're on the waiting list for {count} {SERIES}"
    elif waitlisted:
        subject = f"Your sign-up for {count} {SERIES}"
    else:
        subject = f"You're signed up for {count} {SERIES}"
    return clean(subject)
