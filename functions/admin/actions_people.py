"""Admin actions on people at an event: list_registrations, add_registration, cancel_registration,
resend_link, delete_event.

Someone without email (the admin passes the link on by phone) is registered under a random id
rather than the keyed hash of an address; `list_registrations` shows that id, and
`cancel_registration` takes it as `person_id`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from functions.admin.registry import ActionModel, action, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.models import (
    RegistrationStatus,
    Role,
    address_forms,
    check_address,
    has_control_characters,
)
from shared.domain.people import Registrant
from shared.domain.signup import Newcomer

EventId = Field(min_length=1, max_length=100)


def registration_view(registrant: Registrant) -> JsonObject:
    """What an admin sees of a registration: the person (their own details, as they keep them)
    and the place."""
    view: JsonObject = registrant.registration.model_dump(
        mode="json",
        include={
            "person_id",
            "role",
            "access_needs",
            "status",
            "registered_at",
            "link_sent_at",
            "opened_at",
            "joined_at",
            "sms_sent_for",
            "send_failures",
        },
    )
    view.update(email=registrant.email, name=registrant.name, organisation=registrant.organisation)
    # The number the person agreed to be texted at (E.164), or "" (admins call it if need be).
    view["phone"] = registrant.phone
    view["sms_consent"] = bool(registrant.phone)  # a number is held only with consent
    view["has_email"] = bool(registrant.email)
    return view


class ListRegistrations(ActionModel):
    action: Literal["list_registrations"] = "list_registrations"
    event_id: str = EventId


@action("list_registrations", ListRegistrations)
def list_registrations(request: ListRegistrations) -> JsonObject:
    event, found = services.get().registrations.roster(request.event_id)
    counts = {
        status.value: sum(1 for r in found if r.registration.status is status)
        for status in RegistrationStatus
    }
    return {
        "event_id": event.id,
        "title": event.title,
        "capacity": event.capacity,
        "spaces_left": event.spaces_left,
        "counts": counts,
        "registrations": [registration_view(r) for r in found],
    }


class AddRegistration(ActionModel):
    action: Literal["add_registration"] = "add_registration"
    event_id: str = EventId
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.other
    email: str | None = Field(default=None, max_length=254)
    organisation: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        return check_address(value) if value else None

    @field_validator("name", "organisation")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        # The sign-up's own rule: a name or organisation goes into emails and the export.
        if value is not None and has_control_characters(value):
            raise ValueError("must not contain control characters")
        return value


@action("add_registration", AddRegistration)
def add_registration(request: AddRegistration) -> JsonObject:
    newcomer = Newcomer(
        name=request.name,
        role=request.role,
        event_ids=[request.event_id],
        email=request.email or "",
        organisation=request.organisation,
    )
    app = services.get()
    registration, confirmation = app.signups.add_by_admin(newcomer, clock.now())
    logger.info(
        "registration added by an admin",
        extra={"event_id": request.event_id, "has_email": bool(request.email)},
    )
    return {
        "registration": registration_view(app.registrations.registrant(registration)),
        "confirmation": confirmation,
    }


class CancelRegistration(ActionModel):
    action: Literal["cancel_registration"] = "cancel_registration"
    event_id: str = EventId
    email: str | None = Field(default=None, max_length=254)
    person_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="the person_id list_registrations shows (32 letters a to f and digits)",
    )
    # Accepted for symmetry with add_registration; who is cancelled is decided by email or person_id.
    name: str | None = None
    role: Role | None = None

    @model_validator(mode="after")
    def _someone(self) -> CancelRegistration:
        if not self.email and not self.person_id:
            raise ValueError(
                "give the email, or the person_id from list_registrations for someone without email"
            )
        return self


@action("cancel_registration", CancelRegistration)
def cancel_registration(request: CancelRegistration) -> JsonObject:
    app = services.get()
    person_id = request.person_id or app.person_id_for(address_forms(request.email or "")[0])
    registration, changed = app.registrations.cancel_by_admin(request.event_id, person_id, clock.now())
    logger.info(
        "registration cancelled by an admin", extra={"event_id": request.event_id, "changed": changed}
    )
    return {"registration": registration_view(app.registrations.registrant(registration)), "changed": changed}


class ResendLink(ActionModel):
    action: Literal["resend_link"] = "resend_link"
    event_id: str = EventId
    email: str = Field(min_length=3, max_length=254)

    @field_validator("email")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        return check_address(value)


@action("resend_link", ResendLink)
def resend_link(request: ResendLink) -> JsonObject:
    app = services.get()
    message_id = app.registrations.resend_link(
        request.event_id, app.person_id_for(request.email), clock.now()
    )
    logger.info("join link resent by an admin", extra={"event_id": request.event_id})
    return {"message_id": message_id}


class DeleteEvent(ActionModel):
    action: Literal["delete_event"] = "delete_event"
    event_id: str = EventId


@action("delete_event", DeleteEvent)
def delete_event(request: DeleteEvent) -> JsonObject:
    services.get().event_admin.delete_event(request.event_id)
    logger.info("event deleted", extra={"event_id": request.event_id})
    return {"deleted": request.event_id}
