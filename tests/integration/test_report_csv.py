"""`report` with `format: csv` under moto: a file funders can open, in the export bucket like the
registrations export, with a column per role and status, and figures that survive erasure."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from infra.testkit import REGION
from infra.testkit.api import invoke_admin
from shared import clock, services
from shared.domain.models import RegistrationStatus, Role
from shared.workflows import exports, reports
from tests.integration.helpers import create_event, sign_up
from tests.integration.test_exports_and_privacy import (  # noqa: F401 (bucket is a fixture)
    ADA,
    GRACE,
    KATH,
    bucket,
    object_key,
    s3,
)

ROLE_STATUS_COLUMNS = [f"{role.value}_{status.value}" for role in Role for status in RegistrationStatus]
FIGURES = [*ROLE_STATUS_COLUMNS, "links_opened", "attended"]
HEADER = ["event_id", "title", "starts_at", "status", "capacity", *FIGURES]


@pytest.fixture
def export_bucket(bucket: str) -> str:  # noqa: F811 (the imported fixture, by name)
    """test_exports_and_privacy's bucket: the template's export bucket, in EXPORT_BUCKET."""
    return bucket


def csv_report(first: str, last: str, bucket_name: str) -> tuple[dict[str, Any], bytes]:
    answer = invoke_admin({"action": "report", "from": first, "to": last, "format": "csv"})
    assert answer["ok"] is True, answer
    stored = s3().get_object(Bucket=bucket_name, Key=object_key(answer["s3_uri"], bucket_name))
    return answer, stored["Body"].read()


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    text = body.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n"), "not CRLF line ends throughout"
    return list(csv.reader(io.StringIO(text, newline="")))


def _person(address: str) -> str:
    return services.get().person_id_for(address)


def test_the_csv_report_has_a_row_per_event_a_column_per_role_and_status_and_a_total(export_bucket):
    full = create_event("Full house", "2026-12-09T14:00:00", capacity=1)
    empty = create_event("Nobody yet", "2026-12-10T14:00:00")
    open_door = create_event("Open door", "2026-12-16T14:00:00")
    later = create_event("Next year", "2027-01-13T14:00:00")
    sign_up([full, open_door], **ADA)
    sign_up([full, open_door], **GRACE)  # waiting list at the full event
    sign_up([open_door, later], **KATH)
    services.get().registrations.cancel(full, _person(ADA["email"]), clock.now())  # Grace promoted
    registrations = services.get().stores.registrations
    registrations.record_first_open(open_door, _person(KATH["email"]), clock.now())
    registrations.record_first_open(open_door, _person(ADA["email"]), clock.now())
    registrations.record_join(open_door, _person(KATH["email"]), clock.now())

    answer, body = csv_report("2026-12-01", "2026-12-31", export_bucket)

    rows = rows_of(body)
    assert rows[0] == HEADER
    table = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    assert [row["event_id"] for row in table] == [full, empty, open_door, "TOTAL"]
    by_id = {row["event_id"]: row for row in table}
    full_row = by_id[full]
    assert (full_row["title"], full_row["starts_at"], full_row["status"], full_row["capacity"]) == (
        "Full house",
        "2026-12-09T14:00:00+00:00",
        "scheduled",
        "1",
    )
    expected_full = dict.fromkeys(FIGURES, "0") | {
        "academic_cancelled": "1",
        "lived_experience_registered": "1",
    }
    assert {column: full_row[column] for column in FIGURES} == expected_full
    # An event nobody signed up for: every figure a zero, and no capacity (unlimited) an empty cell.
    assert {column: by_id[empty][column] for column in FIGURES} == dict.fromkeys(FIGURES, "0")
    assert by_id[empty]["capacity"] == ""
    expected_open = dict.fromkeys(FIGURES, "0") | {
        "academic_registered": "1",
        "lived_experience_registered": "1",
        "commissioner_registered": "1",
        "links_opened": "2",
        "attended": "1",
    }
    assert {column: by_id[open_door][column] for column in FIGURES} == expected_open
    # TOTAL: every figure the sum of the events' rows; the text columns empty.
    total = by_id["TOTAL"]
    for column in FIGURES:
        assert int(total[column]) == sum(int(by_id[e][column]) for e in (full, empty, open_door)), column
    assert (total["title"], total["starts_at"], total["status"], total["capacity"]) == ("", "", "", "")
    assert (total["academic_registered"], total["links_opened"], total["attended"]) == ("1", "2", "1")
    # The answer: where the file is, a one-hour link to exactly it, and the same totals as JSON.
    assert (answer["from"], answer["to"], answer["rows"]) == ("2026-12-01", "2026-12-31", 3)
    assert (
        answer["totals"]
        == invoke_admin({"action": "report", "from": "2026-12-01", "to": "2026-12-31"})["totals"]
    )
    assert answer["totals"]["attended"] == 1
    for person in (ADA, GRACE, KATH):
        assert person["email"].encode() not in body and person["name"].encode() not in body


def test_the_csv_report_is_stored_encrypted_under_the_exports_prefix_with_a_one_hour_link(export_bucket):
    create_event("Open door", "2026-12-16T14:00:00")

    answer, body = csv_report("2026-12-01", "2026-12-31", export_bucket)

    key = object_key(answer["s3_uri"], export_bucket)
    assert key.startswith("exports/_reports/") and key.endswith(".csv")
    stored = s3().get_object(Bucket=export_bucket, Key=key)
    assert stored["ServerSideEncryption"] == exports.SERVER_SIDE_ENCRYPTION
    assert stored["ContentType"].startswith("text/csv")
    assert stored["ContentDisposition"] == 'attachment; filename="report-2026-12-01-to-2026-12-31.csv"'
    url = answer["download_url"]
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["3600"]
    assert urlsplit(url).hostname == f"{export_bucket}.s3.{REGION}.amazonaws.com"
    assert answer["download_url_expires_in_seconds"] == 3600
    download = requests.get(url, timeout=5)
    assert (download.status_code, download.content) == (200, body)
    # Another report never overwrites the first.
    again, _ = csv_report("2026-12-01", "2026-12-31", export_bucket)
    assert again["s3_uri"] != answer["s3_uri"]


def test_titles_a_spreadsheet_would_run_stay_text_and_figures_stay_numbers(export_bucket):
    hostile = ['=HYPERLINK("https://evil.example","x")', "+1 morning", "-2 evening", "@SUM(A1)"]
    for day, title in enumerate(hostile, start=10):
        create_event(title, f"2026-12-{day}T14:00:00")

    _, body = csv_report("2026-12-01", "2026-12-31", export_bucket)

    table = [dict(zip(HEADER, row, strict=True)) for row in rows_of(body)[1:]]
    assert [row["title"] for row in table[:-1]] == ["'" + title for title in hostile]
    for row in table:
        for column in ("event_id", "title", "starts_at", "status"):
            assert not row[column].startswith(exports.FORMULA_STARTS), row[column]
        assert all(row[column].isdigit() for column in FIGURES)


def test_the_csv_report_takes_uk_dates_inclusive(export_bucket):
    # 00:30 on 30 June 2027, UK summer time, is still 29 June in UTC.
    midnight = create_event("Midnight oil", "2027-06-30T00:30:00")
    create_event("First of July", "2027-07-01T00:30:00")

    _, day = csv_report("2027-06-30", "2027-06-30", export_bucket)
    _, before = csv_report("2027-06-29", "2027-06-29", export_bucket)

    assert [row[0] for row in rows_of(day)[1:]] == [midnight, "TOTAL"]
    assert [row[0] for row in rows_of(before)[1:]] == ["TOTAL"]
    assert rows_of(before)[1][5:] == ["0"] * len(FIGURES)


def test_the_csv_report_is_the_same_after_a_person_is_erased(export_bucket):
    past = create_event("Last week", "2026-12-02T14:00:00")
    sign_up([past], **ADA)
    sign_up([past], **GRACE)
    registrations = services.get().stores.registrations
    during = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    for person in (ADA, GRACE):
        registrations.record_first_open(past, _person(person["email"]), during)
        registrations.record_join(past, _person(person["email"]), during)
    clock.freeze(datetime(2026, 12, 9, 7, 0, tzinfo=UTC))  # the event is over
    _, before = csv_report("2026-12-01", "2026-12-31", export_bucket)

    erased = invoke_admin({"action": "forget_person", "email": ADA["email"]})

    assert erased["ok"] is True and erased["erased"]["registrations"] == 1
    _, after = csv_report("2026-12-01", "2026-12-31", export_bucket)
    assert after == before
    row = dict(zip(HEADER, rows_of(after)[1], strict=True))
    assert (row["academic_registered"], row["links_opened"], row["attended"]) == ("1", "2", "2")
    # The report names nobody, so erasure leaves the report files where they are.
    assert erased["exports_deleted"] == []


def test_a_csv_report_without_a_bucket_says_so_and_json_still_works(export_bucket, monkeypatch):
    create_event()
    monkeypatch.setenv("EXPORT_BUCKET", "")
    services.reset()

    unset = invoke_admin({"action": "report", "from": "2026-12-01", "to": "2026-12-31", "format": "csv"})
    as_json = invoke_admin({"action": "report", "from": "2026-12-01", "to": "2026-12-31"})

    assert unset["ok"] is False and unset["error"]["code"] == "not_configured"
    assert as_json["ok"] is True and as_json["totals"]["events"] == 1
    assert tuple(HEADER) == reports.CSV_COLUMNS
