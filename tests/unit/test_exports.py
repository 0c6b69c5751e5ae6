"""Exports and the report without AWS: neutralised cells, the CSV, the report's sums and dates;
SES's suppression-list adapter against botocore's Stubber."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import boto3
import pytest
from botocore.stub import Stubber

from infra.local.resources import _lifecycle_rule
from shared.domain.errors import Unavailable
from shared.domain.models import Event, RegistrationStatus, Role
from shared.domain.people import Person, Registrant, Registration
from shared.workflows import exports, reports
from shared.workflows.privacy import SesSuppressionList

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def event(**fields: object) -> Event:
    values: dict[str, object] = {
        "id": "2026-12-09-co-production",
        "title": "Co-production in a Digital World",
        "starts_at": datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 9, 15, 30, tzinfo=UTC),
    }
    values.update(fields)
    return Event.model_validate(values)


def registration(name: str, email: str, organisation: str = "", **fields: object) -> Registrant:
    values: dict[str, object] = {
        "event_id": "2026-12-09-co-production",
        "person_id": email,
        "role": Role.academic,
        "registered_at": NOW,
    }
    values.update(fields)
    person = Person(person_id=email, email=email, name=name, organisation=organisation, role=Role.academic)
    return Registrant(Registration.model_validate(values), person)


def parse(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- neutralising -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+44 20 7946 0000", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =cmd|' /C calc'!A0", "=", "-"],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(cell):
    assert exports.neutralise(cell) == "'" + cell
    assert exports.deneutralise(exports.neutralise(cell)) == cell


@pytest.mark.parametrize(
    "cell", ["", "Ada Lovelace", "O'Brien", "ada@example.org", "2026-11-25T10:00:00+00:00", "a=b", "'quoted"]
)
def test_an_ordinary_cell_is_left_alone(cell):
    assert exports.neutralise(cell) == cell
    assert exports.deneutralise(cell) == cell


# --- the CSV ----------------------------------------------------------------------------------------


def test_the_csv_has_a_bom_a_header_and_one_row_per_registration_places_first():
    rows = [
        registration(
            "Grace Hopper",
            "grace@example.org",
            role=Role.lived_experience,
            status=RegistrationStatus.waitlisted,
            waitlisted_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        ),
        registration(
            "Ada Lovelace",
            "ada@example.org",
            organisation="Analytical Engines, Ltd",
            access_needs='Captions;\nand a "quiet" room',
            link_sent_at=datetime(2026, 12, 9, 7, 0, 5, tzinfo=UTC),
            opened_at=datetime(2026, 12, 9, 13, 58, tzinfo=UTC),
            joined_at=datetime(2026, 12, 9, 13, 58, tzinfo=UTC),
        ),
        registration("Zoë Ångström 山田", "zoe@example.org", status=RegistrationStatus.cancelled),
    ]

    body = exports.registrations_csv(rows, event())

    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in body
    parsed = parse(body)
    assert parsed[0] == list(exports.COLUMNS)
    assert parsed[1] == [
        "Ada Lovelace",
        "ada@example.org",
        "academic",
        "Analytical Engines, Ltd",
        'Captions;\nand a "quiet" room',
        "registered",
        "2026-11-25T10:00:00+00:00",
        "2026-12-09T07:00:05+00:00",
        "2026-12-09T13:58:00+00:00",
        "2026-12-09T13:58:00+00:00",
        "",  # phone: none held
    ]
    assert parsed[2][:2] == ["Grace Hopper", "grace@example.org"]
    assert parsed[2][5] == "waitlisted"
    assert parsed[3][0] == "Zoë Ångström 山田"
    assert len(parsed) == 4


def test_times_are_in_the_events_own_zone():
    summer = event(timezone="Europe/London")
    body = exports.registrations_csv(
        [registration("Ada", "ada@example.org", registered_at=datetime(2027, 6, 1, 9, 0, tzinfo=UTC))], summer
    )

    assert parse(body)[1][6] == "2027-06-01T10:00:00+01:00"


def test_hostile_cells_are_neutralised_and_parse_back_as_text():
    hostile = registration(
        '=HYPERLINK("https://evil.example","x")',
        "-dash@example.org",
        organisation="+cmd|' /C calc'!A0",
        access_needs="@SUM(1)",
    )

    parsed = parse(exports.registrations_csv([hostile], event()))

    assert parsed[1][:5] == [
        '\'=HYPERLINK("https://evil.example","x")',
        "'-dash@example.org",
        "academic",
        "'+cmd|' /C calc'!A0",
        "'@SUM(1)",
    ]
    assert all(not cell.startswith(exports.FORMULA_STARTS) for row in parsed for cell in row)


def test_an_export_names_an_address_even_when_neutralised_or_in_another_case():
    body = exports.registrations_csv([registration("Dash", "-Dash@Example.org")], event())

    assert exports.csv_names(body, "-dash@example.org")
    assert exports.csv_names(body, " -DASH@example.org ")
    assert not exports.csv_names(body, "dash@example.org")


def test_export_keys_sort_by_time_and_never_repeat():
    first, second = exports.export_key("ev-1", NOW), exports.export_key("ev-1", NOW)

    assert re.fullmatch(r"exports/ev-1/20261125T100000Z-[0-9a-f]{6}\.csv", first)
    assert first != second


# --- the report -------------------------------------------------------------------------------------


def test_the_report_reads_the_events_counters_by_role_and_status():
    counted = event(
        counts={
            "registered#academic": 3,
            "cancelled#academic": 1,
            "waitlisted#lived_experience": 2,
            "registered#lived_experience": 0,
            "nonsense": 9,
        },
        links_opened=2,
        capacity=3,
    )

    row = reports.event_report(counted)

    assert row["counts"]["academic"] == {"registered": 3, "waitlisted": 0, "cancelled": 1}
    assert row["counts"]["lived_experience"] == {"registered": 0, "waitlisted": 2, "cancelled": 0}
    assert set(row["counts"]) == {role.value for role in Role}
    assert row["totals"] == {"registered": 3, "waitlisted": 2, "cancelled": 1}
    assert (row["links_opened"], row["capacity"], row["title"]) == (2, 3, "Co-production in a Digital World")
    assert row["starts_at"] == "2026-12-09T14:00:00+00:00"


def test_the_report_takes_events_starting_within_uk_dates_inclusive_and_sums_them():
    events = [
        event(id="a", counts={"registered#academic": 2}, links_opened=1),
        # 00:30 UK summer time on 30 June is 23:30 UTC on 29 June.
        event(
            id="b",
            starts_at=datetime(2027, 6, 29, 23, 30, tzinfo=UTC),
            ends_at=datetime(2027, 6, 30, 1, 0, tzinfo=UTC),
            counts={"registered#manager": 1},
        ),
        event(
            id="c",
            starts_at=datetime(2027, 7, 1, 13, 0, tzinfo=UTC),
            ends_at=datetime(2027, 7, 1, 14, 0, tzinfo=UTC),
        ),
    ]

    june = reports.report(events, date(2027, 6, 30), date(2027, 6, 30))
    whole = reports.report(list(reversed(events)), date(2026, 12, 9), date(2027, 6, 30))

    assert [row["event_id"] for row in june["events"]] == ["b"]
    assert reports.report(events, date(2027, 6, 29), date(2027, 6, 29))["events"] == []
    assert [row["event_id"] for row in whole["events"]] == ["a", "b"]
    assert whole["totals"]["events"] == 2
    assert whole["totals"]["by_status"] == {"registered": 3, "waitlisted": 0, "cancelled": 0}
    assert whole["totals"]["counts"]["manager"]["registered"] == 1
    assert whole["totals"]["links_opened"] == 1
    assert (whole["from"], whole["to"]) == ("2026-12-09", "2027-06-30")


# --- SES's suppression list, through its adapter ----------------------------------------------------


@pytest.fixture
def ses():
    client = boto3.client(
        "sesv2", region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        yield SesSuppressionList(client), stub
        stub.assert_no_pending_responses()


def test_removing_a_listed_address(ses):
    adapter, stub = ses
    stub.add_response("delete_suppressed_destination", {}, {"EmailAddress": "ada@example.org"})

    assert adapter.remove("ada@example.org") == "removed"


def test_removing_an_address_ses_does_not_list_is_nothing_to_remove(ses):
    adapter, stub = ses
    stub.add_client_error(
        "delete_suppressed_destination", "NotFoundException", "not on the list", http_status_code=404
    )

    assert adapter.remove("ada@example.org") == "not_listed"


@pytest.mark.parametrize("code", ["404", "NotImplemented", "InvalidAction", "UnknownOperationException"])
def test_an_endpoint_without_the_call_is_nothing_to_remove_and_said_so(ses, code):
    adapter, stub = ses
    stub.add_client_error("delete_suppressed_destination", code, http_status_code=404)
    stub.add_client_error("get_suppressed_destination", code, http_status_code=404)

    assert adapter.remove("ada@example.org") == "unsupported"
    assert adapter.lookup("ada@example.org").state == "unknown"


def test_moto_in_process_lacking_the_calls_is_nothing_to_remove():
    class Lacking:
        def delete_suppressed_destination(self, **_: object) -> None:
            raise NotImplementedError("The delete_suppressed_destination action has not been implemented")

        def get_suppressed_destination(self, **_: object) -> None:
            raise NotImplementedError("The get_suppressed_destination action has not been implemented")

    adapter = SesSuppressionList(Lacking())

    assert adapter.remove("ada@example.org") == "unsupported"
    assert adapter.lookup("ada@example.org").state == "unknown"


@pytest.mark.parametrize("code", ["AccessDeniedException", "TooManyRequestsException", "BadRequestException"])
def test_any_other_failure_is_unavailable_and_names_no_address(ses, code):
    adapter, stub = ses
    stub.add_client_error(
        "delete_suppressed_destination", code, "ada@example.org is ...", http_status_code=400
    )

    with pytest.raises(Unavailable) as raised:
        adapter.remove("ada@example.org")

    assert code in raised.value.message
    assert "ada@example.org" not in raised.value.message


def test_looking_an_address_up_gives_sess_reason(ses):
    adapter, stub = ses
    stub.add_response(
        "get_suppressed_destination",
        {
            "SuppressedDestination": {
                "EmailAddress": "ada@example.org",
                "Reason": "BOUNCE",
                "LastUpdateTime": NOW,
            }
        },
        {"EmailAddress": "ada@example.org"},
    )
    stub.add_client_error("get_suppressed_destination", "NotFoundException", http_status_code=404)

    listed = adapter.lookup("ada@example.org")
    missing = adapter.lookup("grace@example.org")

    assert (listed.state, listed.reason) == ("listed", "BOUNCE")
    assert (missing.state, missing.reason) == ("not_listed", None)


# --- the local stack's buckets --------------------------------------------------------------------


def test_a_templates_lifecycle_rule_becomes_the_s3_apis_rule():
    assert _lifecycle_rule(
        {
            "Id": "ExpireExports",
            "Status": "Enabled",
            "Prefix": "exports/",
            "ExpirationInDays": 30,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        }
    ) == {
        "ID": "ExpireExports",
        "Status": "Enabled",
        "Filter": {"Prefix": "exports/"},
        "Expiration": {"Days": 30},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
    }


def test_the_report_carries_attended_per_event_and_in_its_totals():
    events = [event(id="a", attended=3, links_opened=5), event(id="b", attended=1, links_opened=1)]

    answer = reports.report(events, date(2026, 12, 9), date(2026, 12, 9))

    assert [row["attended"] for row in answer["events"]] == [3, 1]
    assert (answer["totals"]["attended"], answer["totals"]["links_opened"]) == (4, 6)


def test_the_report_csv_keeps_its_columns_whatever_the_figures_and_sums_them_in_total():
    events = [
        event(id="a", title="=1+1", counts={"registered#academic": 2, "cancelled#other": 1}, capacity=40),
        event(id="b", counts={}, attended=1, links_opened=1),
    ]

    body = reports.report_csv(reports.report(events, date(2026, 12, 9), date(2026, 12, 9)))

    assert body.startswith(b"\xef\xbb\xbfevent_id,title,starts_at,status,capacity,")
    assert b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert len(rows[0]) == 5 + len(Role) * len(RegistrationStatus) + 2
    header = rows[0]
    a, b, total = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert (a["title"], a["capacity"]) == ("'=1+1", "40")
    assert (a["academic_registered"], a["other_cancelled"], a["manager_registered"]) == ("2", "1", "0")
    assert (b["capacity"], b["academic_registered"], b["attended"]) == ("", "0", "1")
    assert total["event_id"] == "TOTAL"
    assert all(int(total[c]) == int(a[c]) + int(b[c]) for c in header[5:])
