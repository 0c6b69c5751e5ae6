"""The funders' report: per event, counts by stakeholder role and status, links opened and
attended, and the sums over the events; as JSON, or as a CSV file in the export bucket.

It reads only the counters kept on each event (`counts`: "<status>#<role>" -> n, `links_opened`,
`attended`), so it survives the expiry and the erasure of registrations and holds nobody's
personal data.

The CSV is made like the registrations export (shared/workflows/exports.py): UTF-8 with a
byte-order mark, CRLF line ends, text cells neutralised against spreadsheet formulas (titles are
an admin's words and may start with = + - @), written encrypted under `exports/_reports/` (no
event id has an underscore, so it never mixes with an event's exports, and the bucket's 30-day
expiry applies), and handed over as a one-hour link.

Everything here but `write_csv` is pure.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.boundary import JsonObject
from shared.domain.models import Event, RegistrationStatus, Role
from shared.workflows.exports import EXPORT_PREFIX, ExportsNotConfigured, ExportStore, neutralise

REPORT_ZONE = ZoneInfo("Europe/London")
REPORT_PREFIX = f"{EXPORT_PREFIX}_reports/"
# Every role by every status, in the enums' order: the same columns whatever the figures.
COUNT_COLUMNS = tuple(f"{role.value}_{status.value}" for role in Role for status in RegistrationStatus)
CSV_COLUMNS = (
    "event_id",
    "title",
    "starts_at",
    "status",
    "capacity",
    *COUNT_COLUMNS,
    "links_opened",
    "attended",
)
TOTAL = "TOTAL"


def _zero_table() -> dict[str, dict[str, int]]:
    return {role.value: {status.value: 0 for status in RegistrationStatus} for role in Role}


def event_report(event: Event) -> JsonObject:
    """One event's counts by role and status, from the counters kept on the event."""
    by_role = _zero_table()
    for key, count in event.counts.items():
        status, _, role = key.partition("#")
        if role in by_role and status in by_role[role]:
            by_role[role][status] += int(count)
    totals = {
        status.value: sum(row[status.value] for row in by_role.values()) for status in RegistrationStatus
    }
    return {
        "event_id": event.id,
        "title": event.title,
        "starts_at": event.local_start.isoformat(),
        "status": event.status.value,
        "capacity": event.capacity,
        "counts": by_role,
        "totals": totals,
        "links_opened": event.links_opened,
        "attended": event.attended,
    }


def report(events: Iterable[Event], first: date, last: date) -> JsonObject:
    """Every event starting from `first` to `last` (inclusive, UK dates), soonest first, and the
    sums over them."""
    chosen = sorted(
        (e for e in events if first <= e.starts_at.astimezone(REPORT_ZONE).date() <= last),
        key=lambda e: (e.starts_at, e.id),
    )
    rows = [event_report(e) for e in chosen]
    by_role = _zero_table()
    for row in rows:
        for role, statuses in row["counts"].items():
            for status, count in statuses.items():
                by_role[role][status] += count
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "events": rows,
        "totals": {
            "events": len(rows),
            "counts": by_role,
            "by_status": {
                status.value: sum(row["totals"][status.value] for row in rows)
                for status in RegistrationStatus
            },
            "links_opened": sum(row["links_opened"] for row in rows),
            "attended": sum(row["attended"] for row in rows),
        },
    }


def unreadable_warnings(event_ids: list[str]) -> list[JsonObject]:
    """The report's `warnings`: the events it could not count, because their records cannot be
    read (`list_events` shows them; `update_event` rewrites them)."""
    if not event_ids:
        return []
    ids = ", ".join(sorted(event_ids))
    return [
        {
            "code": "unreadable_event",
            "message": f"{len(event_ids)} event(s) cannot be read and are in none of these figures: "
            f"{ids}. Rewrite each with update_event (list_events shows what is stored), then run "
            "the report again.",
        }
    ]


def _figures(counts: dict[str, dict[str, int]], links_opened: int, attended: int) -> list[str]:
    by_column = {
        f"{role}_{status}": count for role, statuses in counts.items() for status, count in statuses.items()
    }
    return [str(by_column[column]) for column in COUNT_COLUMNS] + [str(links_opened), str(attended)]


def report_csv(answer: JsonObject) -> bytes:
    """The report as a CSV file: CSV_COLUMNS, one row per event, then the TOTAL row. Text cells
    are neutralised; figures are plain integers; an unlimited capacity is an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # the "excel" dialect: CRLF line ends, quotes where needed
    writer.writerow(CSV_COLUMNS)
    for row in answer["events"]:
        text = [neutralise(str(row[column])) for column in ("event_id", "title", "starts_at", "status")]
        capacity = "" if row["capacity"] is None else str(row["capacity"])
        writer.writerow([*text, capacity, *_figures(row["counts"], row["links_opened"], row["attended"])])
    totals = answer["totals"]
    writer.writerow(
        [TOTAL, "", "", "", "", *_figures(totals["counts"], totals["links_opened"], totals["attended"])]
    )
    return buffer.getvalue().encode("utf-8-sig")


def report_key(now: datetime) -> str:
    """`exports/_reports/<UTC timestamp>-<random>.csv`: sorts by time, never overwrites."""
    return f"{REPORT_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}.csv"


@dataclass(frozen=True)
class ReportFile:
    rows: int
    s3_uri: str
    download_url: str


def write_csv(store: ExportStore | None, answer: JsonObject, now: datetime) -> ReportFile:
    """The report's CSV, written to the export bucket, with its one-hour link."""
    if store is None:
        raise ExportsNotConfigured()
    key = report_key(now)
    filename = f"report-{answer['from']}-to-{answer['to']}.csv"
    store.put_csv(key, report_csv(answer), filename=filename)
    return ReportFile(len(answer["events"]), store.uri(key), store.download_url(key))
