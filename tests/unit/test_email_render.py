"""Rendered emails, read back the way a mail client would: MIME structure, headers, both parts,
calendar files, and what must never be in them."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from shared.email_render import (
    EventItem,
    RenderedEmail,
    render_confirmation,
    render_manage_link,
    render_place_offered,
)
from shared.models import Event

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
    return render_confirmation(**arguments)


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
        assert "We will email you the Zoom link on the morning of the conversation." in " ".join(body.split())
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
    assert "on the morning of the conversations" in " ".join(text.split())


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
    assert "You were already signed up for this one" in flat
    uids = [str(calendar.walk("VEVENT")[0]["UID"]) for _, calendar in calendars_of(message)]
    assert uids == ["ev1@events.example.org", "ev3@events.example.org"]


def test_repeat_sign_up_for_an_event_already_booked_reads_as_a_reminder():
    message = parse(confirm([item_for(make_event(), status="already_registered")]))
    assert message["Subject"] == "You're signed up: Co-production in a Digital World"
    assert "You were already signed up for this one" in " ".join(text_of(message).split())
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
    assert "We will email you the Zoom link on the morning of the conversation." in " ".join(
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
    rendered = render_manage_link(**PERSON, **SENDER, manage_url=MANAGE_URL, now=NOW)
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
    rendered = render_place_offered(
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
    assert "We will email you the Zoom link on the morning of the conversation." in flat
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
        render_place_offered(
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
