"""Registration exports (CSV in the private export bucket); the funders' report is in reports.py.

An export is a CSV file of one event's registrations, UTF-8 with a byte-order mark (so Excel
reads accents and non-Latin names right), written to the export bucket under
`exports/<event_id>/<timestamp>-<random>.csv` with server-side encryption, and handed to the
admin as a one-hour presigned URL. The bucket's lifecycle rule deletes exports after 30 days;
`forget_person` deletes earlier every export that names the person (shared/privacy.py).

Cells a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, a tab or a carriage
return, even after leading spaces) are neutralised with a leading apostrophe: people type their
own names, and a name like `=HYPERLINK(...)` must stay text when an admin opens the file.

Everything here but `ExportStore` is pure.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.errors import DomainError, NotFound, Unavailable
from shared.domain.models import Event, RegistrationStatus, normalise_address
from shared.domain.people import Registrant
from shared.stores.events import EventStore
from shared.stores.people import PersonStore
from shared.stores.registrations import RegistrationStore

COLUMNS = (
    "name",
    "email",
    "role",
    "organisation",
    "access_needs",
    "status",
    "registered_at",
    "link_sent_at",
    "opened_at",
    "joined_at",
    "phone",  # last: columns added later go after the ones spreadsheets already expect
)
EXPORT_PREFIX = "exports/"
DOWNLOAD_SECONDS = 3600
# SSE-S3, as the bucket's default encryption in template.yaml; the bucket refuses other puts.
SERVER_SIDE_ENCRYPTION = "AES256"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATUS_ORDER = {
    RegistrationStatus.registered: 0,
    RegistrationStatus.waitlisted: 1,
    RegistrationStatus.cancelled: 2,
}


class ExportsNotConfigured(DomainError):
    code = "not_configured"
    status = 503
    message = "Exports are not set up here: AdminFunction has no EXPORT_BUCKET."


# --- the CSV (pure) ----------------------------------------------------------------------------------


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if cell.startswith(FORMULA_STARTS) or cell.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def deneutralise(cell: str) -> str:
    """The value a neutralised cell stands for (to recognise an address in an export)."""
    return cell[1:] if cell.startswith("'") and neutralise(cell[1:]) != cell[1:] else cell


def _when(moment: datetime | None, event: Event) -> str:
    return moment.astimezone(event.zone).isoformat(timespec="seconds") if moment else ""


def export_rows(registrants: Iterable[Registrant], event: Event) -> list[list[str]]:
    """Rows in the order of COLUMNS: places first, then the waiting list, then cancellations,
    each in the order people signed up; times in the event's own zone, with their offset. Name,
    address and organisation are the person's own, as their profile holds them now."""
    ordered = sorted(
        registrants,
        key=lambda x: (
            STATUS_ORDER[x.registration.status],
            x.registration.waitlisted_at or x.registration.registered_at,
            x.registration.person_id,
        ),
    )
    return [
        [
            x.name,
            x.email,
            x.registration.role.value,
            x.organisation,
            x.registration.access_needs,
            x.registration.status.value,
            _when(x.registration.registered_at, event),
            _when(x.registration.link_sent_at, event),
            _when(x.registration.opened_at, event),
            _when(x.registration.joined_at, event),
            x.phone,
        ]
        for x in ordered
    ]


def registrations_csv(registrations: Iterable[Registrant], event: Event) -> bytes:
    """The export file: header row, one row per registration, every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # the "excel" dialect: CRLF line ends, quotes where needed
    writer.writerow(COLUMNS)
    writer.writerows([neutralise(cell) for cell in row] for row in export_rows(registrations, event))
    return buffer.getvalue().encode("utf-8-sig")


def csv_names(body: bytes, address: str) -> bool:
    """Whether an export file holds this address in any cell."""
    wanted = normalise_address(address)
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace"), newline=""))
    return any(normalise_address(deneutralise(cell)) == wanted for row in reader for cell in row)


def export_key(event_id: str, now: datetime) -> str:
    """`exports/<event_id>/<UTC timestamp>-<random>.csv`: sorts by time, never overwrites."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return f"{EXPORT_PREFIX}{event_id}/{stamp}-{secrets.token_hex(3)}.csv"


# --- the bucket ------------------------------------------------------------------------------------


def _unavailable(error: Exception) -> Unavailable:
    code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    return Unavailable(
        f"The export bucket did not answer ({code or type(error).__name__}). Please try again in a minute."
    )


@dataclass
class ExportStore:
    """The export bucket. Versioning is off (template.yaml), so a delete really deletes; were it
    turned on, the bucket's lifecycle rule removes a deleted export's old version a day later."""

    bucket: str
    client: Any

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def put_csv(self, key: str, body: bytes, filename: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="text/csv; charset=utf-8",
                ContentDisposition=f'attachment; filename="{filename}"',
                ServerSideEncryption=SERVER_SIDE_ENCRYPTION,
            )
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    def download_url(self, key: str, seconds: int = DOWNLOAD_SECONDS) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
        )
        return url

    def keys(self, prefix: str = EXPORT_PREFIX) -> Iterator[str]:
        """Every export's key under `prefix`."""
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                for stored in page.get("Contents", []):
                    yield str(stored["Key"])
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    def read(self, key: str) -> bytes | None:
        """The file's bytes; None if it went (expired, deleted) since it was listed."""
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error
        return body

    def holding(self, address: str) -> list[str]:
        """The keys of every export that names this address (each file is read: 30 days of
        exports of a monthly series is a handful of small files)."""
        return [
            key for key in self.keys() if (body := self.read(key)) is not None and csv_names(body, address)
        ]

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error


@dataclass(frozen=True)
class Export:
    event_id: str
    rows: int
    s3_uri: str
    download_url: str


class Exports:
    """An admin's CSV of an event's registrations, in the private export bucket."""

    def __init__(
        self,
        events: EventStore,
        registrations: RegistrationStore,
        people: PersonStore,
        store: ExportStore | None,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.people = people
        self.store = store

    def registrations_of(self, event_id: str, now: datetime) -> Export:
        if self.store is None:
            raise ExportsNotConfigured()
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event with id {event_id!r}.")
        found = self.registrations.of_event(event.id)
        people = self.people.get_many(r.person_id for r in found)
        registrations = [Registrant(r, people.get(r.person_id)) for r in found]
        key = export_key(event.id, now)
        filename = f"{event.id}-registrations-{now.strftime('%Y%m%d-%H%M')}.csv"
        self.store.put_csv(key, registrations_csv(registrations, event), filename=filename)
        return Export(event.id, len(registrations), self.store.uri(key), self.store.download_url(key))
