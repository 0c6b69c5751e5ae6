"""The morning send under moto: DispatchFunction queues, SenderFunction sends, each person once."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin, outbox
from infra.testkit.morning import (
    Crash,
    add_registrants,
    join_emails_by_recipient,
    pump,
    queued_messages,
    run_dispatch,
)
from shared import clock, services
from tests.integration.helpers import ZOOM, ZOOM_SECRETS, create_event, sign_up, text_part

EVENT_DAY_RUN = "2026-12-09T07:00:00Z"
EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)


@pytest.fixture
def fast_ses(aws, monkeypatch):
    """SES's rate for these tests (moto has no GetAccount, so the configured fallback stands)."""
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return aws


def join_link_in(message) -> str:
    match = re.search(
        r"https://events\.example\.org/join/[0-9]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", text_part(message)
    )
    assert match, "no join link"
    return match.group(0)


def test_every_registrant_gets_one_join_email_with_their_own_link_and_the_details(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 3, now=clock.now())
    clock.freeze(EVENT_DAY_0700)

    answer = run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    assert answer == {"events": [{"event_id": event_id, "queued": 3, "skipped": 0}]}
    assert join_emails_by_recipient() == {address: 1 for address in addresses}
    message = outbox()[0]
    text = text_part(message)
    assert ZOOM["zoom_meeting_id"] in text and ZOOM["zoom_passcode"] in text and "+44 203 481 5240" in text
    assert "Wednesday 9 December 2026, 2:00pm to 3:30pm UK time (GMT)" in text
    assert ZOOM["zoom_join_url"] not in message.as_string()
    assert message["List-Unsubscribe"].startswith("<https://events.example.org/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len({join_link_in(m) for m in outbox()}) == 3


def test_a_second_run_and_the_schedulers_retry_send_nothing_more(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 4, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    again = run_dispatch(EVENT_DAY_RUN)
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=5))
    retried = run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    assert again["events"] == [{"event_id": event_id, "queued": 0, "skipped": 4}]
    assert retried["events"][0]["queued"] == 0
    assert sum(join_emails_by_recipient().values()) == 4


def test_two_runs_started_together_send_each_person_once(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 30, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    barrier = threading.Barrier(2)
    answers = []

    dispatcher = services.get().dispatcher  # no state of its own: two runs may share it

    def run() -> None:
        barrier.wait()
        answers.append(dispatcher.run(EVENT_DAY_0700, clock.now()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pump(fast_ses)

    assert sorted(rows[0].queued for rows in answers) == [0, 30]
    counts = join_emails_by_recipient()
    assert len(counts) == 30 and set(counts.values()) == {1}


def aws_queue(stack) -> str:
    return stack.physical["OutboundQueue"]


def test_a_duplicate_delivery_of_a_batch_sends_nothing_twice(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 5, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    body = (
        services.get()
        .client("sqs")
        .receive_message(QueueUrl=aws_queue(fast_ses), VisibilityTimeout=0)["Messages"][0]["Body"]
    )
    services.get().client("sqs").send_message(
        QueueUrl=aws_queue(fast_ses), MessageBody=body
    )  # Lambda's at-least-once

    pump(fast_ses)

    assert sum(join_emails_by_recipient().values()) == 5


def test_a_0630_event_is_sent_the_morning_before_and_a_missed_run_is_caught_up_next_morning(fast_ses):
    early = create_event("Early conversation", starts_at="2026-12-10T06:30:00")
    addresses = add_registrants(early, 2, now=clock.now())
    # The run on the 9th (its send moment) never happened. The run on the 10th catches it up.
    clock.freeze(datetime(2026, 12, 10, 7, 0, tzinfo=UTC))

    answer = run_dispatch("2026-12-10T07:00:00Z")
    pump(fast_ses)

    assert answer["events"] == [{"event_id": early, "queued": 2, "skipped": 0}]
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


def test_the_run_the_morning_before_covers_a_0630_event(fast_ses):
    early = create_event("Early conversation", starts_at="2026-12-10T06:30:00")
    later_one = create_event("Afternoon the day after", starts_at="2026-12-10T14:00:00")
    add_registrants(early, 1, now=clock.now())
    add_registrants(later_one, 1, prefix="other", now=clock.now())
    clock.freeze(EVENT_DAY_0700)

    answer = run_dispatch(EVENT_DAY_RUN)

    assert [row["event_id"] for row in answer["events"]] == [early]


@pytest.mark.parametrize(
    ("local_start", "run_utc"),
    [("2026-10-25T14:00:00", "2026-10-25T07:00:00Z"), ("2027-03-28T14:00:00", "2027-03-28T06:00:00Z")],
)
def test_the_clock_change_mornings_send_at_seven_local_time(fast_ses, local_start, run_utc):
    clock.freeze(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    event_id = create_event("Clock change", starts_at=local_start)
    add_registrants(event_id, 1, now=clock.now())
    run = datetime.fromisoformat(run_utc.replace("Z", "+00:00"))
    clock.freeze(run - timedelta(minutes=1))
    assert run_dispatch((run - timedelta(hours=24)).isoformat())["events"] == []

    clock.freeze(run)
    answer = run_dispatch(run_utc)

    assert answer["events"] == [{"event_id": event_id, "queued": 1, "skipped": 0}]


def test_a_start_moved_to_another_send_moment_re_arms_the_morning_send(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)
    invoke_admin({"action": "update_event", "event_id": event_id, "starts_at": "2026-12-16T14:00:00"})

    clock.freeze(datetime(2026, 12, 16, 7, 0, tzinfo=UTC))
    answer = run_dispatch("2026-12-16T07:00:00Z")
    pump(fast_ses)

    assert answer["events"][0]["queued"] == 2
    assert join_emails_by_recipient() == {a: 2 for a in addresses}


def test_cancelled_and_waitlisted_people_and_suppressed_addresses_get_no_link(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00", capacity=2)
    sign_up([event_id], email="keeps@example.org")
    sign_up([event_id], email="bounced@example.org")
    sign_up([event_id], email="waiting@example.org")
    bounced = services.get().person_id_for("bounced@example.org")
    raw_table.update_item(
        Key={"PK": {"S": f"PERSON#{bounced}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET suppression = :b",
        ExpressionAttributeValues={":b": {"S": "bounced"}},
    )
    clock.freeze(EVENT_DAY_0700)

    answer = run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    assert answer["events"] == [{"event_id": event_id, "queued": 1, "skipped": 1}]
    assert join_emails_by_recipient() == {"keeps@example.org": 1}


def test_a_late_signup_gets_the_join_link_in_its_confirmation_and_counts_as_sent(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    clock.freeze(EVENT_DAY_0700 + timedelta(hours=2))

    answer = sign_up([event_id], email="late@example.org")
    run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    assert answer.status == 201
    (confirmation,) = outbox()
    text = text_part(confirmation)
    assert "/join/" in text and ZOOM["zoom_passcode"] in text
    registration = services.get().stores.registrations.get(
        event_id, services.get().person_id_for("late@example.org")
    )
    assert registration.link_sent_for == EVENT_DAY_0700
    assert join_emails_by_recipient() == {}


def test_a_signup_before_the_send_moment_carries_no_zoom_details(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    raw = outbox()[0].as_string()
    assert "/join/" in raw  # the .ics URL is the personal link
    assert not any(secret in raw for secret in ZOOM_SECRETS)


def test_send_links_sends_one_event_now(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    other = create_event("Other", starts_at="2026-12-09T16:00:00")
    add_registrants(event_id, 2, now=clock.now())
    add_registrants(other, 2, prefix="other", now=clock.now())

    answer = invoke_admin({"action": "send_links", "event_id": event_id})
    pump(fast_ses)

    assert answer == {"ok": True, "event_id": event_id, "queued": 2, "skipped": 0}
    assert set(join_emails_by_recipient()) == {"person0@example.org", "person1@example.org"}
    clock.freeze(EVENT_DAY_0700)
    assert run_dispatch(EVENT_DAY_RUN)["events"] == [
        {"event_id": event_id, "queued": 0, "skipped": 2},
        {"event_id": other, "queued": 2, "skipped": 0},
    ]
    assert invoke_admin({"action": "send_links", "event_id": "nope"})["error"]["code"] == "not_found"


# --- /join/<token> ---------------------------------------------------------------------------------


def test_the_join_link_works_from_the_send_moment_until_half_an_hour_after_the_end(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    token = join_link_in_ics(outbox()[0])
    person = services.get().person_id_for("ada@example.org")

    before = call_api("GET", f"/join/{token}", headers={"accept": "text/html"})
    clock.freeze(EVENT_DAY_0700)
    during = call_api("GET", f"/join/{token}")
    clock.freeze(datetime(2026, 12, 9, 15, 59, tzinfo=UTC))
    just_after = call_api("GET", f"/join/{token}")
    clock.freeze(datetime(2026, 12, 9, 16, 1, tzinfo=UTC))
    gone = call_api("GET", f"/join/{token}", headers={"accept": "text/html"})

    assert before.status == 200 and "7:00am on Wednesday 9 December 2026" in before.body
    assert during.status == 302 and during.headers["location"] == ZOOM["zoom_join_url"]
    assert just_after.status == 302
    assert gone.status == 410
    registration = services.get().stores.registrations.get(event_id, person)
    assert registration.opened_at == EVENT_DAY_0700
    assert services.get().stores.events.get(event_id).links_opened == 1


def join_link_in_ics(message) -> str:
    import icalendar

    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"][:1]
    url = str(icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]["URL"])
    return url.rsplit("/join/", 1)[1]


def test_every_sent_link_follows_a_changed_zoom_url(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    token = join_link_in_ics(outbox()[0])
    invoke_admin({"action": "update_event", "event_id": event_id, "zoom_join_url": "https://zoom.us/j/111"})
    clock.freeze(EVENT_DAY_0700)

    assert call_api("GET", f"/join/{token}").headers["location"] == "https://zoom.us/j/111"


def test_a_cancelled_place_is_410_and_a_bad_token_404(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id])
    token = join_link_in_ics(outbox()[0])
    manage = re.search(r"manage\?token=([\w\-.]+)", text_part(outbox()[0])).group(1)
    call_api("POST", "/manage/cancel", json_body={"token": manage, "event_id": event_id})
    clock.freeze(EVENT_DAY_0700)

    assert call_api("GET", f"/join/{token}").status == 410
    assert call_api("GET", f"/join/{token[:-2]}xx").status == 404
    assert call_api("GET", f"/join/{manage}").status == 404


# --- exactly once, even when something dies ----------------------------------------------------


class CrashingSes:
    """SES that kills the process at the k-th send: right after accepting it (before our write),
    or just before it reaches SES."""

    def __init__(self, real, crash_at: int, *, accepted: bool) -> None:
        self.real = real
        self.crash_at = crash_at
        self.accepted_before_crash = accepted
        self.calls = 0

    def send_email(self, **kwargs):
        self.calls += 1
        if self.calls == self.crash_at and not self.accepted_before_crash:
            raise Crash()
        answer = self.real.send_email(**kwargs)
        if self.calls == self.crash_at:
            raise Crash()
        return answer


CRASH_POINTS = [1, 2, 3, 7, 10, 11, 19, 24, 25]


@pytest.mark.parametrize("accepted", [True, False], ids=["after-ses-accepted", "before-ses"])
@pytest.mark.parametrize("k", CRASH_POINTS)
def test_a_sender_that_dies_at_the_kth_send_is_finished_by_the_next_without_missing_anyone(
    fast_ses, monkeypatch, k, accepted
):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 25, now=clock.now())
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 10)
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    services.override(ses_send=CrashingSes(services.get().client("ses_send"), k, accepted=accepted))

    with pytest.raises(Crash):
        pump(fast_ses)

    services.override()
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=10))  # the dead sender's lease has run out
    pump(fast_ses, visible_again=True)
    run_dispatch(EVENT_DAY_RUN)  # the scheduler's retry, or the next run, finds nothing left
    pump(fast_ses, visible_again=True)

    counts = join_emails_by_recipient()
    assert set(counts) == set(addresses), "someone was missed"
    duplicates = sum(n - 1 for n in counts.values())
    moment = "after SES accepted it" if accepted else "before it reached SES"
    print(f"crash at send {k}, {moment}: {len(counts)}/25 reached, {duplicates} duplicate(s)")
    # Only a message SES accepted just before the crash can go twice.
    assert duplicates == (1 if accepted else 0), counts
    assert queued_messages(fast_ses) == 0


def test_a_dispatch_that_dies_after_writing_its_batches_is_finished_by_the_next_run(fast_ses, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 12, now=clock.now())
    monkeypatch.setattr("shared.domain.bulk.BATCH_SIZE", 5)
    clock.freeze(EVENT_DAY_0700)
    from shared.mail.outbox import Outbox

    def die(*_args, **_kwargs):
        raise Crash()

    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(Outbox, "put_many", die)
        run_dispatch(EVENT_DAY_RUN)
    clock.freeze(EVENT_DAY_0700 + timedelta(minutes=11))  # the dead run's batches are overdue

    answer = run_dispatch(EVENT_DAY_RUN)
    pump(fast_ses)

    assert answer["events"][0]["queued"] == 12
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


# --- SES faults ------------------------------------------------------------------------------------


class FaultySes:
    def __init__(self, real, faults: dict[int, str]) -> None:
        self.real = real
        self.faults = faults  # call number (1-based) -> SES error code
        self.calls = 0

    def send_email(self, **kwargs):
        self.calls += 1
        code = self.faults.get(self.calls)
        if code:
            raise ClientError({"Error": {"Code": code, "Message": code}}, "SendEmail")
        return self.real.send_email(**kwargs)


def test_throttling_backs_off_and_retries(fast_ses, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 4, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    slept: list[float] = []
    faults = {2: "TooManyRequestsException", 3: "TooManyRequestsException"}
    services.override(ses_send=FaultySes(services.get().client("ses_send"), faults), sleep=slept.append)

    pump(fast_ses)

    assert slept == [0.5, 1.0]
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


@pytest.mark.parametrize("code", ["SendingPausedException", "LimitExceededException"])
def test_a_paused_account_or_spent_quota_stops_cleanly_and_resumes_later(fast_ses, monkeypatch, capsys, code):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 6, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    services.override(ses_send=FaultySes(services.get().client("ses_send"), {3: code}))

    pump(fast_ses)

    assert sum(join_emails_by_recipient().values()) == 2
    assert queued_messages(fast_ses) == 1  # the batch waits on the queue
    assert '"SendingStopped"' in capsys.readouterr().out  # the metric the alarm watches
    services.override()
    pump(fast_ses, visible_again=True)
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


def test_one_rejected_address_fails_alone_while_the_rest_are_sent(fast_ses, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 5, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    services.override(ses_send=FaultySes(services.get().client("ses_send"), {2: "MessageRejected"}))

    pump(fast_ses)
    second = run_dispatch(EVENT_DAY_RUN)

    assert sum(join_emails_by_recipient().values()) == 4
    assert queued_messages(fast_ses) == 0
    assert second["events"][0]["queued"] == 0  # not tried again for this send moment


# --- scale ----------------------------------------------------------------------------------------


def test_eleven_batches_of_registrants_through_the_queue_each_exactly_once(fast_ses):
    """At scale, and past every grouping on the way: ten full batch items and a half one, so
    more queue messages than one SendMessageBatch or one SQS receive (10) carries. Beyond this
    the cost only grows; `make bench` sends 10,000 and checks each is reached exactly once."""
    from shared.domain.bulk import BATCH_SIZE

    registrants = 10 * BATCH_SIZE + BATCH_SIZE // 2  # 1,050
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, registrants, now=clock.now())
    clock.freeze(EVENT_DAY_0700)

    answer = run_dispatch(EVENT_DAY_RUN)
    messages = pump(fast_ses)

    assert answer["events"] == [{"event_id": event_id, "queued": registrants, "skipped": 0}]
    assert messages == 11  # one per batch item
    counts = join_emails_by_recipient()
    assert len(counts) == registrants and set(counts.values()) == {1}
    assert set(counts) == set(addresses)


def test_a_sender_running_out_of_time_gives_the_batch_back_and_it_is_resumed(fast_ses, monkeypatch):
    from shared.mail.jobs import read_job
    from shared.workflows.sending import Deadline, OutOfTime

    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 8, now=clock.now())
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    job = (
        services.get()
        .client("sqs")
        .receive_message(QueueUrl=aws_queue(fast_ses), VisibilityTimeout=0)["Messages"][0]
    )
    left = iter([60.0, 60.0, 60.0, 60.0, 5.0])

    with pytest.raises(OutOfTime):
        services.get().join_links.send_batch(read_job(job["Body"]), clock.now(), Deadline(lambda: next(left)))

    assert sum(join_emails_by_recipient().values()) == 3
    pump(fast_ses)  # redelivered: the lease was given back, so it goes on where it stopped
    assert join_emails_by_recipient() == {a: 1 for a in addresses}


def test_the_heartbeat_check_reports_a_late_morning_until_the_run_completes(fast_ses, capsys):
    import json as json_module

    from functions.dispatch.handler import lambda_handler
    from infra.testkit.api import LambdaContext

    def late_metric() -> list[float]:
        values = []
        for line in capsys.readouterr().out.splitlines():
            if '"MorningSendLate"' in line:
                values.extend(json_module.loads(line)["MorningSendLate"])
        return values

    clock.freeze(datetime(2026, 12, 9, 8, 15, tzinfo=UTC))
    missing = lambda_handler({"check_heartbeat": "2026-12-09T08:15:00Z"}, LambdaContext())
    assert missing == {"late": True}
    assert late_metric() == [1.0]

    run_dispatch(EVENT_DAY_RUN)
    capsys.readouterr()
    done = lambda_handler({"check_heartbeat": "2026-12-09T08:15:00Z"}, LambdaContext())

    assert done == {"late": False}
    assert late_metric() == [0.0]


def test_a_run_without_a_scheduled_time_runs_for_now(fast_ses):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    add_registrants(event_id, 1, now=clock.now())
    clock.freeze(datetime(2026, 12, 9, 9, 30, tzinfo=UTC))  # a manual run after the morning's

    assert run_dispatch()["events"] == [{"event_id": event_id, "queued": 1, "skipped": 0}]
