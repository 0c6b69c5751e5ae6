"""`send_follow_up`: after the event, thanks, the recording and the feedback form to those who
attended, a we-missed-you note with the recording to the other registered people; once each."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from infra.testkit.api import invoke_admin, outbox, outbox_headers
from infra.testkit.morning import Crash, pump, queued_messages
from shared import clock, services
from tests.integration.helpers import create_event, html_part, text_part
from tests.integration.test_messages import CROWD, STARTS, CrashingSes, put_people

AFTER_THE_END = datetime(2026, 12, 9, 15, 31, tzinfo=UTC)
RECORDING = "https://www.youtube.com/watch?v=co-production-12"
FEEDBACK = "https://forms.example.org/feedback/december"


@pytest.fixture
def fast_ses(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


def follow_up(event_id: str, **fields: object) -> dict:
    return invoke_admin(
        {
            "action": "send_follow_up",
            "event_id": event_id,
            "recording_url": RECORDING,
            "feedback_url": FEEDBACK,
            **fields,
        }
    )


def by_recipient() -> dict[str, list]:
    found: dict[str, list] = {}
    for mail in outbox():
        found.setdefault(mail["To"].addresses[0].addr_spec, []).append(mail)
    return found


def test_attended_people_get_thanks_recording_and_feedback_the_others_the_recording_only(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    clock.freeze(AFTER_THE_END)

    answer = follow_up(event_id, message="Slides are attached to the event page.\n\nThank you!")
    pump(fast_ses)

    assert answer["ok"], answer
    assert (answer["audience_count"], answer["attended"], answer["not_attended"], answer["queued"]) == (
        3,
        1,
        2,
        3,
    )
    mails = by_recipient()
    assert sorted(mails) == [
        "reg1@example.org",
        "reg2@example.org",
        "reg3@example.org",
    ]  # no waitlist, no cancelled
    (came,) = mails["reg1@example.org"]
    assert str(came["Subject"]).startswith("Thank you for coming:")
    for part in (text_part(came), html_part(came)):
        assert RECORDING in part.replace("&amp;", "&") and FEEDBACK in part
        assert "Slides are attached" in part
    (missed,) = mails["reg2@example.org"]
    assert str(missed["Subject"]).startswith("Sorry we missed you:")
    for part in (text_part(missed), html_part(missed)):
        assert RECORDING in part.replace("&amp;", "&")
        assert FEEDBACK not in part
    assert str(missed["List-Unsubscribe"]).startswith(
        "<https://events.example.org/unsubscribe/messages?token="
    )
    assert str(missed["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"


def test_a_second_follow_up_queues_nobody(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    clock.freeze(AFTER_THE_END)
    assert follow_up(event_id)["queued"] == 3
    pump(fast_ses)

    again = follow_up(event_id, recording_url="https://example.org/other")
    pump(fast_ses)

    assert again["ok"] and again["queued"] == 0
    assert [w["code"] for w in again["warnings"]] == ["follow_up_already_sent"]
    assert Counter(m["To"].addresses[0].addr_spec for m in outbox_headers()) == Counter(
        {"reg1@example.org": 1, "reg2@example.org": 1, "reg3@example.org": 1}
    )


def test_before_the_end_it_is_refused_and_a_dry_run_writes_nothing(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    clock.freeze(datetime(2026, 12, 9, 15, 29, tzinfo=UTC))

    early = follow_up(event_id)
    assert early["ok"] is False and early["error"]["code"] == "event_not_ended"

    clock.freeze(AFTER_THE_END)
    dry = follow_up(event_id, dry_run=True)
    assert dry["ok"] and (dry["queued"], dry["dry_run"]) == (3, True)
    assert queued_messages(fast_ses) == 0 and outbox() == []
    assert follow_up(event_id)["queued"] == 3  # the dry run left nothing that counts as sent


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"recording_url": "http://example.org/recording"}, "recording_url"),
        ({"feedback_url": "javascript:alert(1)"}, "feedback_url"),
        ({"feedback_url": "https://user:pw@example.org/"}, "feedback_url"),
        ({"recording_url": "https://example.org/a b"}, "recording_url"),
    ],
)
def test_links_must_be_https_web_addresses(fast_ses, fields, field):
    event_id = create_event(starts_at=STARTS)
    clock.freeze(AFTER_THE_END)

    answer = follow_up(event_id, **fields)

    assert answer["ok"] is False
    assert answer["error"]["fields"][field].startswith(
        f"{field} must be a web address starting with https://"
    )


def test_a_crash_mid_batch_sends_each_follow_up_once(fast_ses, monkeypatch):
    event_id = create_event(starts_at=STARTS)
    addresses = [f"p{n}@example.org" for n in range(8)]
    put_people(event_id, {a: ("registered", n % 2 == 0) for n, a in enumerate(addresses)})
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 3)
    clock.freeze(AFTER_THE_END)
    assert follow_up(event_id)["queued"] == 8
    services.override(ses_send=CrashingSes(services.get().client("ses_send"), 5, accepted=False))

    with pytest.raises(Crash):
        pump(fast_ses)

    services.override()
    clock.freeze(AFTER_THE_END + timedelta(minutes=10))
    pump(fast_ses, visible_again=True)
    assert follow_up(event_id)["queued"] == 0
    pump(fast_ses, visible_again=True)

    counts = Counter(m["To"].addresses[0].addr_spec for m in outbox_headers())
    assert counts == Counter({a: 1 for a in addresses})
    thanks = {m["To"].addresses[0].addr_spec for m in outbox_headers() if "Thank you" in str(m["Subject"])}
    assert thanks == {a for n, a in enumerate(addresses) if n % 2 == 0}


def test_an_opted_out_person_gets_no_follow_up(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {"quiet@example.org": ("registered", True)}, messages_opt_out=True)
    put_people(event_id, {"ok@example.org": ("registered", True)})
    clock.freeze(AFTER_THE_END)

    answer = follow_up(event_id)
    pump(fast_ses)

    assert (answer["queued"], answer["unreachable"]) == (1, 1)
    assert sorted(by_recipient()) == ["ok@example.org"]


def test_a_cancelled_event_has_no_follow_up(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    assert invoke_admin({"action": "cancel_event", "event_id": event_id})["ok"]
    pump(fast_ses)
    clock.freeze(AFTER_THE_END)
    sent_before = len(outbox())

    answer = follow_up(event_id)

    assert answer["ok"] is False and answer["error"]["code"] == "event_closed"
    assert queued_messages(fast_ses) == 0 and len(outbox()) == sent_before


def test_a_follow_up_where_nobody_opened_a_join_link_warns_before_anyone_is_told_they_were_missed(fast_ses):
    """People who typed the meeting ID or dialled in have no joined_at: if nobody has one, the
    admin is warned (dry run first) rather than everyone silently getting the we-missed-you note."""
    nobody_joined = {address: (status, False) for address, (status, _joined) in CROWD.items()}
    quiet = create_event(starts_at=STARTS)
    put_people(quiet, nobody_joined)
    busy = create_event("Another conversation", starts_at=STARTS)
    put_people(busy, CROWD)
    clock.freeze(AFTER_THE_END)

    warned = follow_up(quiet, dry_run=True)
    not_warned = follow_up(busy, dry_run=True)

    assert (warned["attended"], warned["not_attended"]) == (0, 3)
    assert [w["code"] for w in warned["warnings"]] == ["nobody_attended"]
    assert "dry_run" in warned["warnings"][0]["message"]
    assert (not_warned["attended"], "warnings" in not_warned) == (1, False)
