"""Mobile numbers and privacy (issue 12, point 4): exported by export_person, erased by
forget_person (with the short links and number claims made for them), shown to admins in
list_registrations and the CSV export, never in a log line, a key or a queue message."""

from __future__ import annotations

import json

from infra.testkit import raw_table
from infra.testkit.api import call_api, invoke_admin
from infra.testkit.morning import job_bodies, pump, run_dispatch
from shared import clock, services
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_exports_and_privacy import object_key, read_csv, s3
from tests.integration.test_morning_texts import EVENT_DAY_0700, EVENT_DAY_RUN, LINK, texts
from tests.integration.test_privacy import every_log_line

PHONE, STORED = "07400 123456", "+447400123456"
# Every way the number could show: whole, national, and the digits a careless mask would leave.
FORMS = [STORED, "07400123456", "7400123456", "07400 123456", "7400 123456"]


def with_bucket(stack, monkeypatch) -> str:
    name = stack.physical["ExportBucket"]
    monkeypatch.setenv("EXPORT_BUCKET", name)
    services.reset()
    return name


def assert_no_number(text: str) -> None:
    for form in FORMS:
        assert form not in text, f"{form!r} leaked"


def test_admins_see_the_number_in_the_roster_and_the_csv_and_export_person_gives_it(texting, monkeypatch):
    bucket = with_bucket(texting, monkeypatch)
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id], phone=PHONE, sms_consent=True)
    sign_up([event_id], email="grace@example.org", name="Grace Hopper")

    roster = invoke_admin({"action": "list_registrations", "event_id": event_id})["registrations"]
    exported = invoke_admin({"action": "export_registrations", "event_id": event_id})
    person = invoke_admin({"action": "export_person", "email": "ada@example.org"})

    assert {r["email"]: r["phone"] for r in roster} == {"ada@example.org": STORED, "grace@example.org": ""}
    rows = read_csv(s3().get_object(Bucket=bucket, Key=object_key(exported["s3_uri"], bucket))["Body"].read())
    # A leading + would make a spreadsheet read a formula: neutralised, as every cell is.
    assert {row["email"]: row["phone"] for row in rows} == {
        "ada@example.org": "'" + STORED,
        "grace@example.org": "",
    }
    assert person["person"]["phone"] == STORED and person["person"]["sms_consent"] is True


def test_forget_person_leaves_no_number_no_short_link_and_no_claim(texting, monkeypatch):
    with_bucket(texting, monkeypatch)
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    sign_up([event_id], phone=PHONE, sms_consent=True)
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)
    pump(texting)
    code = LINK.search(texts()[0]["body"].split("\n")[-1]).group(1)
    assert call_api("GET", f"/j/{code}").status == 302
    before = {(i["PK"]["S"], i["SK"]["S"]) for i in raw_table.scan()}
    assert any(sk.startswith("TEXTTO#") for _pk, sk in before) and (f"JCODE#{code}", "JCODE") in before

    erased = invoke_admin({"action": "forget_person", "email": "ada@example.org"})

    assert erased["ok"] is True, erased
    items = raw_table.scan()
    assert_no_number(json.dumps(items))
    assert not [i for i in items if i["SK"]["S"].startswith(("TEXTTO#", "JCODE"))]
    assert call_api("GET", f"/j/{code}").status == 404


def test_no_log_line_key_or_queue_message_holds_the_number(texting, monkeypatch, capsys):
    with_bucket(texting, monkeypatch)
    event_id = create_event(starts_at="2026-12-09T14:00:00")

    with every_log_line() as logs:
        sign_up([event_id], phone=PHONE, sms_consent=True)
        sign_up([event_id], email="bad@example.org", phone="0800 123 456", sms_consent=True)  # refused
        token = call_api("POST", "/manage/link", json_body={"email": "ada@example.org"})
        clock.freeze(EVENT_DAY_0700)
        run_dispatch(EVENT_DAY_RUN)
        queued = json.dumps(job_bodies(texting))
        pump(texting)
        invoke_admin({"action": "list_registrations", "event_id": event_id})
        invoke_admin({"action": "export_person", "email": "ada@example.org"})
        invoke_admin({"action": "forget_person", "email": "ada@example.org"})

    assert token.status == 202 and texts()  # the flow did run: a text went
    captured = capsys.readouterr()
    text = logs.getvalue() + captured.out + captured.err
    assert "batch sent" in text  # the capture saw the sender's own lines
    assert_no_number(text)
    assert_no_number(queued)
    assert_no_number(repr([(i["PK"]["S"], i["SK"]["S"]) for i in raw_table.scan()]))
