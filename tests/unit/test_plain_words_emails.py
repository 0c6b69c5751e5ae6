"""Every email kind, in each of its variants, reads at Flesch-Kincaid grade 6 or below and Flesch
reading ease 70 or above (issue 11): measured on the plain-text part of the real MIME message the
mailer's renderer writes, parsed back with the email package, with what is not our own words taken
out (infra/testkit/reading.py: web addresses, file names, the series name, the event's title and
description, its time in words, people's names, Zoom details, the admin's words)."""

from __future__ import annotations

import email
import email.policy
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from infra.testkit.reading import MAX_GRADE, MIN_EASE, read_email
from shared.domain.models import Event
from shared.domain.timefmt import date_in_words, span_in_words, when_in_words
from shared.mail.bulletins import AdminMessage, FollowUp
from shared.mail.messages import (
    SERIES,
    Cancellation,
    Change,
    Confirmation,
    Envelope,
    JoinLink,
    ManageLink,
    Message,
    PlaceOffered,
)
from shared.mail.render import TEMPLATE_DIR, Renderer
from tests.unit.test_email_render import BASE, MANAGE_URL, UNSUBSCRIBE_URL, item_for, make_event

NAME = "Sam Jones"
SENDER_NAME = SERIES
BEFORE_MORNING = datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
EVENT_MORNING = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
ADMIN_WORDS = "Our speaker today is Amani Okafor.\n\nPlease bring a cup of tea and your questions."
OLD_START = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
OLD_END = datetime(2026, 12, 9, 14, 30, tzinfo=UTC)

FIRST = make_event("ev1")
SECOND = make_event(
    "ev2",
    title="When to re-balance the power?",
    description="Who holds the power in a room, and how can we share it?",
    starts_at=datetime(2027, 1, 13, 14, 0, tzinfo=UTC),
    ends_at=datetime(2027, 1, 13, 15, 30, tzinfo=UTC),
)


def envelope(unsubscribe: bool = True, texts_to: str = "", reply_stop: bool = False) -> Envelope:
    unsubscribe_url = UNSUBSCRIBE_URL if unsubscribe else None
    return Envelope(NAME, "sam@example.com", MANAGE_URL, unsubscribe_url, texts_to, reply_stop)


def not_ours(*events: Event) -> list[str]:
    """What the emails hold that is not our own words."""
    values = [NAME, SENDER_NAME, SERIES, ADMIN_WORDS, span_in_words(OLD_START, OLD_END, "Europe/London")]
    for event in events:
        values += [event.title, event.description, when_in_words(event), date_in_words(event.local_start)]
        values += [event.zoom_meeting_id, event.zoom_passcode, *event.zoom_dial_in.splitlines()]
    return values


def changed(time: bool, zoom: bool) -> Message:
    item = item_for(FIRST, include_join_details=zoom)
    return Change(envelope(), item, OLD_START, OLD_END, time_changed=time, zoom_changed=zoom)


EMAILS: dict[str, tuple[Callable[[], Message], datetime]] = {
    "confirmation (a place)": (lambda: Confirmation(envelope(False), [item_for(FIRST)]), BEFORE_MORNING),
    "confirmation (waiting list)": (
        lambda: Confirmation(envelope(False), [item_for(FIRST, status="waitlisted")]),
        BEFORE_MORNING,
    ),
    "confirmation (already signed up)": (
        lambda: Confirmation(envelope(False), [item_for(FIRST, status="already_registered")]),
        BEFORE_MORNING,
    ),
    "confirmation (two, one on the waiting list)": (
        lambda: Confirmation(envelope(False), [item_for(FIRST), item_for(SECOND, status="waitlisted")]),
        BEFORE_MORNING,
    ),
    "confirmation (late, with the join details)": (
        lambda: Confirmation(envelope(False), [item_for(FIRST, include_join_details=True)]),
        EVENT_MORNING,
    ),
    "confirmation (texts too, from a sender ID)": (
        lambda: Confirmation(envelope(False, "+44 7*** ***456"), [item_for(FIRST)]),
        BEFORE_MORNING,
    ),
    "join link (texts too, from a two-way number)": (
        lambda: JoinLink(envelope(True, "+44 7*** ***456", True), item_for(FIRST, include_join_details=True)),
        EVENT_MORNING,
    ),
    "place offered": (lambda: PlaceOffered(envelope(False), item_for(FIRST)), BEFORE_MORNING),
    "place offered (late, with the join details)": (
        lambda: PlaceOffered(envelope(False), item_for(FIRST, include_join_details=True)),
        EVENT_MORNING,
    ),
    "join link (morning)": (
        lambda: JoinLink(envelope(), item_for(FIRST, include_join_details=True)),
        EVENT_MORNING,
    ),
    "change (new time)": (lambda: changed(time=True, zoom=False), BEFORE_MORNING),
    "change (new Zoom details)": (lambda: changed(time=False, zoom=True), EVENT_MORNING),
    "change (new time and Zoom details)": (lambda: changed(time=True, zoom=True), EVENT_MORNING),
    "cancellation (a place, with a message)": (
        lambda: Cancellation(envelope(), item_for(FIRST), ADMIN_WORDS, f"{BASE}/signup"),
        BEFORE_MORNING,
    ),
    "cancellation (waiting list)": (
        lambda: Cancellation(envelope(), item_for(FIRST, status="waitlisted"), "", f"{BASE}/signup"),
        BEFORE_MORNING,
    ),
    "manage link": (lambda: ManageLink(envelope(False)), BEFORE_MORNING),
    "message": (
        lambda: AdminMessage(envelope(), FIRST, f"{BASE}/events/ev1", "Our speaker", ADMIN_WORDS),
        BEFORE_MORNING,
    ),
    "follow-up (attended)": (
        lambda: FollowUp(
            envelope(),
            FIRST,
            f"{BASE}/events/ev1",
            f"{BASE}/signup",
            attended=True,
            recording_url="https://www.youtube.com/watch?v=co-production-12",
            feedback_url="https://forms.example.org/feedback/december",
            message=ADMIN_WORDS,
        ),
        AFTER,
    ),
    "follow-up (missed)": (
        lambda: FollowUp(
            envelope(),
            FIRST,
            f"{BASE}/events/ev1",
            f"{BASE}/signup",
            attended=False,
            recording_url="https://www.youtube.com/watch?v=co-production-12",
        ),
        AFTER,
    ),
}


def plain_text(message: Message, now: datetime) -> str:
    renderer = Renderer(
        sender_name=SENDER_NAME, sender_address="events@example.org", uid_domain="example.org"
    )
    parsed = email.message_from_bytes(renderer.render(message, now).raw, policy=email.policy.default)
    return str(parsed.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_every_email_kind_is_measured():
    # Each kind is a pair of templates (README: adding an email kind); a new one must be added here.
    kinds = {path.stem for path in TEMPLATE_DIR.glob("*.txt") if not path.stem.startswith("_")}
    assert len(kinds) == 8
    assert {build().kind for build, _now in EMAILS.values()} == kinds


@pytest.mark.parametrize("name", list(EMAILS))
def test_our_words_in_each_email_are_plain(name):
    build, now = EMAILS[name]
    text = plain_text(build(), now)

    reading = read_email(text, not_ours(FIRST, SECOND))

    print(f"READING email | {name} | {reading.grade:.1f} | {reading.ease:.1f}")
    assert reading.grade <= MAX_GRADE and reading.ease >= MIN_EASE, (
        f"{name}: {reading.figures()} (want grade <= {MAX_GRADE}, ease >= {MIN_EASE}); our words:\n"
        f"{reading.text}"
    )
    # What was measured is what the email says, less what is not ours: nothing of theirs is left.
    assert FIRST.title not in reading.text and "https://" not in reading.text and NAME not in reading.text


def test_the_measure_keeps_our_words_around_what_it_takes_out():
    # A title wrapped over two lines is taken out whole; headings and labels end their own sentence.
    sentence = (
        "We are very sorry indeed to have to tell you that "
        + "Co-production in a Digital World has been cancelled."
    )
    text = (
        "Hello Sam Jones,\n\n"
        + textwrap.fill(sentence, 72)
        + "\n\nHow to join\nYour link:\nhttps://example.org/join/x\n"
    )
    assert "in a\nDigital World" in text

    reading = read_email(text, ["Sam Jones", "Co-production in a Digital World"])

    assert reading.text.splitlines() == [
        "Hello.",
        "We are very sorry indeed to have to tell you that has been cancelled.",
        "How to join.",
        "Your link.",
    ]
