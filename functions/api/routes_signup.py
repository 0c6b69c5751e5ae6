"""Signing up: the `/signup` page and `POST /signups` (JSON, or a plain HTML form)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from functions.api.pages import render
from functions.api.routes_events import upcoming_events
from functions.api.schemas import EventList, PublicEvent
from functions.api.web import (
    framable_page_headers,
    html_response,
    json_response,
    logger,
    prefers_html,
    read_body,
    validation_failed,
)
from shared import clock, services
from shared.boundary import JsonObject
from shared.config import get_settings
from shared.domain.errors import DomainError, Unavailable, ValidationFailed
from shared.domain.models import ROLE_LABELS, Event, EventStatus
from shared.domain.timefmt import when_in_words
from shared.observability import count, metrics_for

if TYPE_CHECKING:  # imported by the first sign-up, not by every request (cold start)
    from functions.api.answers import SignupAnswer
    from shared.domain.forms import SignupRequest
    from shared.workflows.signup import SignupOutcome

router = APIGatewayHttpRouter()
# Powertools shares one metric set among every Metrics instance; functions/api/handler.py flushes
# it (`@metrics.log_metrics`) at the end of each invocation, with the dimension service=api.
metrics = metrics_for("api")

SIGNUP_PAGE_MARKER = "signup_page"


def _open_events() -> list[Event]:
    now = clock.now()
    return [e for e in upcoming_events() if e.status is EventStatus.scheduled and e.is_open(now)]


def _signup_page(
    status: int, *, values: JsonObject, errors: dict[str, str], message: str | None = None
) -> Response[str]:
    events = _open_events()
    chosen = values.get("event_ids") or []
    if isinstance(chosen, str):
        chosen = [chosen]
    settings = get_settings()
    html = render(
        "signup.html",
        events=[(e, when_in_words(e)) for e in events],
        roles=list(ROLE_LABELS.items()),
        values=values,
        chosen=set(chosen),
        errors=errors,
        message=message,
        privacy_url=settings.privacy_notice_url,
        marker=SIGNUP_PAGE_MARKER,
    )
    return html_response(status, html, framable_page_headers())


@router.get("/signup", summary="The sign-up page: an HTML form that works without JavaScript")
def signup_page(
    event: Annotated[str | None, Query(description="An event id to tick in advance")] = None,
) -> Response[str]:
    if not prefers_html(router.current_event.headers, page=True):
        links = services.get().links
        return json_response(
            200, EventList(events=[PublicEvent.of(e, links) for e in _open_events()]).model_dump(mode="json")
        )
    return _signup_page(200, values={"event_ids": [event] if event else []}, errors={})


def _answer(outcome: SignupOutcome) -> SignupAnswer:
    from functions.api.answers import SignupAnswer, SignupRegistration, SignupResult

    return SignupAnswer(
        signup=SignupResult(
            registrations=[SignupRegistration(event_id=i.event.id, status=i.status) for i in outcome.items],
            confirmation=outcome.confirmation or "sent",
        )
    )


def _count_refused(error: DomainError) -> None:
    # A failing dependency (503) is not a refusal: the API's 5xx metric and alarm count it.
    if not isinstance(error, Unavailable):
        count(metrics, "SignUpsRefused", 1)


def _count_and_notify(request: SignupRequest, outcome: SignupOutcome) -> None:
    """Metrics of a stored sign-up, and the admins' notice when it kept access needs."""
    if outcome.honeypot:
        return
    new = [item.event for item in outcome.items if item.changed]
    count(metrics, "SignUps", len(new))
    if outcome.send_confirmation and outcome.confirmation == "sent":
        count(metrics, "EmailsSent", 1)
    elif outcome.not_queued:
        count(metrics, "ConfirmationsNotQueued", 1)
        logger.error("sign-up stored, but neither SES nor the queue took its confirmation")
    elif outcome.send_confirmation and outcome.confirmation == "queued":
        count(metrics, "EmailsQueued", 1)
    if outcome.texts_not_queued:
        count(metrics, "TextsNotQueued", 1)  # send_links sends what is still owed
    # Access needs are kept only with their own consent, and only on new registrations; those
    # whose event starts before the next morning's digest are told at once, the others wait for it.
    if outcome.notice_now:
        context = router.lambda_context
        remaining = context.get_remaining_time_in_millis() if context is not None else None
        services.get().admin_notices.access_needs(outcome.notice_now, remaining_ms=remaining)


def _redirect(result: dict[str, str]) -> Response[str]:
    base = get_settings().signup_redirect_url
    separator = "&" if urlsplit(base).query else "?"
    return Response(status_code=303, headers={"Location": f"{base}{separator}{urlencode(result)}"}, body="")


def _from_signup_page(form: JsonObject) -> bool:
    if form.get("form") == SIGNUP_PAGE_MARKER:
        return True
    referer = router.current_event.headers.get("referer", "")
    base = get_settings().public_base_url
    return bool(referer) and urlsplit(referer).path.endswith("/signup") and referer.startswith(base)


@router.post("/signups", summary="Sign up for one or more events (JSON or an HTML form)")
def create_signup() -> Response[str]:
    event = router.current_event
    try:
        data, is_form = read_body(event)
    except DomainError as error:
        _count_refused(error)
        raise
    wants_page = is_form and prefers_html(event.headers, page=False)
    own_page = wants_page and _from_signup_page(data)
    from shared.domain.forms import SignupRequest

    try:
        try:
            request = SignupRequest.model_validate(data)
        except ValidationError as error:
            raise validation_failed(error) from None
        outcome = services.get().signups.sign_up(
            request,
            source_ip=event.request_context.http.source_ip or "unknown",
            now=clock.now(),
            honeypot=bool(request.website),
        )
    except DomainError as error:
        _count_refused(error)
        logger.info(
            "sign-up refused", extra={"code": error.code, "fields": sorted((error.fields or {}).keys())}
        )
        if own_page:
            return _signup_page(error.status, values=data, errors=error.fields or {}, message=error.message)
        if wants_page and get_settings().signup_redirect_url:
            return _redirect({"result": "error", "code": error.code})
        raise
    status = 201 if outcome.anything_new else 200
    _count_and_notify(request, outcome)
    logger.info(
        "sign-up",
        extra={
            "events": len(outcome.items),
            "new": sum(1 for i in outcome.items if i.changed),
            "confirmation": outcome.confirmation,
            "honeypot": outcome.honeypot,
        },
    )
    answer = _answer(outcome)
    if own_page or (wants_page and not get_settings().signup_redirect_url):
        return html_response(
            status,
            render(
                "thanks.html",
                items=[(i, when_in_words(i.event)) for i in outcome.items],
                confirmation=answer.signup.confirmation,
                links=services.get().links,
            ),
            # Shown where the sign-up page was, which may be a frame on the charity's own page.
            framable_page_headers(),
        )
    if wants_page:
        return _redirect({"result": "ok"})
    return json_response(status, answer.model_dump(mode="json"))


__all__ = ["ValidationFailed", "router"]
