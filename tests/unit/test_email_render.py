"""Rendered emails, read back the way a mail client would: MIME structure, headers, both parts,
calendar files, and what must never be in them."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from shared.domain.models import Event
from shared.mail.messages import (
    Cancellation,
    Change,
    Confirmation,
    Envelope,
    EventItem,
    JoinLink,
    ManageLink,
    PlaceOffered,
)
from shared.mail.render import RenderedEmail, Renderer, as_preview

BASE = "https://events.example.org"
MANAGE_URL = f"{BASE}/manage?token=manage-token"
UNSUBSCRIBE_URL = f"{BASE}/unsubscribe?token=unsub-token"
NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
SENDER = {"sender_name": "Conversations on Co-production", "sender_address": "events@example.org"}
PERSON = {"to_name": "Sam Jones", "to_address": "sam@example.com"}


def make_event(event_id: str = "ev1", **changes) -> Event:
    number = sum(ord(ch) for ch in event_id)
    fields = {
        "id": event_id,
        "title": "Co-production in a Digital World",
        "description": "How can digital tools help us work together as equals?\n\nAll are welcome.",
        "starts_at": datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 9, 15, 30, tzinfo=UTC),
        "zoom_join_url": f"https://us02web.zoom.us/j/{number}00777?pwd=zoompwd{number}",
        "zoom_meeting_id": f"{number} 777 0001",
        "zoom_passcode": f"kettle{number}",
        "zoom_dial_in": f"+44 20 7946 0{number}\n+44 131 496 0{number}",
        "sequence": 1,
        "updated_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return Event(**fields)


def item_for(event: Event, **changes) -> EventItem:
    fields = {
        "event": event,
        "event_url": f"{BASE}/events/{event.id}",
        "join_url": f"{BASE}/join/join-{event.id}",
    }
    fields.update(changes)
    return EventItem(**fields)


def zoom_details(event: Event) -> list[str]:
    return [
        event.zoom_join_url,
        event.zoom_meeting_id,
        event.zoom_passcode,
        *event.zoom_dial_in.splitlines(),
    ]


def render(
    kind: type,
    *,
    to_name: str,
    to_address: str,
    manage_url: str,
    sender_name: str,
    sender_address: str,
    now: datetime,
    uid_domain: str = "events.example.org",
    unsubscribe_url: str | None = None,
    **fields: Any,
) -> RenderedEmail:
    """One message of `kind`, rendered as the mailer renders every kind."""
    envelope = Envelope(to_name, to_address, manage_url, unsubscribe_url)
    renderer = Renderer(sender_name=sender_name, sender_address=sender_address, uid_domain=uid_domain)
    return renderer.render(kind(envelope, **fields), now)


def confirm(items: list[EventItem], **changes) -> RenderedEmail:
    arguments = {
        **PERSON,
        **SENDER,
        "items": items,
        "manage_url": MANAGE_URL,
        "uid_domain": "events.example.org",
        "now": NOW,
    }
    arguments.update(changes)
    return render(Confirmation, **arguments)


def parse(rendered: RenderedEmail) -> EmailMessage:
    return email.message_from_bytes(rendered.raw, policy=email.policy.default)


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def calendars_of(message: EmailMessage) -> list[tuple[EmailMessage, Calendar]]:
    return [(part, Calendar.from_ical(part.get_content())) for part in message.iter_attachments()]


def everything_readable(message: EmailMessage) -> str:
    """Every header and every decoded part: what a reader (or a leak) could see."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        pieces.append(content.decode() if isinstance(content, bytes) else content)
    return "\n".join(pieces).replace("\r\n ", "")


# --- confirmation: structure and headers ------------------------------------------------------


def test_confirmation_is_mixed_with_text_then_html_alternatives_then_one_calendar_file():
    # Given a sign-up for one event
    rendered = confirm([item_for(make_event())])
    # When a mail client reads it
    message = parse(rendered)
    # Then it is multipart/mixed: the alternatives first (plain text before HTML), then the .ics
    assert message.get_content_type() == "multipart/mixed"
    parts = message.get_payload()
    assert [part.get_content_type() for part in parts] == ["multipart/alternative", "text/calendar"]
    assert [part.get_content_type() for part in parts[0].get_payload()] == ["text/plain", "text/html"]
    attachment = parts[1]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "conversation-2026-12-09.ics"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_content_charset() == "utf-8"


def test_confirmation_headers_name_the_sender_and_date_it_with_the_given_time():
    rendered = confirm([item_for(make_event())])
    message = parse(rendered)
    assert message["From"].addresses[0].display_name == "Conversations on Co-production"
    assert message["From"].addresses[0].addr_spec == "events@example.org"
    assert parseaddr(str(message["To"])) == ("Sam Jones", "sam@example.com")
    assert message["Subject"] == "You're signed up: Co-production in a Digital World"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"] == rendered.message_id
    assert re.fullmatch(r"<[^@>]+@example\.org>", rendered.message_id)
    assert rendered.kind == "confirmation"
    assert rendered.to == "sam@example.com"
    assert rendered.subject == message["Subject"]
    assert "List-Unsubscribe" not in message


def test_unsubscribe_headers_follow_rfc_8058_when_a_link_is_given():
    message = parse(confirm([item_for(make_event())], unsubscribe_url=UNSUBSCRIBE_URL))
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_every_message_gets_its_own_message_id():
    first = confirm([item_for(make_event())])
    second = confirm([item_for(make_event())])
    assert first.message_id != second.message_id


# --- confirmation: what it says ---------------------------------------------------------------


def test_confirmation_gives_time_in_words_description_calendar_links_and_manage_link_in_both_parts():
    message = parse(confirm([item_for(make_event())]))
    for body in (text_of(message), html_of(message)):
        assert "Co-production in a Digital World" in body
        assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in body
        assert "How can digital tools help us work together as equals?" in body
        assert "You have a place." in body
        assert "On the morning of the event, we will email you the Zoom link." in " ".join(body.split())
        assert "https://calendar.google.com/calendar/render?" in body
        assert "https://outlook.live.com/calendar/0/deeplink/compose?" in body
        assert f"{BASE}/events/ev1" in body
        assert "conversation-2026-12-09.ics" in body
    assert MANAGE_URL in text_of(message)
    assert f'href="{MANAGE_URL}"' in html_of(message)
    assert "Add Co-production in a Digital World to Google Calendar" in html_of(message)
    assert "Add Co-production in a Digital World to Outlook" in html_of(message)


def test_confirmation_without_late_sign_up_carries_no_zoom_details_anywhere():
    # Given a sign-up well before the morning send
    event = make_event()
    message = parse(confirm([item_for(event)]))
    # Then no header, part or calendar file carries the Zoom link, meeting ID, passcode or dial-in
    readable = everything_readable(message)
    for secret in zoom_details(event):
        assert secret not in readable
    assert "zoom.us" not in readable
    assert "Passcode" not in readable
    assert "Meeting ID" not in readable


def test_confirmation_calendar_file_is_the_events_with_the_personal_join_link_as_url():
    event = make_event(sequence=4)
    ((_part, calendar),) = calendars_of(parse(confirm([item_for(event)])))
    (vevent,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "PUBLISH"
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 4
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.start == datetime(2026, 12, 9, 14, 0, tzinfo=ZoneInfo("Europe/London"))
    assert str(vevent["URL"]) == f"{BASE}/join/join-ev1"
    assert "ORGANIZER" not in vevent
    assert "ATTENDEE" not in vevent
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_sign_up_for_three_events_lists_each_with_its_own_calendar_file():
    # Given three events, two of them on the same day
    events = [
        make_event("ev1"),
        make_event(
            "ev2",
            title="When to re-balance the power?",
            starts_at=datetime(2027, 1, 13, 14, 0, tzinfo=UTC),
            ends_at=datetime(2027, 1, 13, 15, 30, tzinfo=UTC),
        ),
        make_event(
            "ev3",
            title="Employing people with lived experience",
            starts_at=datetime(2027, 1, 13, 18, 0, tzinfo=UTC),
            ends_at=datetime(2027, 1, 13, 19, 0, tzinfo=UTC),
        ),
    ]
    message = parse(confirm([item_for(event) for event in events]))
    # Then the subject counts them, and each comes with its own calendar file
    assert message["Subject"] == "You're signed up for 3 Conversations on Co-production"
    calendars = calendars_of(message)
    assert [part.get_filename() for part, _ in calendars] == [
        "conversation-2026-12-09.ics",
        "conversation-2027-01-13.ics",
        "conversation-2027-01-13-2.ics",
    ]
    uids = [str(calendar.walk("VEVENT")[0]["UID"]) for _, calendar in calendars]
    assert uids == ["ev1@events.example.org", "ev2@events.example.org", "ev3@events.example.org"]
    text = text_of(message)
    for title in ("Co-production in a Digital World", "When to re-balance the power?", "Employing people"):
        assert title in text
    assert "Conversation 3 of 3:" in text
    assert "On the morning of each event, we will email you the Zoom link." in " ".join(text.split())


def test_waitlisted_event_says_so_and_promises_an_email_if_a_place_comes_up():
    # Given a sign-up that landed on the waiting list
    message = parse(confirm([item_for(make_event(), status="waitlisted")]))
    # Then the subject and both parts say so plainly
    assert message["Subject"] == "You're on the waiting list: Co-production in a Digital World"
    for body in (text_of(message), html_of(message)):
        flat = " ".join(body.split())
        assert "you are on the waiting list" in flat
        assert "If a place comes up, we will email you" in flat
        assert "You have a place." not in flat
        # No Zoom-link promise for a place they do not have
        assert "We will email you the Zoom link" not in flat
    # And nothing goes into their calendar for a place they do not have yet
    assert calendars_of(message) == []
    assert message.get_content_type() == "multipart/alternative"


def test_mixed_statuses_each_read_correctly_and_only_places_get_calendar_files():
    items = [
        item_for(make_event("ev1")),
        item_for(make_event("ev2", title="When to re-balance the power?"), status="waitlisted"),
        item_for(
            make_event("ev3", title="Employing people with lived experience"), status="already_registered"
        ),
    ]
    message = parse(confirm(items))
    assert message["Subject"] == "Your sign-up for 3 Conversations on Co-production"
    flat = " ".join(text_of(message).split())
    assert "You have a place." in flat
    assert "you are on the waiting list" in flat
    assert "You had already signed up for this one. Your place has not changed." in flat
    uids = [str(calendar.walk("VEVENT")[0]["UID"]) for _, calendar in calendars_of(message)]
    assert uids == ["ev1@events.example.org", "ev3@events.example.org"]


def test_repeat_sign_up_for_an_event_already_booked_reads_as_a_reminder():
    message = parse(confirm([item_for(make_event(), status="already_registered")]))
    assert message["Subject"] == "You're signed up: Co-production in a Digital World"
    flat = " ".join(text_of(message).split())
    assert "You had already signed up for this one. Your place has not changed." in flat
    assert len(calendars_of(message)) == 1


# --- late sign-up -----------------------------------------------------------------------------


def test_late_sign_up_carries_the_personal_join_link_and_meeting_details():
    # Given a sign-up after that event's morning send
    event = make_event()
    message = parse(confirm([item_for(event, include_join_details=True)]))
    # Then both parts give the personal join link, meeting ID, passcode and dial-in
    for body in (text_of(message), html_of(message)):
        assert f"{BASE}/join/join-ev1" in body
        assert event.zoom_meeting_id in body
        assert event.zoom_passcode in body
        for line in event.zoom_dial_in.splitlines():
            assert line in body
        # And no promise of a morning email that already went
        assert "We will email you the Zoom link" not in " ".join(body.split())
    # But the raw Zoom URL never appears: the personal link redirects to it on the day
    assert event.zoom_join_url not in everything_readable(message)
    assert "zoom.us" not in everything_readable(message)


def test_late_and_early_sign_ups_together_show_zoom_details_only_for_the_late_event():
    late = make_event("late", title="Today's conversation")
    early = make_event("early", title="Next month's conversation")
    message = parse(confirm([item_for(late, include_join_details=True), item_for(early)]))
    readable = everything_readable(message)
    assert late.zoom_passcode in readable
    assert late.zoom_meeting_id in readable
    for secret in zoom_details(early):
        assert secret not in readable
    assert "On the morning of the event, we will email you the Zoom link." in " ".join(
        text_of(message).split()
    )


def test_waiting_list_item_never_shows_join_details_even_if_asked():
    event = make_event()
    message = parse(confirm([item_for(event, status="waitlisted", include_join_details=True)]))
    readable = everything_readable(message)
    for secret in zoom_details(event):
        assert secret not in readable


# --- time zones in words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        (datetime(2026, 10, 25, 14, 0, tzinfo=UTC), "Sunday 25 October 2026, 2:00pm to 3:30pm UK time (GMT)"),
        (datetime(2027, 3, 28, 13, 0, tzinfo=UTC), "Sunday 28 March 2027, 2:00pm to 3:30pm UK time (BST)"),
    ],
)
def test_clock_change_dates_show_the_right_uk_zone_in_the_email(starts_at, expected):
    event = make_event(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90))
    message = parse(confirm([item_for(event)]))
    assert expected in text_of(message)
    assert expected in html_of(message)


# --- safety: escaping, headers, links ---------------------------------------------------------


def test_hostile_title_and_name_are_escaped_in_html():
    # Given a title and a name carrying markup
    event = make_event(title="<script>alert('title')</script>", description="<b>bold</b> & <i>more</i>")
    message = parse(confirm([item_for(event)], to_name="<script>alert('name')</script>"))
    html = html_of(message)
    # Then the HTML shows them as text, never as markup
    assert "<script" not in html
    assert "&lt;script&gt;alert(" in html
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;more&lt;/i&gt;" in html
    # And the plain text part shows them as written (it is never read as HTML)
    assert "<script>alert('title')</script>" in text_of(message)


def test_title_with_line_breaks_cannot_inject_headers():
    event = make_event(title="Hello\r\nBcc: victim@example.com")
    message = parse(confirm([item_for(event)]))
    assert message["Bcc"] is None
    assert message["Subject"] == "You're signed up: Hello Bcc: victim@example.com"


def test_non_ascii_names_survive_the_headers():
    message = parse(confirm([item_for(make_event())], to_name="Siân O'Néill, MBE"))
    assert message["To"].addresses[0].display_name == "Siân O'Néill, MBE"
    assert message["To"].addresses[0].addr_spec == "sam@example.com"
    assert "Hello Siân O'Néill, MBE," in text_of(message)


def test_every_html_link_is_absolute_and_written_out_in_the_text_part():
    message = parse(confirm([item_for(make_event()), item_for(make_event("ev2"), status="waitlisted")]))
    html, text = html_of(message), text_of(message)
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]
    assert hrefs
    for href in hrefs:
        assert href.startswith("https://")
        assert href in text


def test_text_part_reads_well_on_its_own():
    text = text_of(parse(confirm([item_for(make_event())])))
    assert "click here" not in text.lower()
    assert "<" not in text.replace("<script", "")
    # Short lines, except where a URL must stay whole
    for line in text.splitlines():
        assert len(line) <= 72 or line.startswith("https://"), line


def test_html_is_simple_and_accessible():
    html = html_of(parse(confirm([item_for(make_event())])))
    assert '<html lang="en-GB">' in html
    assert "<h1" in html
    assert "<h2" in html
    assert "<img" not in html
    assert "display:none" not in html.replace(" ", "")
    assert "click here" not in html.lower()
    assert "<title>You're signed up: Co-production in a Digital World</title>" in html.replace("&#39;", "'")


def test_relative_links_are_refused():
    with pytest.raises(ValueError, match="absolute"):
        confirm([item_for(make_event())], manage_url="/manage?token=x")
    with pytest.raises(ValueError, match="absolute"):
        item_for(make_event(), join_url="/join/x")


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        item_for(make_event(), status="cancelled")


def test_a_confirmation_needs_at_least_one_event():
    with pytest.raises(ValueError):
        confirm([])


# --- the other emails -------------------------------------------------------------------------


def test_manage_link_email_is_short_with_the_link_in_both_parts_and_no_attachment():
    rendered = render(ManageLink, **PERSON, **SENDER, manage_url=MANAGE_URL, now=NOW)
    message = parse(rendered)
    assert rendered.kind == "manage_link"
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []
    assert message["Subject"] == "Your link to see or cancel your places"
    assert MANAGE_URL in text_of(message)
    assert f'href="{MANAGE_URL}"' in html_of(message)
    assert "If you did not ask for this email, you can ignore it." in " ".join(text_of(message).split())
    assert parsedate_to_datetime(message["Date"]) == NOW


def test_place_offered_email_gives_the_place_its_time_calendar_file_and_manage_link():
    event = make_event(sequence=2)
    rendered = render(
        PlaceOffered,
        **PERSON,
        **SENDER,
        item=item_for(event, status="waitlisted"),
        manage_url=MANAGE_URL,
        uid_domain="events.example.org",
        now=NOW,
    )
    message = parse(rendered)
    assert rendered.kind == "place_offered"
    assert message["Subject"] == "You have a place: Co-production in a Digital World"
    text = text_of(message)
    flat = " ".join(text.split())
    assert "a place has come up" in flat
    assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in text
    assert "On the morning of the event, we will email you the Zoom link." in flat
    assert MANAGE_URL in text
    ((_part, calendar),) = calendars_of(message)
    vevent = calendar.walk("VEVENT")[0]
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 2
    assert str(vevent["URL"]) == f"{BASE}/join/join-ev1"
    for secret in zoom_details(event):
        assert secret not in everything_readable(message)


def test_place_offered_after_the_morning_send_includes_the_join_details():
    event = make_event()
    message = parse(
        render(
            PlaceOffered,
            **PERSON,
            **SENDER,
            item=item_for(event, include_join_details=True),
            manage_url=MANAGE_URL,
            uid_domain="events.example.org",
            now=NOW,
            unsubscribe_url=UNSUBSCRIBE_URL,
        )
    )
    text = text_of(message)
    assert f"{BASE}/join/join-ev1" in text
    assert event.zoom_passcode in text
    assert event.zoom_meeting_id in text
    assert "We will email you the Zoom link" not in " ".join(text.split())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# --- the morning join-link email --------------------------------------------------------------

MORNING = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)  # 07:00 UK time (GMT) on the day of make_event()
RAW_ZOOM_URL = "https://zoom.us/j/98765432100?pwd=RawZoomSecret"
DASH = "\N{EN DASH}"


def join_link(item: EventItem | None = None, **changes: Any) -> RenderedEmail:
    arguments: dict[str, Any] = {
        **PERSON,
        **SENDER,
        "item": item or item_for(make_event(zoom_join_url=RAW_ZOOM_URL)),
        "manage_url": MANAGE_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "uid_domain": "events.example.org",
        "now": MORNING,
    }
    arguments.update(changes)
    return render(JoinLink, **arguments)


def event_at(local_start: datetime, minutes: int = 90, **changes) -> Event:
    """An event starting at a UK wall-clock time (naive `local_start`, read in Europe/London)."""
    start = local_start.replace(tzinfo=ZoneInfo("Europe/London"))
    return make_event(starts_at=start, ends_at=start + timedelta(minutes=minutes), **changes)


def test_join_link_is_mixed_with_text_then_html_alternatives_then_the_calendar_file():
    # Given a registration on the event morning
    rendered = join_link()
    # When a mail client reads it
    message = parse(rendered)
    # Then it is the text and HTML alternatives, followed by the event's calendar file
    assert rendered.kind == "join_link"
    assert message.get_content_type() == "multipart/mixed"
    parts = message.get_payload()
    assert [part.get_content_type() for part in parts] == ["multipart/alternative", "text/calendar"]
    assert [part.get_content_type() for part in parts[0].get_payload()] == ["text/plain", "text/html"]
    assert parts[1].get_content_disposition() == "attachment"
    assert parts[1].get_filename() == "conversation-2026-12-09.ics"
    assert parts[1].get_param("method") == "PUBLISH"


def test_join_link_headers_name_the_sender_and_offer_one_click_unsubscribe():
    rendered = join_link()
    message = parse(rendered)
    assert message["From"].addresses[0].display_name == "Conversations on Co-production"
    assert message["From"].addresses[0].addr_spec == "events@example.org"
    assert parseaddr(str(message["To"])) == ("Sam Jones", "sam@example.com")
    assert parsedate_to_datetime(message["Date"]) == MORNING
    assert message["Message-ID"] == rendered.message_id
    assert re.fullmatch(r"<[^@>]+@example\.org>", rendered.message_id)
    assert rendered.to == "sam@example.com"
    assert rendered.subject == message["Subject"]
    # RFC 2369 wants the URL in angle brackets; RFC 8058 wants this exact POST body
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE_URL}>\r\n".encode() in rendered.raw
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in rendered.raw


def test_join_link_gives_the_personal_link_meeting_id_passcode_and_dial_in_in_both_parts():
    event = make_event(zoom_join_url=RAW_ZOOM_URL)
    message = parse(join_link(item_for(event)))
    text, html = text_of(message), html_of(message)
    for body in (text, html):
        flat = " ".join(body.split())
        assert f"{BASE}/join/join-ev1" in body
        assert f"Meeting ID: {event.zoom_meeting_id}" in body
        assert f"Passcode: {event.zoom_passcode}" in body
        for line in event.zoom_dial_in.splitlines():
            assert line in body
        assert "Joining by phone" in body
        assert "Co-production in a Digital World" in body
        assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in body
        assert "This link is just for you, so please do not share it." in flat
        assert "If you can no longer come" in body
        assert "Please cancel, so someone else can have your place." in flat
        assert "today's conversation" in flat.replace("&#39;", "'")
    assert MANAGE_URL in text
    assert UNSUBSCRIBE_URL in text
    assert "Join the conversation on Zoom with your personal link:" in text
    assert f'<a href="{BASE}/join/join-ev1"><strong>Join the conversation on Zoom</strong></a>' in html
    assert f'href="{MANAGE_URL}"' in html
    assert f'href="{UNSUBSCRIBE_URL}"' in html


def test_join_link_never_carries_the_raw_zoom_url():
    # Given an event whose Zoom URL is the one secret the redirect stands in for
    event = make_event(zoom_join_url=RAW_ZOOM_URL)
    message = parse(join_link(item_for(event)))
    # Then no header, body part or calendar file carries it: only the personal /join/ link
    readable = everything_readable(message)
    assert RAW_ZOOM_URL not in readable
    assert "zoom.us" not in readable
    assert "RawZoomSecret" not in readable
    for body in (text_of(message), html_of(message)):
        assert "https://zoom.us/j/" not in body


def test_join_link_refuses_the_raw_zoom_url_or_any_other_link_as_the_join_link():
    event = make_event(zoom_join_url=RAW_ZOOM_URL)
    with pytest.raises(ValueError, match="/join/"):
        join_link(item_for(event, join_url=RAW_ZOOM_URL))
    with pytest.raises(ValueError, match="/join/"):
        join_link(item_for(event, join_url=f"{BASE}/events/ev1"))


def test_join_link_goes_only_to_someone_with_a_place():
    with pytest.raises(ValueError, match="waiting list"):
        join_link(item_for(make_event(), status="waitlisted"))
    # A repeat sign-up still holds its place
    assert join_link(item_for(make_event(), status="already_registered")).kind == "join_link"


def test_join_link_refuses_relative_links_and_a_naive_clock():
    with pytest.raises(ValueError, match="absolute"):
        join_link(unsubscribe_url="/unsubscribe?token=x")
    with pytest.raises(ValueError, match="absolute"):
        join_link(manage_url="/manage?token=x")
    with pytest.raises(ValueError, match="offset"):
        join_link(now=datetime(2026, 12, 9, 7, 0))


@pytest.mark.parametrize(
    ("local_start", "now", "day"),
    [
        # The usual morning: 07:00 GMT, event at 14:00
        (datetime(2026, 12, 9, 14, 0), datetime(2026, 12, 9, 7, 0, tzinfo=UTC), "Today"),
        # A 06:30 event: its link goes out at 07:00 the day before
        (datetime(2026, 12, 10, 6, 30), datetime(2026, 12, 9, 7, 0, tzinfo=UTC), "Tomorrow"),
        # Either side of midnight in winter (UK time is UTC)
        (datetime(2026, 12, 9, 14, 0), datetime(2026, 12, 8, 23, 59, tzinfo=UTC), "Tomorrow"),
        (datetime(2026, 12, 9, 14, 0), datetime(2026, 12, 9, 0, 0, tzinfo=UTC), "Today"),
        # In summer 23:30 UTC is already 00:30 the next day in the UK
        (datetime(2026, 7, 15, 14, 0), datetime(2026, 7, 14, 23, 30, tzinfo=UTC), "Today"),
        (datetime(2026, 7, 15, 14, 0), datetime(2026, 7, 14, 22, 30, tzinfo=UTC), "Tomorrow"),
        # Clocks go back on 2026-10-25: 06:00Z is 06:00 GMT that day, 07:00Z the 07:00 run
        (datetime(2026, 10, 25, 14, 0), datetime(2026, 10, 25, 6, 0, tzinfo=UTC), "Today"),
        (datetime(2026, 10, 25, 14, 0), datetime(2026, 10, 25, 7, 0, tzinfo=UTC), "Today"),
        # ...and a 06:30 event that day is sent at 07:00 BST (06:00Z) on the 24th
        (datetime(2026, 10, 25, 6, 30), datetime(2026, 10, 24, 6, 0, tzinfo=UTC), "Tomorrow"),
        # 23:30Z on the 24th is 00:30 BST on the 25th, before the clocks go back at 02:00
        (datetime(2026, 10, 25, 14, 0), datetime(2026, 10, 24, 23, 30, tzinfo=UTC), "Today"),
        # Clocks go forward on 2027-03-28: the 07:00 run is 06:00Z, in BST
        (datetime(2027, 3, 28, 14, 0), datetime(2027, 3, 28, 6, 0, tzinfo=UTC), "Today"),
        # ...a 06:30 BST event that day is sent at 07:00 GMT (07:00Z) on the 27th
        (datetime(2027, 3, 28, 6, 30), datetime(2027, 3, 27, 7, 0, tzinfo=UTC), "Tomorrow"),
        (datetime(2027, 3, 28, 14, 0), datetime(2027, 3, 27, 23, 30, tzinfo=UTC), "Tomorrow"),
        (datetime(2027, 3, 28, 14, 0), datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "Today"),
    ],
)
def test_subject_says_today_or_tomorrow_by_the_events_own_calendar_day(local_start, now, day):
    # Given an event at a UK wall-clock time and the moment the link goes out
    event = event_at(local_start)
    # When the join-link email is rendered then
    message = parse(join_link(item_for(event), now=now))
    # Then the subject and the opening say the day as someone in the UK would
    assert message["Subject"] == f"{day}: Co-production in a Digital World {DASH} your Zoom link"
    for body in (text_of(message), html_of(message)):
        assert f"{day.lower()}'s conversation" in " ".join(body.split()).replace("&#39;", "'")


@pytest.mark.parametrize(
    ("local_start", "now", "expected"),
    [
        (
            datetime(2026, 10, 25, 14, 0),
            datetime(2026, 10, 25, 6, 0, tzinfo=UTC),
            "Sunday 25 October 2026, 2:00pm to 3:30pm UK time (GMT)",
        ),
        (
            datetime(2027, 3, 28, 14, 0),
            datetime(2027, 3, 28, 6, 0, tzinfo=UTC),
            "Sunday 28 March 2027, 2:00pm to 3:30pm UK time (BST)",
        ),
    ],
)
def test_join_link_on_clock_change_days_gives_the_time_with_the_right_uk_zone(local_start, now, expected):
    message = parse(join_link(item_for(event_at(local_start)), now=now))
    assert expected in text_of(message)
    assert expected in html_of(message)
    ((_part, calendar),) = calendars_of(message)
    assert calendar.walk("VEVENT")[0].start == local_start.replace(tzinfo=ZoneInfo("Europe/London"))


def test_subject_gives_the_date_when_the_event_is_neither_today_nor_tomorrow():
    # Given a link sent (late, or resent) two days ahead
    message = parse(join_link(now=datetime(2026, 12, 7, 7, 0, tzinfo=UTC)))
    subject = f"Wednesday 9 December 2026: Co-production in a Digital World {DASH} your Zoom link"
    assert message["Subject"] == subject
    assert "for the conversation on Wednesday 9 December 2026." in " ".join(text_of(message).split())


def test_join_link_escapes_a_hostile_title_and_name_in_html():
    event = make_event(title="<script>alert('title')</script>", zoom_join_url=RAW_ZOOM_URL)
    message = parse(join_link(item_for(event), to_name="<img src=x onerror=alert(1)>"))
    html = html_of(message)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # The plain text shows the title as written; the subject keeps it on one line
    assert "<script>alert('title')</script>" in text_of(message)
    assert message["Subject"] == f"Today: <script>alert('title')</script> {DASH} your Zoom link"


def test_join_link_title_with_line_breaks_cannot_inject_headers():
    message = parse(join_link(item_for(make_event(title="Hello\r\nBcc: victim@example.com"))))
    assert message["Bcc"] is None
    assert message["Subject"] == f"Today: Hello Bcc: victim@example.com {DASH} your Zoom link"


def test_join_link_calendar_file_is_the_public_event_with_the_join_link_as_url():
    event = make_event(sequence=3, zoom_join_url=RAW_ZOOM_URL)
    ((part, calendar),) = calendars_of(parse(join_link(item_for(event))))
    (vevent,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "PUBLISH"
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 3
    assert vevent["STATUS"] == "CONFIRMED"
    assert str(vevent["URL"]) == f"{BASE}/join/join-ev1"
    assert vevent.start == datetime(2026, 12, 9, 14, 0, tzinfo=ZoneInfo("Europe/London"))
    assert "ORGANIZER" not in vevent
    assert "ATTENDEE" not in vevent
    assert "zoom.us" not in part.get_content()


def test_join_link_text_part_reads_well_on_its_own_and_matches_every_html_link():
    message = parse(join_link())
    html, text = html_of(message), text_of(message)
    assert "click here" not in text.lower()
    assert "click here" not in html.lower()
    assert "<" not in text
    for line in text.splitlines():
        assert len(line) <= 72 or line.startswith("https://"), line
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]
    assert len(hrefs) == 4  # join, manage, event page, unsubscribe
    for href in hrefs:
        assert href.startswith("https://")
        assert href in text


def test_join_link_html_is_simple_and_accessible():
    html = html_of(parse(join_link()))
    assert '<html lang="en-GB">' in html
    assert "<h1" in html
    assert "<img" not in html
    assert "display:none" not in html.replace(" ", "")
    assert f"<title>Today: Co-production in a Digital World {DASH} your Zoom link</title>" in html


def test_join_link_without_dial_in_or_passcode_leaves_those_lines_out():
    event = make_event(zoom_dial_in="", zoom_passcode="", zoom_meeting_id="")
    message = parse(join_link(item_for(event)))
    for body in (text_of(message), html_of(message)):
        assert f"{BASE}/join/join-ev1" in body
        assert "Joining by phone" not in body
        assert "Passcode" not in body
        assert "Meeting ID" not in body


def test_multi_line_dial_in_keeps_each_number_on_its_own_line():
    event = make_event(
        zoom_dial_in="+44 203 481 5237 United Kingdom\r\n\n  +44 131 460 1196 United Kingdom  "
    )
    message = parse(join_link(item_for(event)))
    text_lines = text_of(message).splitlines()
    assert "  +44 203 481 5237 United Kingdom" in text_lines
    assert "  +44 131 460 1196 United Kingdom" in text_lines
    html = html_of(message)
    assert "<li>+44 203 481 5237 United Kingdom</li>" in html
    assert "<li>+44 131 460 1196 United Kingdom</li>" in html


def test_every_join_link_email_gets_its_own_message_id():
    assert join_link().message_id != join_link().message_id


@pytest.mark.parametrize("padding", range(0, 60, 3))
def test_long_non_ascii_subjects_read_back_exactly_with_no_doubled_spaces(padding):
    # Given titles whose subjects fold at every point around an en dash and a non-ASCII name
    title = f"Siân's conversation {'x' * padding} {DASH} and a few more words to fold"
    for rendered in (
        confirm([item_for(make_event(title=title))]),
        join_link(item_for(make_event(title=title))),
    ):
        message = parse(rendered)
        # Then a mail client reads back exactly the subject written, single spaces and all
        assert message["Subject"] == rendered.subject
        assert "  " not in message["Subject"]
        headers = rendered.raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in headers.split(b"\r\n"))


# --- changes and cancellations ----------------------------------------------------------------

OLD_START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
OLD_END = datetime(2026, 12, 9, 15, 30, tzinfo=UTC)
SIGNUP_URL = f"{BASE}/signup"


def change(item: EventItem | None = None, **changes: Any) -> RenderedEmail:
    moved = make_event(
        starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 10, 16, 30, tzinfo=UTC),
        zoom_join_url=RAW_ZOOM_URL,
        sequence=2,
    )
    arguments: dict[str, Any] = {
        **PERSON,
        **SENDER,
        "item": item or item_for(moved),
        "old_starts_at": OLD_START,
        "old_ends_at": OLD_END,
        "time_changed": True,
        "zoom_changed": False,
        "manage_url": MANAGE_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "uid_domain": "events.example.org",
        "now": NOW,
    }
    arguments.update(changes)
    return render(Change, **arguments)


def cancellation(item: EventItem | None = None, **changes: Any) -> RenderedEmail:
    arguments: dict[str, Any] = {
        **PERSON,
        **SENDER,
        "item": item or item_for(make_event(status="cancelled", sequence=3, zoom_join_url=RAW_ZOOM_URL)),
        "message": "",
        "signup_url": SIGNUP_URL,
        "manage_url": MANAGE_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "uid_domain": "events.example.org",
        "now": NOW,
    }
    arguments.update(changes)
    return render(Cancellation, **arguments)


def test_a_new_time_gives_both_times_in_words_and_a_calendar_file_that_updates_the_old_one():
    rendered = change()
    message = parse(rendered)
    assert rendered.kind == "change"
    assert message["Subject"] == "New time: Co-production in a Digital World"
    for body in (text_of(message), html_of(message)):
        flat = " ".join(body.split())
        assert "Thursday 10 December 2026, 3:00pm to 4:30pm UK time (GMT)" in flat
        assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in flat
        assert "It has moved to Thursday 10 December 2026." in flat
        assert "You still have your place" in flat
        assert "On the morning of the event, we will email you the Zoom link." in flat
    ((part, calendar),) = calendars_of(message)
    (vevent,) = calendar.walk("VEVENT")
    assert part.get_filename() == "conversation-2026-12-10.ics"
    assert calendar["METHOD"] == "PUBLISH"
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["SEQUENCE"] == 2
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent.start == datetime(2026, 12, 10, 15, 0, tzinfo=ZoneInfo("Europe/London"))
    assert str(vevent["URL"]) == f"{BASE}/join/join-ev1"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"] == rendered.message_id
    assert message["From"].addresses[0].display_name == "Conversations on Co-production"
    # Before the morning send: no Zoom details at all
    readable = everything_readable(message)
    assert "zoom.us" not in readable and "Passcode" not in readable


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "sentence"),
    [
        (OLD_START, OLD_END + timedelta(minutes=30), "It now finishes at 4:00pm rather than 3:30pm."),
        (
            OLD_START + timedelta(hours=1),
            OLD_END + timedelta(hours=1),
            "It now starts at 3:00pm rather than 2:00pm, on the same day.",
        ),
        (
            OLD_START + timedelta(days=7),
            OLD_END + timedelta(days=7),
            "It has moved to Wednesday 16 December 2026.",
        ),
        (
            OLD_START - timedelta(hours=1),
            OLD_END,
            "It now starts and finishes at different times, on the same day.",
        ),
        (
            OLD_START + timedelta(days=1),
            OLD_END + timedelta(days=1, hours=1),
            "It has moved to Thursday 10 December 2026, and its length has changed.",
        ),
    ],
)
def test_the_change_email_says_in_one_sentence_what_moved(starts_at, ends_at, sentence):
    event = make_event(starts_at=starts_at, ends_at=ends_at)
    message = parse(change(item_for(event)))
    assert sentence in " ".join(text_of(message).split())
    assert sentence in " ".join(html_of(message).split())


def test_a_new_time_across_the_clock_change_names_the_zone_of_each_time():
    summer = datetime(2026, 10, 24, 13, 0, tzinfo=UTC)  # 2:00pm BST
    event = make_event(
        starts_at=datetime(2026, 10, 31, 14, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 31, 15, 30, tzinfo=UTC),
    )
    message = parse(change(item_for(event), old_starts_at=summer, old_ends_at=summer + timedelta(minutes=90)))
    text = " ".join(text_of(message).split())
    assert "Saturday 31 October 2026, 2:00pm to 3:30pm UK time (GMT)" in text
    assert "Saturday 24 October 2026, 2:00pm to 3:30pm UK time (BST)" in text


def test_new_zoom_details_give_the_personal_link_and_details_never_the_raw_url_and_no_calendar_file():
    event = make_event(zoom_join_url=RAW_ZOOM_URL)
    rendered = change(item_for(event, include_join_details=True), time_changed=False, zoom_changed=True)
    message = parse(rendered)
    assert message["Subject"] == "New Zoom details: Co-production in a Digital World"
    assert calendars_of(message) == []
    assert message.get_content_type() == "multipart/alternative"
    for body in (text_of(message), html_of(message)):
        flat = " ".join(body.split())
        assert "The Zoom details for Co-production in a Digital World have changed." in flat
        assert f"{BASE}/join/join-ev1" in body
        assert f"Meeting ID: {event.zoom_meeting_id}" in body
        assert f"Passcode: {event.zoom_passcode}" in body
        assert "Your personal link is the same. It now takes you to the new meeting." in flat
        assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in flat
        assert "The old time" not in flat
    readable = everything_readable(message)
    assert RAW_ZOOM_URL not in readable and "zoom.us" not in readable


def test_a_new_time_after_the_links_went_out_repeats_the_join_details():
    event = make_event(
        starts_at=OLD_START + timedelta(hours=1),
        ends_at=OLD_END + timedelta(hours=1),
        zoom_join_url=RAW_ZOOM_URL,
    )
    message = parse(change(item_for(event, include_join_details=True)))
    text = text_of(message)
    assert "How to join" in text
    assert f"Passcode: {event.zoom_passcode}" in text
    assert "We will email you the Zoom link" not in " ".join(text.split())
    assert "zoom.us" not in everything_readable(message)


def test_a_change_email_refuses_no_change_zoom_news_without_details_and_the_waiting_list():
    with pytest.raises(ValueError, match="change"):
        change(time_changed=False, zoom_changed=False)
    with pytest.raises(ValueError, match="join link"):
        change(time_changed=False, zoom_changed=True)
    with pytest.raises(ValueError, match="waiting list"):
        change(item_for(make_event(), status="waitlisted"))
    with pytest.raises(ValueError, match="/join/"):
        change(
            item_for(make_event(zoom_join_url=RAW_ZOOM_URL), join_url=RAW_ZOOM_URL, include_join_details=True)
        )
    with pytest.raises(ValueError, match="absolute"):
        change(unsubscribe_url="/unsubscribe?token=x")


def test_a_cancellation_for_a_place_carries_a_cancelled_calendar_file_with_the_same_uid():
    rendered = cancellation()
    message = parse(rendered)
    assert rendered.kind == "cancellation"
    assert message["Subject"] == "Cancelled: Co-production in a Digital World"
    ((part, calendar),) = calendars_of(message)
    (vevent,) = calendar.walk("VEVENT")
    assert part.get_filename() == "conversation-2026-12-09.ics"
    assert vevent["UID"] == "ev1@events.example.org"
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["URL"]) == f"{BASE}/events/ev1"
    assert "This conversation has been cancelled." in str(vevent["DESCRIPTION"])
    for body in (text_of(message), html_of(message)):
        flat = " ".join(body.split())
        assert "We are sorry to tell you that Co-production in a Digital World has been cancelled." in flat
        assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in flat
        assert "We have cancelled your place." in flat
        assert "A message from the organisers" not in flat
    assert SIGNUP_URL in text_of(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    readable = everything_readable(message)
    assert "zoom.us" not in readable and "/join/" not in readable


def test_a_cancellation_for_the_waiting_list_says_so_and_still_carries_the_calendar_file():
    message = parse(cancellation(item_for(make_event(status="cancelled"), status="waitlisted")))
    flat = " ".join(text_of(message).split())
    assert "You were on the waiting list for it." in flat
    assert "Your place has been cancelled" not in flat
    assert "If you added it to your calendar" in flat
    ((_part, calendar),) = calendars_of(message)
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_the_admins_message_is_kept_in_text_and_escaped_in_html():
    message = parse(
        cancellation(message="Our speaker is <b>unwell</b>.\n\nWe will write with a new date & time.")
    )
    text, html = text_of(message), html_of(message)
    assert "  Our speaker is <b>unwell</b>." in text.splitlines()
    assert "  We will write with a new date & time." in text.splitlines()
    assert "<b>unwell</b>" not in html
    assert "Our speaker is &lt;b&gt;unwell&lt;/b&gt;." in html
    assert "new date &amp; time." in html


@pytest.mark.parametrize("which", ["time", "zoom", "cancellation", "cancellation-with-message"])
def test_change_and_cancellation_text_parts_read_well_and_carry_every_html_link(which):
    if which == "time":
        rendered = change()
    elif which == "zoom":
        event = make_event(zoom_join_url=RAW_ZOOM_URL)
        rendered = change(item_for(event, include_join_details=True), time_changed=False, zoom_changed=True)
    else:
        rendered = cancellation(
            message="A long message from the organisers " * 8 if "message" in which else ""
        )
    message = parse(rendered)
    text, html = text_of(message), html_of(message)
    assert "click here" not in text.lower() and "click here" not in html.lower()
    assert "<" not in text
    for line in text.splitlines():
        assert len(line) <= 72 or line.startswith("https://"), line
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]
    assert hrefs
    for href in hrefs:
        assert href.startswith("https://")
        assert href in text
    assert '<html lang="en-GB">' in html and "<img" not in html


def test_a_preview_prefixes_the_subject_and_changes_nothing_else():
    title = f"Siân's conversation {'x' * 30} {DASH} and a few more words to fold"
    for rendered in (change(), cancellation(), join_link(item_for(make_event(title=title)))):
        preview = as_preview(rendered)
        message, original = parse(preview), parse(rendered)
        assert message["Subject"] == f"[Preview] {rendered.subject}" == preview.subject
        assert "  " not in message["Subject"]
        assert message["Message-ID"] == original["Message-ID"] == preview.message_id
        assert list(message) == list(original)
        assert preview.raw.split(b"\r\n\r\n", 1)[1] == rendered.raw.split(b"\r\n\r\n", 1)[1]
        headers = preview.raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in headers.split(b"\r\n"))
