"""Admin actions on people at an event: list_registrations, add_registration, cancel_registration,
resend_link, delete_event.

Someone without email (the admin passes the link on by phone) is registered under a random id
rather than the keyed hash of an address; `list_registrations` shows that id, and
`cancel_registration` takes it as `person_id`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from functions.admin.registry import ActionModel, action, logger
from shared import clock, services
from shared.config import get_settings
from shared.domain import tokens
from shared.domain.errors import NotFound, Unavailable, ValidationFailed
from shared.domain.models import Person, Registration, RegistrationStatus, Role, SignupRequest, check_address
from shared.mail.mailer import SendFailed
from shared.stores.repository import TransactionConflict
from shared.workflows import registrations
from shared.workflows.signup import Limits, sign_up

EventId = Field(min_length=1, max_length=100)


def registration_view(registration: Registration) -> dict[str, Any]:
    view = registration.model_dump(
        mode="json",
        include={
            "person_id",
            "email",
            "name",
            "role",
            "organisation",
            "access_needs",
            "status",
            "registered_at",
            "link_sent_at",
            "opened_at",
        },
    )
    view["has_email"] = bool(registration.email)
    return view


class ListRegistrations(ActionModel):
    action: Literal["list_registrations"] = "list_registrations"
    event_id: str = EventId


@action("list_registrations", ListRegistrations)
def list_registrations(request: ListRegistrations) -> dict[str, Any]:
    repository = services.repository()
    event = repository.get_event(request.event_id)
    if event is None:
        raise NotFound(f"There is no event with id {request.event_id!r}.")
    found = sorted(
        repository.list_registrations(request.event_id), key=lambda r: (r.status.value, r.registered_at)
    )
    counts = {status.value: sum(1 for r in found if r.status is status) for status in RegistrationStatus}
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


@action("add_registration", AddRegistration)
def add_registration(request: AddRegistration) -> dict[str, Any]:
    repository, now, settings = services.repository(), clock.now(), get_settings()
    if request.email:
        # Exactly the public sign-up (capacity, waiting list, confirmation email), on their behalf.
        signup = SignupRequest.model_validate(
            {
                "name": request.name,
                "email": request.email,
                "role": request.role,
                "organisation": request.organisation,
                "event_ids": [request.event_id],
                "consent": True,
            }
        )
        outcome = sign_up(
            signup,
            source_ip="admin",
            repository=repository,
            mailer=services.mailer(),
            keys=tokens.keys(),
            now=now,
            limits=Limits(enabled=False),
            retention=timedelta(days=settings.retention_days),
            schedule=services.schedule(),
        )
        person_id = tokens.person_id_for(request.email)
        confirmation = outcome.confirmation
    else:
        person_id = secrets.token_hex(16)
        _add_without_email(request, person_id, now, timedelta(days=settings.retention_days))
        confirmation = None
    registration = repository.get_registration(request.event_id, person_id)
    assert registration is not None
    logger.info(
        "registration added by an admin",
        extra={"event_id": request.event_id, "has_email": bool(request.email)},
    )
    return {"registration": registration_view(registration), "confirmation": confirmation}


def _add_without_email(request: AddRegistration, person_id: str, now: Any, retention: timedelta) -> None:
    repository = services.repository()
    for _attempt in range(5):
        event = repository.get_event(request.event_id)
        if event is None:
            raise NotFound(f"There is no event with id {request.event_id!r}.")
        if not event.is_open(now):
            raise ValidationFailed("That event is cancelled or has ended.", fields={"event_id": "is closed"})
        status = RegistrationStatus.waitlisted if event.is_full() else RegistrationStatus.registered
        registration = Registration(
            event_id=event.id,
            person_id=person_id,
            name=request.name,
            role=request.role,
            organisation=request.organisation or "",
            status=status,
            registered_at=now,
            waitlisted_at=now if status is RegistrationStatus.waitlisted else None,
        )
        try:
            repository.transact(
                [
                    repository.op_put_registration(registration, event, event.ends_at + retention),
                    repository.op_count_on_event(
                        event,
                        {(status, request.role): 1},
                        now=now,
                        require_open=True,
                        require_space=status is RegistrationStatus.registered,
                    ),
                ]
            )
        except TransactionConflict:
            continue
        return
    raise ValidationFailed("The event kept changing; please try again.", fields={"event_id": "busy"})


class CancelRegistration(ActionModel):
    action: Literal["cancel_registration"] = "cancel_registration"
    event_id: str = EventId
    email: str | None = Field(default=None, max_length=254)
    person_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
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
def cancel_registration(request: CancelRegistration) -> dict[str, Any]:
    repository, now = services.repository(), clock.now()
    person_id = request.person_id or tokens.person_id_for(request.email or "")
    if repository.get_registration(request.event_id, person_id) is None:
        raise NotFound("That person has no registration at that event.")
    changed = registrations.cancel_registration(
        repository, services.mailer(), request.event_id, person_id, now
    )
    registration = repository.get_registration(request.event_id, person_id)
    assert registration is not None
    logger.info(
        "registration cancelled by an admin", extra={"event_id": request.event_id, "changed": changed}
    )
    return {"registration": registration_view(registration), "changed": changed}


class ResendLink(ActionModel):
    action: Literal["resend_link"] = "resend_link"
    event_id: str = EventId
    email: str = Field(min_length=3, max_length=254)


@action("resend_link", ResendLink)
def resend_link(request: ResendLink) -> dict[str, Any]:
    repository, mailer, now = services.repository(), services.mailer(), clock.now()
    person_id = tokens.person_id_for(request.email)
    registration = repository.get_registration(request.event_id, person_id)
    event = repository.get_event(request.event_id)
    if event is None or registration is None:
        raise NotFound("That address has no registration at that event.")
    if registration.status is not RegistrationStatus.registered:
        raise ValidationFailed(
            f"That registration is {registration.status.value}: there is no place to send a link for.",
            fields={"email": f"registration is {registration.status.value}"},
        )
    person = repository.get_person(person_id) or Person(person_id=person_id)
    person = person.model_copy(update={"email": registration.email, "name": registration.name})
    try:
        message_id = mailer.send(mailer.join_link(person, event, now))
    except SendFailed as failure:
        raise Unavailable(f"SES did not take the email ({failure.code}). Please try again shortly.") from None
    send_moment = services.schedule().send_moment(event)
    if now >= send_moment:
        repository.mark_link_sent(event.id, person_id, send_moment, now)
    logger.info("join link resent by an admin", extra={"event_id": event.id})
    return {"message_id": message_id}


class DeleteEvent(ActionModel):
    action: Literal["delete_event"] = "delete_event"
    event_id: str = EventId


@action("delete_event", DeleteEvent)
def delete_event(request: DeleteEvent) -> dict[str, Any]:
    repository = services.repository()
    if repository.get_event(request.event_id) is None:
        raise NotFound(f"There is no event with id {request.event_id!r}.")
    if repository.list_registrations(request.event_id):
        raise ValidationFailed(
            "That event has registrations: cancel it instead (cancel_event), so people are told.",
            fields={"event_id": "has registrations"},
        )
    repository.delete_event(request.event_id)
    logger.info("event deleted", extra={"event_id": request.event_id})
    return {"deleted": request.event_id}
