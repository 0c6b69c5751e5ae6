"""What issue 9's new actions must withstand, found by attacking them as a hostile user and as a
tired volunteer admin would: invisible characters pasted from a word processor or a web page."""

from __future__ import annotations

import pytest

from infra.testkit.api import invoke_admin, outbox
from infra.testkit.morning import pump
from shared import services
from tests.integration.helpers import ZOOM, create_event, sign_up, text_part


def create(title: str, starts_at: str = "2026-12-09T18:00:00") -> dict:
    return invoke_admin(
        {
            "action": "create_event",
            "title": title,
            "description": "d",
            "starts_at": starts_at,
            "timezone": "Europe/London",
            **ZOOM,
        }
    )


@pytest.mark.parametrize(
    "invisible",
    [
        "Digital \u200bWorld",  # a zero-width space after the space
        "Digi\u00adtal World",  # soft hyphen (Word inserts them)
        "Digital\u2060 World",  # word joiner
        "\ufeffDigital World",  # byte-order mark pasted at the start
        "Digital\u200d World",  # zero-width joiner
    ],
)
def test_an_invisible_character_does_not_make_a_title_another(aws, invisible):
    create_event("Digital World", "2026-12-09T14:00:00")
    answer = create(invisible)
    assert not answer["ok"], answer
    assert answer["error"]["code"] == "duplicate_event"


@pytest.fixture
def fast_ses(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


@pytest.mark.parametrize(
    ("subject", "message", "sent_subject", "sent_words"),
    [
        # Word and Google Docs paste no-break spaces; the admin sees ordinary spaces.
        (
            "Dr\u00a0Okafor joins us",
            "Dr\u00a0Okafor will join us.",
            "Dr Okafor joins us",
            "Dr Okafor will join us.",
        ),
        # An emoji sequence is joined by U+200D.
        ("See you soon \U0001f469\u200d\U0001f4bb", "Bring questions \U0001f469\u200d\U0001f4bb", None, None),
        # A line separator pasted from a web page is a line break to the admin.
        ("Materials", "First line\u2028Second line", "Materials", "First line\nSecond line"),
    ],
)
def test_words_pasted_from_a_word_processor_are_sent(fast_ses, subject, message, sent_subject, sent_words):
    event_id = create_event()
    assert sign_up([event_id]).status == 201
    answer = invoke_admin(
        {"action": "message_registrants", "event_id": event_id, "subject": subject, "message": message}
    )
    assert answer["ok"], answer
    assert answer["queued"] == 1
    pump(fast_ses)
    mail = outbox()[-1]
    assert str(mail["Subject"]) == (sent_subject or subject)
    assert (sent_words or message) in text_part(mail).replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("text", "named"),
    [("Invoice \u202egnp.exe", "U+202E"), ("Hello\u200bworld", "U+200B")],
)
def test_a_subject_with_a_hidden_character_is_refused_naming_it(aws, text, named):
    event_id = create_event()
    answer = invoke_admin(
        {"action": "message_registrants", "event_id": event_id, "subject": text, "message": "Hello"}
    )
    assert not answer["ok"]
    assert named in answer["error"]["message"]


@pytest.mark.parametrize(
    ("starts_at", "fields", "ends_at"),
    [
        # The clocks go back at 02:00 BST: 90 minutes from 00:30 BST is 01:00 GMT, not 02:00.
        ("2027-10-31T00:30:00", {}, "2027-10-31T01:00:00+00:00"),
        # The clocks go forward at 01:00 GMT: 90 minutes from 00:30 GMT is 03:00 BST, not 02:00.
        ("2027-03-28T00:30:00", {}, "2027-03-28T03:00:00+01:00"),
        ("2027-03-28T00:30:00", {"duration_minutes": 60}, "2027-03-28T02:30:00+01:00"),
    ],
)
def test_an_event_across_a_clock_change_lasts_the_minutes_asked(aws, starts_at, fields, ends_at):
    answer = invoke_admin(
        {
            "action": "create_event",
            "title": "Night owls",
            "description": "d",
            "starts_at": starts_at,
            "timezone": "Europe/London",
            **ZOOM,
            **fields,
        }
    )
    assert answer["ok"], answer
    assert answer["event"]["ends_at"] == ends_at


def test_a_time_the_clocks_skip_is_refused_not_moved(aws):
    # 01:30 on 28 March 2027 never happens in London: the clocks go from 01:00 to 02:00.
    answer = create("Spring forward", "2027-03-28T01:30:00")
    assert not answer["ok"], answer
    assert answer["error"]["code"] == "validation_error"
    assert "starts_at" in answer["error"]["fields"]
    assert "clocks" in answer["error"]["message"]


@pytest.mark.parametrize("kind", ["message", "follow_up"])
def test_a_preview_refuses_the_words_the_send_would_refuse(aws, kind):
    event_id = create_event()
    subject = {"subject": "A new speaker"} if kind == "message" else {}
    preview = invoke_admin(
        {
            "action": "preview_email",
            "kind": kind,
            "event_id": event_id,
            "to": "admin@example.org",
            "message": "Read this \u202eslip.exe",
            **subject,
        }
    )
    assert not preview["ok"], preview
    assert "U+202E" in preview["error"]["message"]


def test_a_link_with_a_letter_outside_ascii_is_refused_saying_so(aws):
    event_id = create_event()
    answer = invoke_admin(
        {"action": "send_follow_up", "event_id": event_id, "recording_url": "https://example.org/café"}
    )
    assert not answer["ok"]
    assert "address bar" in answer["error"]["message"]


@pytest.mark.parametrize(
    ("title", "named"),
    [
        ("Co-production \u202ednuorg kcab", "U+202E (RIGHT-TO-LEFT OVERRIDE) at character 15"),
        ("Co-production\u2028in two lines", "U+2028 (LINE SEPARATOR) at character 14"),
        ("\u202aDigital World\u202c", "U+202A (LEFT-TO-RIGHT EMBEDDING) at character 1"),
    ],
)
def test_a_title_that_would_show_reversed_or_on_two_lines_is_refused_naming_the_character(aws, title, named):
    created = create(title)
    event_id = create_event("A plain title")
    updated = invoke_admin({"action": "update_event", "event_id": event_id, "title": title})

    for answer in (created, updated):
        assert answer["ok"] is False
        assert named in answer["error"]["fields"]["title"]
    assert services.get().stores.events.get(event_id).title == "A plain title"


def test_a_title_pasted_with_wide_spaces_and_invisible_marks_is_stored_as_it_looks(aws):
    answer = create("\ufeffCo-production\u00a0in a\u2009Digi\u00adtal\u200b World ")

    assert answer["event"]["title"] == "Co-production in a Digital World"
