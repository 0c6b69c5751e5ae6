"""A person's own links: asking for the manage link, managing places, unsubscribing (from
everything, or from the organisers' messages and follow-ups only).

GET never changes anything (mail scanners follow links): it shows a page with a button, and
POST acts. Every token failure is the same 404, which says nothing about whether anyone exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from shared.domain.forms import ProfileForm
    from shared.domain.people import Person

from functions.api.pages import render
from functions.api.web import html_response, json_response, logger, prefers_html, read_body, validation_failed
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain import tokens
from shared.domain.errors import NotFound, ValidationFailed
from shared.domain.models import ROLE_LABELS, check_address
from shared.domain.timefmt import when_in_words
from shared.domain.tokens import Purpose

router = APIGatewayHttpRouter()

BAD_LINK = "That link does not work. It may be cut short, or too old. You can ask for a new one."


def _person_from(token: str | None, purpose: Purpose) -> str:
    ids = tokens.verify(purpose, token or "", clock.now(), services.get().keys) if token else None
    if not ids or len(ids) != 1:
        raise NotFound(BAD_LINK)
    return ids[0]


class ManageLinkRequest(BaseModel):
    model_config = {"extra": "ignore", "str_strip_whitespace": True, "defer_build": True}

    email: str = Field(max_length=254)

    @field_validator("email")
    @classmethod
    def _valid(cls, value: str) -> str:
        return check_address(value)


@router.post("/manage/link", summary="Email me my manage link (always 202, whatever the address)")
def request_manage_link() -> Response[str]:
    data, _is_form = read_body(router.current_event)
    try:
        request = ManageLinkRequest.model_validate(data)
    except ValidationError as error:
        raise validation_failed(error) from None
    app = services.get()
    app.registrations.request_manage_link(app.person_id_for(request.email))
    logger.info("manage link requested")
    if prefers_html(router.current_event.headers, page=False):
        return html_response(202, render("manage_link_sent.html"))
    from functions.api.answers import LinkRequested

    return json_response(202, LinkRequested(accepted=True).model_dump(mode="json"))


def _manage_response(
    token: str,
    person_id: str,
    *,
    status: int = 200,
    cancelled: list[str] | None = None,
    saved: bool = False,
    errors: dict[str, str] | None = None,
    values: JsonObject | None = None,
) -> Response[str]:
    wants_page = prefers_html(router.current_event.headers, page=True)
    if cancelled is not None and not wants_page:
        from functions.api.answers import CancelAnswer

        return json_response(status, CancelAnswer(cancelled=cancelled).model_dump(mode="json"))
    person, rows = services.get().registrations.manage_view(person_id, clock.now())
    name = person.name if person else ""
    if wants_page:
        details = {"name": name, "role": person.role.value if person else "", "organisation": ""}
        texts_current = ""
        if person is not None:
            details["organisation"] = person.organisation
            texts_current = _masked_if_texted(person)
        # A form sent back with errors shows what was sent (an unticked box sends nothing).
        details["sms_consent"] = (
            str((values or {}).get("sms_consent", "")) if values else "yes" * bool(texts_current)
        )
        details["phone"] = ""
        html = render(
            "manage.html",
            name=name,
            rows=[(r, e, when_in_words(e)) for r, e in rows],
            token=token,
            cancelled=cancelled,
            saved=saved,
            errors=errors or {},
            details={**details, **{k: str(v) for k, v in (values or {}).items() if k in details}},
            texts_current=texts_current,
            roles=list(ROLE_LABELS.items()),
            has_profile=person is not None,
        )
        return html_response(status, html)
    from functions.api.answers import ManageAnswer, ManagedRegistration

    answer = ManageAnswer(
        name=name,
        registrations=[
            ManagedRegistration(
                event_id=e.id, title=e.title, starts_at=e.local_start.isoformat(), status=r.status.value
            )
            for r, e in rows
        ],
    )
    return json_response(status, answer.model_dump(mode="json"))


def _masked_if_texted(person: Person) -> str:
    if not (person.phone and person.sms_consent and services.get().settings.sms_enabled):
        return ""
    from shared.domain.phones import masked

    return masked(person.phone)


@router.get("/manage", summary="My registrations, with cancel buttons")
def manage(
    token: Annotated[str | None, Query(description="The token from your manage link")] = None,
) -> Response[str]:
    person_id = _person_from(token, Purpose.MANAGE)
    return _manage_response(token or "", person_id)


@router.post("/manage/cancel", summary="Cancel one place (event_id) or all of them (all=true)")
def manage_cancel() -> Response[str]:
    data, _is_form = read_body(router.current_event)
    token = data.get("token") or router.current_event.get_query_string_value("token")
    person_id = _person_from(token if isinstance(token, str) else None, Purpose.MANAGE)
    event_id = data.get("event_id")
    everything = str(data.get("all", "")).lower() in {"true", "on", "yes", "1"}
    if not everything and not (isinstance(event_id, str) and event_id):
        raise ValidationFailed(
            "Say which place to cancel.", fields={"event_id": "is required unless all is true"}
        )
    cancelled = services.get().registrations.cancel_for_person(
        person_id, None if everything else str(event_id), clock.now()
    )
    logger.info("places cancelled", extra={"count": len(cancelled)})
    return _manage_response(str(token), person_id, cancelled=cancelled)


@router.post("/manage/profile", summary="Change my name, role or organisation")
def manage_profile() -> Response[str]:
    from shared.domain.forms import ProfileForm

    data, _is_form = read_body(router.current_event)
    token = data.get("token") or router.current_event.get_query_string_value("token")
    token = token if isinstance(token, str) else None
    person_id = _person_from(token, Purpose.MANAGE)
    wants_page = prefers_html(router.current_event.headers, page=True)
    try:
        form = ProfileForm.model_validate({**data, "token": token})
        phone = _texts_change(form, person_id)
    except (ValidationError, ValidationFailed) as error:
        failed = validation_failed(error) if isinstance(error, ValidationError) else error
        if wants_page:
            return _manage_response(str(token), person_id, status=422, errors=failed.fields, values=data)
        raise failed from None
    organisation = form.organisation or ""
    if not services.get().registrations.change_profile(person_id, form.name, form.role, organisation, phone):
        raise NotFound(BAD_LINK)
    logger.info("profile changed")
    if wants_page:
        return _manage_response(str(token), person_id, saved=True)
    from functions.api.answers import ProfileAnswer

    texts = _texts_answer(person_id) if services.get().settings.sms_enabled else {}
    answer = ProfileAnswer(name=form.name, role=form.role.value, organisation=organisation, **texts)
    return json_response(200, answer.model_dump(mode="json", exclude_unset=True))


def _texts_change(form: ProfileForm, person_id: str) -> str | None:
    """What the form does to the person's texts: None leaves them (no text fields, or consent kept
    with no new number), "" stops them and erases the number, a number starts or changes them."""
    if not form.texts_given:
        return None
    if not form.sms_consent:
        return ""
    if form.phone:
        return form.phone
    person = services.get().stores.people.get(person_id)
    if person is None or not (person.phone and person.sms_consent):
        from shared.domain.forms import NUMBER_NEEDED

        raise ValidationFailed("Please check the text message details.", fields={"phone": NUMBER_NEEDED})
    return None


def _texts_answer(person_id: str) -> JsonObject:
    """The JSON answer's texts, while they are on: consent and the number held, masked."""
    person = services.get().stores.people.get(person_id)
    held = person.phone if person is not None and person.sms_consent else ""
    from shared.domain.phones import masked

    return {"sms_consent": bool(held), "phone": masked(held) if held else None}


@router.get("/unsubscribe", summary="A page with a button to unsubscribe (changes nothing)")
def unsubscribe_page(token: Annotated[str | None, Query()] = None) -> Response[str]:
    _person_from(token, Purpose.UNSUBSCRIBE)
    if prefers_html(router.current_event.headers, page=True):
        return html_response(200, render("unsubscribe.html", token=token, done=False, cancelled=[]))
    from functions.api.answers import UnsubscribeAnswer

    return json_response(200, UnsubscribeAnswer(unsubscribed=False, cancelled=[]).model_dump(mode="json"))


@router.post("/unsubscribe", summary="RFC 8058 one-click unsubscribe: cancels every upcoming place")
def unsubscribe(token: Annotated[str | None, Query()] = None) -> Response[str]:
    person_id = _person_from(token, Purpose.UNSUBSCRIBE)
    cancelled = services.get().registrations.unsubscribe(person_id, clock.now())
    logger.info("unsubscribed", extra={"cancelled": len(cancelled)})
    if prefers_html(router.current_event.headers, page=True):
        return html_response(200, render("unsubscribe.html", token=token, done=True, cancelled=cancelled))
    from functions.api.answers import UnsubscribeAnswer

    return json_response(
        200, UnsubscribeAnswer(unsubscribed=True, cancelled=cancelled).model_dump(mode="json")
    )


@router.get("/unsubscribe/messages", summary="A page with a button to stop messages and follow-ups")
def messages_opt_out_page(token: Annotated[str | None, Query()] = None) -> Response[str]:
    _person_from(token, Purpose.MESSAGES)
    return _messages_opt_out_answer(token, done=False)


@router.post(
    "/unsubscribe/messages",
    summary="RFC 8058 one-click: no more messages or follow-ups; places and join links stay",
)
def messages_opt_out(token: Annotated[str | None, Query()] = None) -> Response[str]:
    person_id = _person_from(token, Purpose.MESSAGES)
    # Someone erased since has nothing left to opt out of: the answer is the same.
    services.get().stores.people.opt_out_of_messages(person_id, clock.now())
    logger.info("opted out of messages")
    return _messages_opt_out_answer(token, done=True)


def _messages_opt_out_answer(token: str | None, *, done: bool) -> Response[str]:
    if prefers_html(router.current_event.headers, page=True):
        return html_response(200, render("unsubscribe_messages.html", token=token, done=done))
    from functions.api.answers import MessagesOptOutAnswer

    return json_response(200, MessagesOptOutAnswer(messages_opt_out=done).model_dump(mode="json"))
