"""Changes reach people: a new time, new Zoom details after the links went out, or a cancellation
sends each person concerned exactly one email, with the right calendar file; previews go to the
admin alone. Real moto, through AdminFunction, the outbound queue and SenderFunction."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from icalendar import Calendar

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin, outbox, outbox_headers
from infra.testkit.morning import Crash, add_registrants, job_bodies, pump, queued_messages, run_dispatch
from shared import clock, services
from tests.integration.helpers import ZOOM, create_event, html_part, sign_up, text_part

EVENT_DAY_RUN = "2026-12-09T07:00:00Z"
EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
OLD_TIME = "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)"
NEW_TIME = "Thursday 10 December 2026, 3:00pm to 4:30pm UK time (GMT)"
NEW_ZOOM = {
    "zoom_join_url": "https://zoom.us/j/12312312300?pwd=NewSecret",
    "zoom_meeting_id": "123 1231 2300",
    "zoom_passcode": "N3wPass",
}


@pytest.fixture
def fast_ses(aws, monkeypatch):
    """SES's rate for these tests (moto has no GetAccount, so the configured fallback stands)."""
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


def emails_since(start: int, subject_start: str = "") -> list[Any]:
    return [m for m in outbox()[start:] if str(m["Subject"]).startswith(subject_start)]


def by_recipient(messages: list[Any]) -> Counter[str]:
    return Counter(m["To"].addresses[0].addr_spec for m in messages)


def recipients_since(start: int) -> Counter[str]:
    """by_recipient(emails_since(start)), reading the emails' headers only."""
    return by_recipient(outbox_headers()[start:])


def vevent_of(message: Any) -> Any:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content()).walk("VEVENT")[0]


def public_vevent(event_id: str) -> Any:
    answer = call_api("GET", f"/events/{event_id}/calendar.ics")
    assert answer.status == 200
    return Calendar.from_ical(answer.body).walk("VEVENT")[0]


def move(event_id: str, **fields: Any) -> dict[str, Any]:
    answer = invoke_admin({"action": "update_event", "event_id": event_id, **fields})
    assert answer["ok"], answer
    return answer


def cancel(event_id: str, **fields: Any) -> dict[str, Any]:
    answer = invoke_admin({"action": "cancel_event", "event_id": event_id, **fields})
    assert answer["ok"], answer
    return answer


def flat(text: str) -> str:
    return " ".join(text.split())


# --- a change of time ------------------------------------------------------------------------------


def test_a_new_time_emails_each_registrant_once_with_the_same_uid_a_higher_sequence_and_the_new_start(
    fast_ses,
):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    before = public_vevent(event_id)
    start = len(outbox())

    answer = move(event_id, starts_at="2026-12-10T15:00:00")
    pump(fast_ses)

    assert answer["notified"] == 3
    assert answer["event"]["starts_at"] == "2026-12-10T15:00:00+00:00"
    changes = emails_since(start)
    assert by_recipient(changes) == {a: 1 for a in addresses}
    for message in changes:
        assert message["Subject"] == "New time: Co-production in a Digital World"
        vevent = vevent_of(message)
        assert vevent["UID"] == before["UID"] == public_vevent(event_id)["UID"]
        assert vevent["SEQUENCE"] > before["SEQUENCE"]
        assert vevent.start == datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
        assert vevent["STATUS"] == "CONFIRMED"
        assert "/join/" in str(vevent["URL"])
        for body in (text_part(message), html_part(message)):
            assert NEW_TIME in body and OLD_TIME in body
        assert "It has moved to Thursday 10 December 2026." in flat(text_part(message))
        assert message["List-Unsubscribe"].startswith("<https://events.example.org/unsubscribe?token=")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Date"] and message["Message-ID"]
        assert message["From"].addresses[0].display_name == "Conversations on Co-production"
        # Before the morning send, a change carries no Zoom details
        assert not any(secret in message.as_string() for secret in ZOOM.values())


def test_a_longer_conversation_says_it_now_finishes_later(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    (address,) = add_registrants(event_id, 1, now=clock.now())
    start = len(outbox())

    answer = move(event_id, duration_minutes=120)
    pump(fast_ses)

    assert answer["notified"] == 1
    (message,) = emails_since(start)
    assert message["To"].addresses[0].addr_spec == address
    text = flat(text_part(message))
    assert "It now finishes at 4:00pm rather than 3:30pm." in text
    assert "Wednesday 9 December 2026, 2:00pm to 4:00pm UK time (GMT)" in text
    assert vevent_of(message).end == datetime(2026, 12, 9, 16, 0, tzinfo=UTC)


def test_waiting_list_people_are_not_emailed_about_a_new_time(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=1)
    sign_up([event_id], email="has-place@example.org")
    sign_up([event_id], email="waiting@example.org")
    start = len(outbox())

    answer = move(event_id, starts_at="2026-12-10T15:00:00")
    pump(fast_ses)

    assert answer["notified"] == 1
    assert by_recipient(emails_since(start)) == {"has-place@example.org": 1}


def test_repeating_the_same_update_or_another_change_sends_nothing_more(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())
    start = len(outbox())
    move(event_id, starts_at="2026-12-10T15:00:00")

    again = move(event_id, starts_at="2026-12-10T15:00:00")
    title = move(event_id, title="A clearer title", description="Now with more detail.")
    pump(fast_ses, visible_again=True)

    assert again["notified"] == 0 and title["notified"] == 0
    assert by_recipient(emails_since(start)) == {a: 1 for a in addresses}


def test_notify_false_sends_nothing_and_stays_silent_afterwards(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 2, now=clock.now())
    start = len(outbox())

    silent = move(event_id, starts_at="2026-12-09T14:30:00", notify=False)
    later = move(event_id, description="A typo fixed.")
    pump(fast_ses)

    assert silent["notified"] == 0 and later["notified"] == 0
    assert silent["event"]["starts_at"] == "2026-12-09T14:30:00+00:00"
    assert emails_since(start) == []
    assert queued_messages(fast_ses) == 0


def test_people_who_sign_up_after_a_change_get_their_confirmation_and_no_change_email(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 1, now=clock.now())
    move(event_id, starts_at="2026-12-10T15:00:00")
    clock.freeze(clock.now() + timedelta(minutes=5))
    sign_up([event_id], email="newcomer@example.org")
    start = len(outbox())

    move(event_id, description="More detail, and nobody needs telling.")
    pump(fast_ses, visible_again=True)

    assert "newcomer@example.org" not in by_recipient(emails_since(start, "New time"))


# --- a change of Zoom details ----------------------------------------------------------------------


def test_new_zoom_details_before_the_links_went_out_send_nothing_and_the_morning_email_has_them(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())
    start = len(outbox())

    answer = move(event_id, **NEW_ZOOM)
    pump(fast_ses)

    assert answer["notified"] == 0
    assert emails_since(start) == []
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)
    morning = emails_since(start)
    assert by_recipient(morning) == {a: 1 for a in addresses}
    assert all(NEW_ZOOM["zoom_passcode"] in text_part(m) for m in morning)


def test_new_zoom_details_after_the_links_went_out_email_each_registrant_once_with_them(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)
    clock.freeze(EVENT_DAY_0700 + timedelta(hours=3))
    start = len(outbox())

    answer = move(event_id, **NEW_ZOOM)
    repeat = move(event_id, **NEW_ZOOM)
    pump(fast_ses)

    assert answer["notified"] == 3 and repeat["notified"] == 0
    changes = emails_since(start)
    assert by_recipient(changes) == {a: 1 for a in addresses}
    for message in changes:
        assert message["Subject"] == "New Zoom details: Co-production in a Digital World"
        text = text_part(message)
        assert f"Meeting ID: {NEW_ZOOM['zoom_meeting_id']}" in text
        assert f"Passcode: {NEW_ZOOM['zoom_passcode']}" in text
        assert "https://events.example.org/join/" in text
        assert "It now takes you to the new meeting" in flat(text)
        assert OLD_TIME in text
        # Only the personal link: never the raw Zoom URL, and no calendar file (the time stands)
        assert "zoom.us" not in message.as_string()
        assert ZOOM["zoom_passcode"] not in message.as_string()
        assert list(message.iter_attachments()) == []
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_new_time_on_the_day_after_the_links_went_out_carries_the_join_details(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 1, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)
    start = len(outbox())

    move(event_id, starts_at="2026-12-09T15:00:00")
    pump(fast_ses)

    (message,) = emails_since(start)
    text = flat(text_part(message))
    assert "It now starts at 3:00pm rather than 2:00pm, on the same day." in text
    assert f"Passcode: {ZOOM['zoom_passcode']}" in text
    assert "https://events.example.org/join/" in text


# --- cancellation ----------------------------------------------------------------------------------


def test_a_cancellation_emails_registrants_and_the_waiting_list_once_with_a_cancelled_calendar_file(
    fast_ses,
):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=2)
    for address in ("one@example.org", "two@example.org", "waiting@example.org"):
        assert sign_up([event_id], email=address).status == 201
    before = public_vevent(event_id)
    start = len(outbox())
    message = "Our speaker is unwell.\n\nWe will let you know the new date soon."

    answer = cancel(event_id, message=message)
    bodies = job_bodies(fast_ses)
    pump(fast_ses)

    assert answer["notified"] == 3 and answer["dry_run"] is False
    assert answer["event"]["status"] == "cancelled"
    assert answer["event"]["sequence"] == before["SEQUENCE"] + 1
    assert all("@" not in json.dumps(body) for body in bodies)  # no address on the queue
    sent = emails_since(start)
    assert by_recipient(sent) == {"one@example.org": 1, "two@example.org": 1, "waiting@example.org": 1}
    for email in sent:
        assert email["Subject"] == "Cancelled: Co-production in a Digital World"
        vevent = vevent_of(email)
        assert vevent["STATUS"] == "CANCELLED"
        assert vevent["UID"] == before["UID"]
        assert vevent["SEQUENCE"] > before["SEQUENCE"]
        text = flat(text_part(email))
        assert "Our speaker is unwell." in text and "We will let you know the new date soon." in text
        assert OLD_TIME in text
        assert "Our speaker is unwell." in html_part(email)
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert not any(secret in email.as_string() for secret in ZOOM.values())
    waiting = next(e for e in sent if e["To"].addresses[0].addr_spec == "waiting@example.org")
    assert "You were on the waiting list" in flat(text_part(waiting))
    assert public_vevent(event_id)["STATUS"] == "CANCELLED"


def test_a_cancelled_event_refuses_sign_ups_and_its_join_links_are_gone(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    person_id = services.get().person_id_for("ada@example.org")
    event = services.get().stores.events.get(event_id)
    token = services.get().links.join(event, person_id).rsplit("/join/", 1)[1]

    cancel(event_id)
    clock.freeze(EVENT_DAY_0700)

    assert sign_up([event_id], email="late@example.org").status == 409
    assert call_api("GET", f"/join/{token}").status == 410


def test_cancelling_twice_sends_nothing_more(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    start = len(outbox())
    cancel(event_id)
    pump(fast_ses)

    again = cancel(event_id, message="Sorry again")
    pump(fast_ses, visible_again=True)

    assert again["notified"] == 0 and again["event"]["status"] == "cancelled"
    assert by_recipient(emails_since(start)) == {a: 1 for a in addresses}


def test_a_dry_run_says_how_many_would_be_emailed_and_changes_and_sends_nothing(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=2)
    for address in ("one@example.org", "two@example.org", "waiting@example.org"):
        sign_up([event_id], email=address)
    start = len(outbox())

    answer = cancel(event_id, dry_run=True)
    pump(fast_ses)

    assert answer["dry_run"] is True and answer["notified"] == 3
    assert answer["event"]["status"] == "scheduled"
    assert services.get().stores.events.get(event_id).status == "scheduled"
    assert emails_since(start) == [] and queued_messages(fast_ses) == 0
    assert sign_up([event_id], email="still-open@example.org").status == 201


def test_a_time_change_still_queued_when_the_event_is_cancelled_is_dropped(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())
    start = len(outbox())

    move(event_id, starts_at="2026-12-10T15:00:00")
    cancel(event_id)
    pump(fast_ses)

    sent = emails_since(start)
    assert by_recipient(sent) == {a: 1 for a in addresses}
    assert all(m["Subject"].startswith("Cancelled: ") for m in sent)


def test_a_cancellation_skips_suppressed_addresses_and_people_without_email(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id], email="keeps@example.org")
    sign_up([event_id], email="bounced@example.org")
    bounced = services.get().person_id_for("bounced@example.org")
    raw_table.update_item(
        Key={"PK": {"S": f"PERSON#{bounced}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET suppression = :b",
        ExpressionAttributeValues={":b": {"S": "bounced"}},
    )
    start = len(outbox())

    answer = cancel(event_id)
    pump(fast_ses)

    assert answer["notified"] == 1
    assert by_recipient(emails_since(start)) == {"keeps@example.org": 1}


def test_cancelling_an_unknown_or_ended_event_is_answered_not_raised(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    clock.freeze(datetime(2026, 12, 9, 16, 0, tzinfo=UTC))

    unknown = invoke_admin({"action": "cancel_event", "event_id": "nope"})
    ended = invoke_admin({"action": "cancel_event", "event_id": event_id})

    assert unknown["ok"] is False and unknown["error"]["code"] == "not_found"
    assert ended["ok"] is False and ended["error"]["code"] == "event_closed"


# --- exactly once when something fails -------------------------------------------------------------


class CrashingSes:
    """SES that lets the process die at the k-th send: just after accepting it (before our write),
    or just before it reaches SES."""

    def __init__(self, real: Any, crash_at: int, *, accepted: bool) -> None:
        self.real = real
        self.crash_at = crash_at
        self.accepted = accepted
        self.calls = 0

    def send_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.crash_at and not self.accepted:
            raise Crash()
        answer = self.real.send_email(**kwargs)
        if self.calls == self.crash_at:
            raise Crash()
        return answer


@pytest.mark.parametrize("accepted", [True, False], ids=["after-ses-accepted", "before-ses"])
@pytest.mark.parametrize("k", [1, 4, 10, 11, 25])
@pytest.mark.parametrize("change", ["cancel", "new-time"])
def test_a_sender_that_dies_mid_batch_is_finished_by_the_next_without_missing_anyone(
    fast_ses, monkeypatch, k, accepted, change
):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 25, now=clock.now())
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 10)
    start = len(outbox())
    if change == "cancel":
        assert cancel(event_id)["notified"] == 25
    else:
        assert move(event_id, starts_at="2026-12-10T15:00:00")["notified"] == 25
    services.override(ses_send=CrashingSes(services.get().client("ses_send"), k, accepted=accepted))

    with pytest.raises(Crash):
        pump(fast_ses)

    services.override()
    clock.freeze(clock.now() + timedelta(minutes=10))  # the dead sender's lease has run out
    pump(fast_ses, visible_again=True)
    # The admin, unsure, runs the action again: nothing more goes out.
    if change == "cancel":
        assert cancel(event_id)["notified"] == 0
    else:
        assert move(event_id, starts_at="2026-12-10T15:00:00")["notified"] == 0
    pump(fast_ses, visible_again=True)

    counts = recipients_since(start)
    assert set(counts) == set(addresses), "someone was missed"
    # Only a message SES accepted just before the crash can go twice.
    assert sum(n - 1 for n in counts.values()) == (1 if accepted else 0), counts
    assert queued_messages(fast_ses) == 0


def test_a_duplicate_delivery_of_a_notice_batch_sends_nothing_twice(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 5, now=clock.now())
    start = len(outbox())
    cancel(event_id)
    queue = fast_ses.physical["OutboundQueue"]
    sqs = services.get().client("sqs")
    body = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=queue, MessageBody=body)  # Lambda's at-least-once

    pump(fast_ses)

    assert by_recipient(emails_since(start)) == {a: 1 for a in addresses}


def test_an_update_that_died_before_its_notice_is_completed_by_running_it_again(fast_ses, monkeypatch):
    from shared.workflows.notices import Notices

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    start = len(outbox())

    def die(*_args: Any, **_kwargs: Any) -> int:
        raise Crash()

    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(Notices, "notify_changes", die)
        invoke_admin({"action": "update_event", "event_id": event_id, "starts_at": "2026-12-10T15:00:00"})
    assert services.get().stores.events.get(event_id).starts_at == datetime(2026, 12, 10, 15, tzinfo=UTC)

    again = move(event_id, starts_at="2026-12-10T15:00:00")
    pump(fast_ses)

    assert again["notified"] == 3
    changes = emails_since(start)
    assert by_recipient(changes) == {a: 1 for a in addresses}
    assert all(OLD_TIME in text_part(m) and NEW_TIME in text_part(m) for m in changes)


def test_a_cancellation_whose_queue_refused_is_completed_by_cancelling_again(fast_ses, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    start = len(outbox())
    sqs = services.get().client("sqs")

    def refuse(**_kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "SendMessageBatch")

    with monkeypatch.context() as patched:
        patched.setattr(sqs, "send_message_batch", refuse)
        failed = invoke_admin({"action": "cancel_event", "event_id": event_id})
    again = cancel(event_id)
    pump(fast_ses)

    assert failed["ok"] is False and failed["error"]["code"] == "unavailable"
    assert services.get().stores.events.get(event_id).status == "cancelled"
    assert again["notified"] == 0  # everyone was already in a batch; the batch is queued again
    assert by_recipient(emails_since(start)) == {a: 1 for a in addresses}


# --- previews --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["confirmation", "join", "change", "cancellation"])
def test_a_preview_of_each_kind_goes_only_to_the_admin_marked_preview(fast_ses, kind):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 2, now=clock.now())
    start = len(outbox())

    answer = invoke_admin(
        {
            "action": "preview_email",
            "kind": kind,
            "event_id": event_id,
            "to": "Admin@Example.org",
            "message": "We are sorry.",
        }
    )
    pump(fast_ses)

    assert answer["ok"] is True, answer
    (message,) = emails_since(start)
    assert message["To"].addresses[0].addr_spec == "Admin@example.org"
    assert message["Subject"].startswith("[Preview] ")
    assert answer["message_id"]
    text = text_part(message)
    assert "Hello Sample Person," in text
    assert "https://events.example.org/" in text
    if kind in ("change", "cancellation", "join"):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    if kind == "cancellation":
        assert vevent_of(message)["STATUS"] == "CANCELLED"
        assert "We are sorry." in text
    # Nothing changed for anyone
    assert services.get().stores.events.get(event_id).status == "scheduled"


def test_preview_links_are_made_for_nobody(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    start = len(outbox())
    invoke_admin({"action": "preview_email", "kind": "join", "event_id": event_id, "to": "admin@example.org"})
    (message,) = emails_since(start)
    token = text_part(message).split("https://events.example.org/join/", 1)[1].split()[0]
    clock.freeze(EVENT_DAY_0700)

    assert call_api("GET", f"/join/{token}").status == 404


# --- bad input -------------------------------------------------------------------------------------


def test_bad_input_names_each_field(fast_ses):
    cancelled = invoke_admin(
        {"action": "cancel_event", "event_id": "", "dry_run": "perhaps", "message": "a\x00b", "notify": True}
    )
    preview = invoke_admin(
        {"action": "preview_email", "kind": "fax", "event_id": "x", "to": "not-an-address"}
    )
    missing = invoke_admin({"action": "preview_email"})
    update = invoke_admin({"action": "update_event", "event_id": "x", "notify": "loudly"})

    assert cancelled["ok"] is False and cancelled["error"]["code"] == "validation_error"
    assert set(cancelled["error"]["fields"]) == {"event_id", "dry_run", "message", "notify"}
    assert set(preview["error"]["fields"]) == {"kind", "to"}
    assert "not a valid email address" in preview["error"]["fields"]["to"]
    assert set(missing["error"]["fields"]) == {"kind", "event_id", "to"}
    assert set(update["error"]["fields"]) == {"notify"}


def test_previewing_an_unknown_event_is_not_found(fast_ses):
    answer = invoke_admin(
        {"action": "preview_email", "kind": "change", "event_id": "nope", "to": "admin@example.org"}
    )
    assert answer["ok"] is False and answer["error"]["code"] == "not_found"
