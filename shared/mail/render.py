"""Emails as real MIME messages: data in, bytes out. Sending is the mailer's job, not this module's.

Each message is `multipart/alternative` (a plain-text twin first, then HTML), wrapped in
`multipart/mixed` when it carries calendar files. Templates live in `templates/email/`:
`<kind>.html` is autoescaped, `<kind>.txt` is not (it is never read as HTML).

Zoom details (meeting ID, passcode, dial-in, and the personal join link) appear only in the
morning's join-link email and for an item marked `include_join_details` (a sign-up or promotion
after that event's morning send); the raw Zoom URL never appears at all, only the personal `/join/`
link that redirects to it.

jinja2 and icalendar are imported on first render, not at import: the API imports this module
on paths that never send a message.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from shared.domain.calendar_links import google_calendar_url, outlook_calendar_url
from shared.domain.timefmt import date_in_words, span_in_words, time_in_words, when_in_words

if TYPE_CHECKING:
    import jinja2

    from shared.domain.models import Event

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "email"
SERIES = "Conversations on Co-production"
TEXT_WIDTH = 72

ItemStatus = Literal["registered", "waitlisted", "already_registered"]
_STATUSES = ("registered", "waitlisted", "already_registered")


@dataclass(frozen=True)
class EventItem:
    """One event in an email, as it stands for this person.

    `event_url` is the public page for the event; `join_url` the person's own `/join/<token>`
    link (it goes in the .ics, and in the text when `include_join_details`). Both absolute.
    """

    event: Event
    event_url: str
    join_url: str
    status: ItemStatus = "registered"
    include_join_details: bool = False

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {', '.join(_STATUSES)}, not {self.status!r}")
        _require_absolute(self.event_url)
        _require_absolute(self.join_url)

    @property
    def has_place(self) -> bool:
        return self.status != "waitlisted"


@dataclass(frozen=True)
class RenderedEmail:
    kind: str
    to: str
    subject: str
    raw: bytes
    message_id: str


def render_confirmation(
    *,
    to_name: str,
    to_address: str,
    items: Sequence[EventItem],
    manage_url: str,
    uid_domain: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> RenderedEmail:
    """The confirmation of a sign-up: every event asked for, each with its status, time, links and,
    where the person has a place, a calendar file whose URL is their personal join link."""
    if not items:
        raise ValueError("a confirmation needs at least one event")
    _require_absolute(manage_url)
    views = _item_views(items, uid_domain=uid_domain)
    subject = _confirmation_subject(items)
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "items": views,
        "several": len(views) > 1,
        "any_new_place": any(item.status == "registered" for item in items),
        "any_place": any(item.has_place for item in items),
        "any_waitlisted": any(item.status == "waitlisted" for item in items),
        "morning_send": [view for view in views if view["has_place"] and not view["join"]],
        "manage_url": manage_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="confirmation",
        template="confirmation",
        context=context,
        subject=subject,
        attachments=[(view["ics_filename"], view["ics"]) for view in views if view["ics"]],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


def render_place_offered(
    *,
    to_name: str,
    to_address: str,
    item: EventItem,
    manage_url: str,
    uid_domain: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> RenderedEmail:
    """To someone moved off the waiting list after a cancellation: the place is theirs now."""
    _require_absolute(manage_url)
    offered = EventItem(
        event=item.event,
        event_url=item.event_url,
        join_url=item.join_url,
        status="registered",
        include_join_details=item.include_join_details,
    )
    (view,) = _item_views([offered], uid_domain=uid_domain)
    subject = _clean(f"You have a place: {item.event.title}")
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "item": view,
        "manage_url": manage_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="place_offered",
        template="place_offered",
        context=context,
        subject=subject,
        attachments=[(view["ics_filename"], view["ics"])],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


def render_manage_link(
    *,
    to_name: str,
    to_address: str,
    manage_url: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> RenderedEmail:
    """The person's own link to see and cancel their places, sent when they ask for it."""
    _require_absolute(manage_url)
    subject = "Your link to see or cancel your places"
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "manage_url": manage_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="manage_link",
        template="manage_link",
        context=context,
        subject=subject,
        attachments=[],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


def render_join_link(
    *,
    to_name: str,
    to_address: str,
    item: EventItem,
    manage_url: str,
    unsubscribe_url: str,
    uid_domain: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
) -> RenderedEmail:
    """The morning email: one registration, one event, with the person's own `/join/` link, the
    meeting ID, passcode and dial-in, the manage link and one-click unsubscribe headers.

    The subject and opening say "today" or "tomorrow" by the event's own calendar day against
    `now` in the event's zone (a 06:30 event's link goes out at 07:00 the day before), or give the
    date. The calendar file is attached again for anyone who did not add it earlier.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry its offset")
    if not item.has_place:
        raise ValueError("a join link goes only to someone with a place, not the waiting list")
    _require_absolute(manage_url)
    _require_absolute(unsubscribe_url)
    _require_personal_join_link(item)
    event = item.event
    with_details = EventItem(
        event=event,
        event_url=item.event_url,
        join_url=item.join_url,
        status="registered",
        include_join_details=True,
    )
    (view,) = _item_views([with_details], uid_domain=uid_domain)
    day = _day_in_words(event, now)
    subject = _clean(f"{day[:1].upper()}{day[1:]}: {event.title} \N{EN DASH} your Zoom link")
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "item": view,
        "which": f"{day}'s conversation" if day in ("today", "tomorrow") else f"the conversation on {day}",
        "manage_url": manage_url,
        "unsubscribe_url": unsubscribe_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="join_link",
        template="join_link",
        context=context,
        subject=subject,
        attachments=[(view["ics_filename"], view["ics"])],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


# --- changes and cancellations ------------------------------------------------------------------

PREVIEW_PREFIX = "[Preview] "


def render_change(
    *,
    to_name: str,
    to_address: str,
    item: EventItem,
    old_starts_at: datetime | None,
    old_ends_at: datetime | None,
    time_changed: bool,
    zoom_changed: bool,
    manage_url: str,
    unsubscribe_url: str,
    uid_domain: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
) -> RenderedEmail:
    """An event the person has a place at has changed: its time (start, end or duration: the new
    and the old time in words, and a calendar file with the same UID and the event's higher
    SEQUENCE), or its Zoom details after the join links went out, or both.

    The Zoom details (with the personal `/join/` link) are shown when `item.include_join_details`:
    the person already has the morning email, so the change must reach them here.
    """
    if not time_changed and not zoom_changed:
        raise ValueError("a change email needs a change of time or of Zoom details")
    if zoom_changed and not item.include_join_details:
        raise ValueError("new Zoom details go only to someone whose join link already went out")
    if not item.has_place:
        raise ValueError("a change email goes only to someone with a place, not the waiting list")
    _require_absolute(manage_url)
    _require_absolute(unsubscribe_url)
    if item.include_join_details:
        _require_personal_join_link(item)
    event = item.event
    with_place = EventItem(
        event=event,
        event_url=item.event_url,
        join_url=item.join_url,
        status="registered",
        include_join_details=item.include_join_details,
    )
    (view,) = _item_views([with_place], uid_domain=uid_domain)
    old_when, summary = "", "It has a new time."
    if time_changed and old_starts_at is not None and old_ends_at is not None:
        old_when = span_in_words(old_starts_at, old_ends_at, event.timezone)
        summary = _what_changed(old_starts_at, old_ends_at, event)
    title = event.title
    subject = _clean(f"New time: {title}" if time_changed else f"New Zoom details: {title}")
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "item": view,
        "time_changed": time_changed,
        "zoom_changed": zoom_changed,
        "summary": summary,
        "old_when": old_when,
        "manage_url": manage_url,
        "unsubscribe_url": unsubscribe_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="change",
        template="change",
        context=context,
        subject=subject,
        attachments=[(view["ics_filename"], view["ics"])] if time_changed else [],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


def render_cancellation(
    *,
    to_name: str,
    to_address: str,
    item: EventItem,
    message: str,
    signup_url: str,
    manage_url: str,
    unsubscribe_url: str,
    uid_domain: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
) -> RenderedEmail:
    """An event is cancelled: to everyone with a place (`registered`) or on its waiting list
    (`waitlisted`), with the admin's own `message` if any, and a calendar file with
    `STATUS:CANCELLED` and the event's (raised) SEQUENCE, so calendars take it out."""
    from shared.mail.ics import event_calendar

    _require_absolute(signup_url)
    _require_absolute(manage_url)
    _require_absolute(unsubscribe_url)
    event = item.event
    subject = _clean(f"Cancelled: {event.title}")
    ics_filename = f"conversation-{event.local_start:%Y-%m-%d}.ics"
    ics = event_calendar(event, uid_domain=uid_domain, url=item.event_url, cancelled=True)
    context = {
        "subject": subject,
        "name": _clean(to_name),
        "title": _clean(event.title),
        "when": when_in_words(event),
        "starts_iso": event.local_start.isoformat(),
        "waitlisted": not item.has_place,
        "message": message.strip(),
        "ics_filename": ics_filename,
        "signup_url": signup_url,
        "manage_url": manage_url,
        "unsubscribe_url": unsubscribe_url,
        "sender_name": _clean(sender_name),
    }
    return _build(
        kind="cancellation",
        template="cancellation",
        context=context,
        subject=subject,
        attachments=[(ics_filename, ics)],
        to_name=to_name,
        to_address=to_address,
        sender_name=sender_name,
        sender_address=sender_address,
        now=now,
        unsubscribe_url=unsubscribe_url,
    )


def as_preview(rendered: RenderedEmail) -> RenderedEmail:
    """The same message with its subject prefixed "[Preview] ": for the admin's own inbox.

    Only the Subject header is rewritten (encoded as `_build` encodes it); body and attachments
    stay byte for byte what a registrant would get."""
    subject = PREVIEW_PREFIX + rendered.subject
    scratch = EmailMessage(policy=SMTP)
    _set_subject(scratch, subject)
    header = scratch.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"
    head, _blank, body = rendered.raw.partition(b"\r\n\r\n")
    new_head, replaced = re.subn(
        rb"(?m)^Subject:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", lambda _match: header, head + b"\r\n", count=1
    )
    if replaced != 1:
        raise ValueError("the message has no Subject header")
    return RenderedEmail(
        kind=rendered.kind,
        to=rendered.to,
        subject=subject,
        raw=new_head + b"\r\n" + body,
        message_id=rendered.message_id,
    )


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


# --- building blocks -------------------------------------------------------------------------


def _item_views(items: Sequence[EventItem], *, uid_domain: str) -> list[dict[str, Any]]:
    from shared.mail.ics import event_calendar  # icalendar only when a message is actually rendered

    views = []
    used_names: set[str] = set()
    for item in items:
        event = item.event
        view: dict[str, Any] = {
            "title": _clean(event.title),
            "when": when_in_words(event),
            "starts_iso": event.local_start.isoformat(),
            "description": event.description.strip(),
            "status": item.status,
            "has_place": item.has_place,
            "event_url": item.event_url,
            "join": None,
            "ics": None,
            "ics_filename": None,
            "google_url": None,
            "outlook_url": None,
        }
        if item.has_place:
            view["google_url"] = google_calendar_url(event, item.event_url, join_url=item.join_url)
            view["outlook_url"] = outlook_calendar_url(event, item.event_url, join_url=item.join_url)
            view["ics"] = event_calendar(
                event, uid_domain=uid_domain, url=item.join_url, details_url=item.event_url
            )
            view["ics_filename"] = _unique_filename(f"conversation-{event.local_start:%Y-%m-%d}", used_names)
            if item.include_join_details:
                view["join"] = {
                    "url": item.join_url,
                    "meeting_id": event.zoom_meeting_id.strip(),
                    "passcode": event.zoom_passcode.strip(),
                    "dial_in": [line.strip() for line in event.zoom_dial_in.splitlines() if line.strip()],
                }
        views.append(view)
    return views


def _day_in_words(event: Event, now: datetime) -> str:
    """`today`, `tomorrow`, or the date, by calendar days in the event's own zone."""
    start = event.local_start
    days_ahead = (start.date() - now.astimezone(event.zone).date()).days
    if days_ahead == 0:
        return "today"
    if days_ahead == 1:
        return "tomorrow"
    return date_in_words(start)


def _require_personal_join_link(item: EventItem) -> None:
    """The raw Zoom URL must never go out by email: only the `/join/` link that redirects to it."""
    raw_zoom = item.event.zoom_join_url.strip()
    if (raw_zoom and raw_zoom in item.join_url) or "/join/" not in urlsplit(item.join_url).path:
        raise ValueError("join_url must be the personal /join/ link, never the Zoom URL")


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
    return _clean(subject)


def _build(
    *,
    kind: str,
    template: str,
    context: dict[str, Any],
    subject: str,
    attachments: list[tuple[str, bytes]],
    to_name: str,
    to_address: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
    unsubscribe_url: str | None,
) -> RenderedEmail:
    if now.tzinfo is None:
        raise ValueError("now must carry its offset")
    environment = _environment()
    text = environment.get_template(f"{template}.txt").render(context)
    html = environment.get_template(f"{template}.html").render(context)

    sender = Address(display_name=_clean(sender_name), addr_spec=sender_address)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = Address(display_name=_clean(to_name), addr_spec=to_address)
    _set_subject(message, subject)
    message["Date"] = format_datetime(now)
    message_id = make_msgid(domain=sender.domain)
    message["Message-ID"] = message_id
    if unsubscribe_url:
        _require_absolute(unsubscribe_url)
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    for filename, data in attachments:
        message.add_attachment(
            data,
            maintype="text",
            subtype="calendar",
            filename=filename,
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    return RenderedEmail(
        kind=kind, to=to_address, subject=subject, raw=message.as_bytes(), message_id=message_id
    )


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Set Subject so that every mail client reads back exactly `subject`.

    Python's header folder can leave a literal space before a folded encoded-word as well as the
    folding space, so a long subject with an en dash or an accent reads back with a doubled space
    (it depends on the Python version: cpython gh-92081, gh-120930, gh-144156). So a
    non-ASCII subject is written here as encoded-words only, spaces inside them, pre-folded: the
    whitespace between adjacent encoded-words is ignored on decoding (RFC 2047, section 6.2).
    """
    if subject.isascii():
        message["Subject"] = subject  # plain words fold at spaces, which is lossless
        return
    from email.charset import QP, Charset
    from email.header import Header

    charset = Charset("utf-8")
    charset.header_encoding = QP  # mostly-readable =?utf-8?q?...?= rather than base64
    message.set_raw("Subject", Header(subject, charset, header_name="Subject").encode())


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["wrap"] = _wrap
    environment.filters["paragraphs"] = _paragraphs
    return environment


def _wrap(text: str, width: int = TEXT_WIDTH, indent: str = "") -> str:
    """Short lines for plain-text readers, keeping the writer's line breaks and never breaking a URL."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _paragraphs(text: str) -> Any:
    """Plain text as HTML paragraphs: blank lines part paragraphs, single breaks stay breaks."""
    from markupsafe import Markup, escape

    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("\n").join(
        Markup('<p style="margin:0 0 12px;">{}</p>').format(
            Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        )
        for block in blocks
    )


def _unique_filename(stem: str, used: set[str]) -> str:
    name, number = f"{stem}.ics", 1
    while name in used:
        number += 1
        name = f"{stem}-{number}.ics"
    used.add(name)
    return name


def _clean(text: str) -> str:
    """One line, no control characters: for headers, names and titles (no header injection)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _require_absolute(url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"email links must be absolute http(s) URLs, not {url[:40]!r}")
