"""`message_registrants`: the admin's words to an event's audience, through the morning send's
batch sending, exactly once per person, with a messages-only one-click unsubscribe."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin, outbox, outbox_headers, sent_messages
from infra.testkit.morning import Crash, pump, queued_messages
from shared import clock, services
from shared.domain.models import RegistrationStatus, Role, Suppression
from shared.domain.people import Person, Registration
from tests.integration.helpers import create_event, html_part, text_part, token_from

STARTS = "2026-12-09T14:00:00"
AFTER_THE_END = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
SUBJECT = "A new speaker for Wednesday"
WORDS = "We are glad to say that Dr Amara Okafor will join us.\n\nBring your questions!"


@pytest.fixture
def fast_ses(aws, monkeypatch):
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


def put_people(event_id: str, spec: dict[str, tuple[str, bool]], **profile: object) -> dict[str, str]:
    """People straight into the table: address -> (status, attended). Returns address -> id."""
    ids = {address: services.get().person_id_for(address) for address in spec}
    raw_table.put_people(
        Person(person_id=ids[a], email=a, name=f"Person {a.split('@')[0]}", **profile)  # type: ignore[arg-type]
        for a in spec
    )
    registered_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    raw_table.put_registrations(
        Registration(
            event_id=event_id,
            person_id=ids[address],
            role=Role.other,
            status=RegistrationStatus(status),
            registered_at=registered_at,
            joined_at=datetime(2026, 12, 9, 14, 5, tzinfo=UTC) if attended else None,
        )
        for address, (status, attended) in spec.items()
    )
    return ids


CROWD = {
    "reg1@example.org": ("registered", True),
    "reg2@example.org": ("registered", False),
    "reg3@example.org": ("registered", False),
    "wait1@example.org": ("waitlisted", False),
    "gone@example.org": ("cancelled", True),
}


def message(event_id: str, **fields: object) -> dict:
    return invoke_admin(
        {
            "action": "message_registrants",
            "event_id": event_id,
            "subject": SUBJECT,
            "message": WORDS,
            **fields,
        }
    )


def received(subject: str = SUBJECT) -> Counter[str]:
    counts: Counter[str] = Counter()
    for mail in outbox_headers():
        if str(mail["Subject"]) == subject:
            counts[mail["To"].addresses[0].addr_spec] += 1
    return counts


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("registered", {"reg1", "reg2", "reg3"}),
        ("waitlisted", {"wait1"}),
        ("everyone", {"reg1", "reg2", "reg3", "wait1"}),
        ("attended", {"reg1"}),
        ("not_attended", {"reg2", "reg3"}),
    ],
)
def test_each_audience_reaches_exactly_its_people_and_never_a_cancelled_place(fast_ses, audience, expected):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    clock.freeze(AFTER_THE_END)

    answer = message(event_id, audience=audience)
    pump(fast_ses)

    assert answer["ok"], answer
    assert (answer["audience_count"], answer["queued"]) == (len(expected), len(expected))
    assert received() == Counter({f"{name}@example.org": 1 for name in expected})


def test_a_dry_run_counts_and_sends_and_writes_nothing(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    before = raw_table.client().scan(TableName=raw_table.name())["Items"]

    answer = message(event_id, audience="everyone", dry_run=True)

    assert answer["ok"] and (answer["audience_count"], answer["queued"], answer["dry_run"]) == (4, 4, True)
    assert queued_messages(fast_ses) == 0
    assert raw_table.client().scan(TableName=raw_table.name())["Items"] == before
    assert sent_messages() == []


def test_a_repeat_reaches_only_new_people_then_is_refused_unless_allow_repeat(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {"a@example.org": ("registered", False), "b@example.org": ("registered", False)})
    assert message(event_id)["queued"] == 2
    pump(fast_ses)
    put_people(event_id, {"late@example.org": ("registered", False)})

    again = message(event_id)
    pump(fast_ses)
    assert (again["audience_count"], again["queued"]) == (3, 1)
    assert received() == Counter({"a@example.org": 1, "b@example.org": 1, "late@example.org": 1})

    refused = message(event_id)
    assert refused["ok"] is False and refused["error"]["code"] == "duplicate_message"
    assert "allow_repeat" in refused["error"]["message"]
    assert message(event_id, dry_run=True)["error"]["code"] == "duplicate_message"

    # Trailing spaces do not make it another message; other words do.
    assert message(event_id, subject=SUBJECT + "  ")["error"]["code"] == "duplicate_message"
    assert message(event_id, message=WORDS + " See you there.")["queued"] == 3
    pump(fast_ses)
    assert received() == Counter({"a@example.org": 2, "b@example.org": 2, "late@example.org": 2})

    repeated = message(event_id, allow_repeat=True)
    pump(fast_ses)
    assert repeated["queued"] == 3
    assert received() == Counter({"a@example.org": 3, "b@example.org": 3, "late@example.org": 3})
    assert message(event_id, allow_repeat=True)["queued"] == 3  # each allow_repeat is one more round


def test_attended_audiences_before_the_end_are_refused(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    clock.freeze(datetime(2026, 12, 9, 15, 29, tzinfo=UTC))  # a minute before the end

    for audience in ("attended", "not_attended"):
        answer = message(event_id, audience=audience)
        assert answer["ok"] is False and answer["error"]["code"] == "event_not_ended"
    assert message(event_id, audience="registered")["queued"] == 3


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"subject": "Hello\r\nBcc: victim@example.org"}, "subject", "one line"),
        ({"subject": "Tab\there"}, "subject", "one line"),
        ({"subject": "x" * 151}, "subject", "at most 150"),
        ({"subject": "  "}, "subject", "required"),
        ({"message": ""}, "message", "required"),
        ({"message": "bell\x07"}, "message", "plain text"),
        ({"audience": "all"}, "audience", "one of registered"),
    ],
)
def test_bad_words_are_refused_with_a_plain_sentence_naming_the_field(fast_ses, fields, field, words):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)

    answer = message(event_id, **fields)

    assert answer["ok"] is False and answer["error"]["code"] == "validation_error"
    assert words in answer["error"]["fields"][field]
    assert queued_messages(fast_ses) == 0


def test_the_email_carries_the_words_escaped_the_time_and_a_messages_only_unsubscribe(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {"a@example.org": ("registered", False)})
    words = 'Please read <b>this</b> & <script>alert("x")</script> first.\nSecond line.\n\nNew paragraph.'

    message(event_id, message=words)
    pump(fast_ses)

    (mail,) = outbox()
    assert str(mail["Subject"]) == SUBJECT
    text, html = text_part(mail), html_part(mail)
    assert 'Please read <b>this</b> & <script>alert("x")</script> first.' in text
    assert "&lt;b&gt;this&lt;/b&gt; &amp; &lt;script&gt;" in html and "<script>" not in html
    html = html.replace("\r\n", "\n")
    assert "first.<br>\nSecond line.</p>" in html and ">New paragraph.</p>" in html
    assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in text
    assert "/manage?token=" in text
    unsubscribe = str(mail["List-Unsubscribe"])
    assert unsubscribe.startswith("<https://events.example.org/unsubscribe/messages?token=")
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text


def test_the_messages_only_unsubscribe_stops_messages_but_keeps_the_place_and_the_join_link(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {"a@example.org": ("registered", False), "b@example.org": ("registered", False)})
    message(event_id, subject="First news")
    pump(fast_ses)
    first = next(m for m in outbox() if m["To"].addresses[0].addr_spec == "a@example.org")
    token = token_from(str(first["List-Unsubscribe"]), "/unsubscribe/messages")

    page = call_api("GET", "/unsubscribe/messages", query={"token": token}, headers={"accept": "text/html"})
    assert page.status == 200 and "<form" in page.body and "Zoom links" in page.body
    done = call_api(
        "POST",
        "/unsubscribe/messages",
        query={"token": token},
        raw_body="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status == 200 and done.json() == {"messages_opt_out": True}
    # A full-unsubscribe token is no use here, nor this token there.
    assert call_api("POST", "/unsubscribe", query={"token": token}).status == 404
    full_link = services.get().links.unsubscribe(services.get().person_id_for("b@example.org"), clock.now())
    full = token_from(full_link, "/unsubscribe")
    assert call_api("POST", "/unsubscribe/messages", query={"token": full}).status == 404

    message(event_id, subject="Second news")
    pump(fast_ses)
    assert received("Second news") == Counter({"b@example.org": 1})

    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})
    assert {r["email"]: r["status"] for r in roster["registrations"]}["a@example.org"] == "registered"
    clock.freeze(datetime(2026, 12, 9, 7, 0, tzinfo=UTC))
    invoke_admin({"action": "send_links", "event_id": event_id})
    pump(fast_ses)
    joins = [m for m in outbox_headers() if "Zoom link" in str(m["Subject"])]
    assert sorted(m["To"].addresses[0].addr_spec for m in joins) == ["a@example.org", "b@example.org"]


def test_suppressed_people_are_skipped_and_counted_unreachable(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {"ok@example.org": ("registered", False)})
    put_people(event_id, {"bounced@example.org": ("registered", False)}, suppression="bounced")

    answer = message(event_id)
    pump(fast_ses)

    assert (answer["audience_count"], answer["queued"], answer["unreachable"]) == (2, 1, 1)
    assert received() == Counter({"ok@example.org": 1})


def test_someone_suppressed_after_queuing_is_skipped_when_their_batch_goes(fast_ses):
    event_id = create_event(starts_at=STARTS)
    ids = put_people(
        event_id, {"ok@example.org": ("registered", False), "late@example.org": ("registered", False)}
    )
    assert message(event_id)["queued"] == 2
    services.get().stores.people.suppress(ids["late@example.org"], Suppression.bounced, clock.now())

    pump(fast_ses)

    assert received() == Counter({"ok@example.org": 1})


class CrashingSes:
    """SES that kills the process at the k-th send, after accepting it or before."""

    def __init__(self, real, crash_at: int, *, accepted: bool) -> None:
        self.real, self.crash_at, self.accepted, self.calls = real, crash_at, accepted, 0

    def send_email(self, **kwargs):
        self.calls += 1
        if self.calls == self.crash_at and not self.accepted:
            raise Crash()
        answer = self.real.send_email(**kwargs)
        if self.calls == self.crash_at:
            raise Crash()
        return answer


@pytest.mark.parametrize("accepted", [True, False], ids=["after-ses-accepted", "before-ses"])
@pytest.mark.parametrize("k", [1, 6])
def test_a_sender_that_dies_mid_batch_is_finished_by_the_next_and_nobody_gets_it_twice(
    fast_ses, monkeypatch, k, accepted
):
    event_id = create_event(starts_at=STARTS)
    addresses = [f"p{n}@example.org" for n in range(12)]
    put_people(event_id, {a: ("registered", False) for a in addresses})
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 5)
    assert message(event_id)["queued"] == 12
    services.override(ses_send=CrashingSes(services.get().client("ses_send"), k, accepted=accepted))

    with pytest.raises(Crash):
        pump(fast_ses)

    services.override()
    clock.freeze(clock.now() + timedelta(minutes=10))  # the dead sender's lease has run out
    pump(fast_ses, visible_again=True)
    # The admin runs it again: nobody is left, and nothing more goes.
    assert message(event_id)["error"]["code"] == "duplicate_message"
    pump(fast_ses, visible_again=True)

    counts = received()
    assert set(counts) == set(addresses), "someone was missed"
    # Only the email SES accepted just before the crash, before its mark, can go twice.
    assert sum(n - 1 for n in counts.values()) == (1 if accepted else 0), counts
    assert queued_messages(fast_ses) == 0


def test_a_lost_queue_message_is_queued_again_by_the_next_run_of_the_action(fast_ses, monkeypatch):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {f"p{n}@example.org": ("registered", False) for n in range(3)})
    with monkeypatch.context() as patched:
        patched.setattr("shared.mail.outbox.Outbox.put_many", lambda self, jobs, refused: None)
        assert message(event_id)["queued"] == 3  # batches written, their messages lost

    assert message(event_id)["error"]["code"] == "duplicate_message"  # still on their way
    clock.freeze(clock.now() + timedelta(minutes=11))
    assert message(event_id)["queued"] == 3  # lost: queued again
    pump(fast_ses)

    assert received() == Counter({f"p{n}@example.org": 1 for n in range(3)})


def test_one_refused_address_is_marked_failed_with_the_kind_and_the_rest_go(fast_ses, monkeypatch):
    from botocore.exceptions import ClientError

    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {f"p{n}@example.org": ("registered", False) for n in range(4)})
    real = services.get().client("ses_send")

    class Refusing:
        def send_email(self, **kwargs):
            if kwargs["Destination"]["ToAddresses"] == ["p1@example.org"]:
                raise ClientError({"Error": {"Code": "MessageRejected", "Message": "no"}}, "SendEmail")
            return real.send_email(**kwargs)

    message(event_id)
    services.override(ses_send=Refusing())
    pump(fast_ses)
    services.override()

    assert set(received()) == {"p0@example.org", "p2@example.org", "p3@example.org"}
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})
    failures = {r["email"]: r["send_failures"] for r in roster["registrations"]}
    assert [(f["kind"], f["reason"]) for f in failures["p1@example.org"]] == [("message", "rejected")]
    assert message(event_id)["error"]["code"] == "duplicate_message"  # not tried again


def test_preview_email_sends_one_sample_of_a_message_and_of_each_follow_up_to_the_admin_only(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, CROWD)
    preview = {"action": "preview_email", "event_id": event_id, "to": "admin@example.org"}

    sample = invoke_admin({**preview, "kind": "message", "subject": SUBJECT, "message": "Hi <i>all</i>"})
    came = invoke_admin({**preview, "kind": "follow_up", "recording_url": "https://example.org/rec",
                         "feedback_url": "https://example.org/form"})  # fmt: skip
    missed = invoke_admin({**preview, "kind": "follow_up", "attended": False, "recording_url": "https://example.org/rec",
                           "feedback_url": "https://example.org/form"})  # fmt: skip
    no_subject = invoke_admin({**preview, "kind": "message", "message": "Hi"})

    assert sample["ok"] and came["ok"] and missed["ok"], (sample, came, missed)
    assert no_subject["ok"] is False and "subject" in str(no_subject["error"])
    mails = outbox()
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["admin@example.org"] * 3
    assert str(mails[0]["Subject"]) == f"[Preview] {SUBJECT}" and "Hi &lt;i&gt;all&lt;/i&gt;" in html_part(
        mails[0]
    )
    assert "https://example.org/form" in text_part(mails[1])
    assert "https://example.org/rec" in text_part(mails[2]) and "https://example.org/form" not in text_part(
        mails[2]
    )
    assert queued_messages(fast_ses) == 0


def test_export_person_shows_the_messages_had_and_the_opt_out_and_forget_person_erases_them(fast_ses):
    event_id = create_event(starts_at=STARTS)
    ids = put_people(
        event_id, {"a@example.org": ("registered", False), "b@example.org": ("registered", False)}
    )
    message(event_id, subject="First news")
    pump(fast_ses)
    services.get().stores.people.opt_out_of_messages(ids["a@example.org"], clock.now())
    assert (
        message(event_id, subject="Second news", audience="everyone")["queued"] == 1
    )  # b only, still queued

    held = invoke_admin({"action": "export_person", "email": "a@example.org"})
    assert held["person"]["messages_opt_out"] is True
    (registration,) = held["registrations"]
    assert len(registration["messages_sent"]) == 1

    gone = invoke_admin({"action": "forget_person", "email": "b@example.org"})
    assert gone["ok"] and gone["erased"]["notice_recipients"] == 2  # out of both messages' batches
    assert invoke_admin({"action": "forget_person", "email": "a@example.org"})["ok"]
    assert raw_table.get_item(raw_table.person_key(ids["a@example.org"])) is None
    pump(fast_ses)
    assert received("Second news") == Counter()
    batches = services.get().stores.batches.of_event(event_id, "message")
    assert [person for batch in batches for person in batch.recipients] == []


def test_an_email_that_cannot_be_built_marks_that_person_failed_and_the_rest_go(fast_ses):
    event_id = create_event(starts_at=STARTS)
    put_people(event_id, {f"p{n}@example.org": ("registered", False) for n in range(6)})
    # A profile edited by hand into an address no header can carry.
    put_people(event_id, {"broken address@example.org": ("registered", False)})

    message(event_id)
    pump(fast_ses)

    assert set(received()) == {f"p{n}@example.org" for n in range(6)}
    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})
    failures = {r["email"]: r["send_failures"] for r in roster["registrations"]}
    assert [(f["kind"], f["reason"]) for f in failures["broken address@example.org"]] == [
        ("message", "unbuildable")
    ]
    assert queued_messages(fast_ses) == 0
