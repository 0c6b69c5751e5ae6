"""Admin actions on data: export_registrations, report, export_person, forget_person, unsuppress.

The logic lives in shared/workflows/exports.py (CSV, bucket), shared/workflows/reports.py (the
report, as JSON or CSV) and shared/workflows/privacy.py (subject access, erasure, suppression);
docs/privacy.md explains what is kept, why and for how long. Logs carry
event ids and counts only, never an address or a name.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from functions.admin.registry import ActionModel, action, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.models import has_control_characters
from shared.workflows import exports, reports


class ExportRegistrations(ActionModel):
    action: Literal["export_registrations"] = "export_registrations"
    event_id: str = Field(min_length=1, max_length=100)


class Report(ActionModel):
    action: Literal["report"] = "report"
    from_: date = Field(alias="from", description="First date, inclusive (UK), as YYYY-MM-DD")
    to: date = Field(description="Last date, inclusive (UK), as YYYY-MM-DD")
    format: Literal["json", "csv"] = Field(
        default="json", description="json: the figures in the answer; csv: a file in the export bucket"
    )

    @field_validator("to")
    @classmethod
    def _not_before_from(cls, value: date, info: ValidationInfo) -> date:
        first = info.data.get("from_")
        if first is not None and value < first:
            raise ValueError("must be on or after from")
        return value


class PersonAction(ActionModel):
    email: str = Field(max_length=254)

    @field_validator("email")
    @classmethod
    def _an_address(cls, value: str) -> str:
        # Any address, even one our intake rule now refuses: records stored before it must still
        # be found, exported and erased.
        value = value.strip()
        local, _at, domain = value.rpartition("@")
        if not (local and domain) or has_control_characters(value):
            raise ValueError("must be the email address the person used, with an @")
        return value


class ExportPerson(PersonAction):
    action: Literal["export_person"] = "export_person"


class ForgetPerson(PersonAction):
    action: Literal["forget_person"] = "forget_person"
    dry_run: bool = False


class Unsuppress(PersonAction):
    action: Literal["unsuppress"] = "unsuppress"


@action("export_registrations", ExportRegistrations)
def export_registrations(request: ExportRegistrations) -> JsonObject:
    export = services.get().registration_exports.registrations_of(request.event_id, clock.now())
    logger.info("registrations exported", extra={"event_id": export.event_id, "rows": export.rows})
    return {**asdict(export), "download_url_expires_in_seconds": exports.DOWNLOAD_SECONDS}


@action("report", Report)
def report(request: Report) -> JsonObject:
    app = services.get()
    events, unreadable = app.stores.events.by_start_with_unreadable()
    answer = reports.report(events, request.from_, request.to)
    # An event whose record cannot be read is in no figure, whatever its dates: say so, rather
    # than hand funders totals that are short without a word.
    warnings = reports.unreadable_warnings([u.id for u in unreadable])
    logger.info("report made", extra={"events": answer["totals"]["events"], "format": request.format})
    if request.format == "json":
        return {**answer, "warnings": warnings}
    written = reports.write_csv(app.exports, answer, clock.now())
    return {
        "from": answer["from"],
        "to": answer["to"],
        **asdict(written),
        "download_url_expires_in_seconds": exports.DOWNLOAD_SECONDS,
        "totals": answer["totals"],
        "warnings": warnings,
    }


@action("export_person", ExportPerson)
def export_person(request: ExportPerson) -> JsonObject:
    answer = services.get().privacy.subject_access(request.email, clock.now())
    logger.info(
        "person exported",
        extra={"registrations": len(answer["registrations"]), "exports": len(answer["exports"])},
    )
    return answer


@action("forget_person", ForgetPerson)
def forget_person(request: ForgetPerson) -> JsonObject:
    erasure = services.get().privacy.forget(request.email, dry_run=request.dry_run, now=clock.now())
    logger.info(
        "person forgotten" if not request.dry_run else "erasure previewed", extra=erasure.log_fields()
    )
    return erasure.answer()


@action("unsuppress", Unsuppress)
def unsuppress(request: Unsuppress) -> JsonObject:
    answer = services.get().privacy.unsuppress(request.email)
    logger.info(
        "suppression lifted",
        extra={"profile": answer["profile"], "ses_suppression_list": answer["ses_suppression_list"]},
    )
    return answer
