"""`GET /join/<token>`: the personal join link in the morning email; `GET /j/<code>`: the short one
in the morning text (issue 12). Both name a place (event and person) and then answer exactly alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.pages import render
from functions.api.web import PAGE_HEADERS, html_response, json_response, logger, prefers_html
from shared import clock, services
from shared.domain import tokens
from shared.domain.errors import NotFound
from shared.domain.timefmt import date_in_words, time_in_words, when_in_words, zone_in_words
from shared.domain.tokens import Purpose
from shared.observability import count, metrics_for

if TYPE_CHECKING:
    from datetime import datetime

router = APIGatewayHttpRouter()
# Shares Powertools' one metric set; functions/api/handler.py flushes it with service=api.
metrics = metrics_for("api")

BAD_LINK = "That link does not work. Please use the link in your email."


@router.get("/join/<token>", summary="Personal join link: redirects to the conversation's Zoom meeting")
def join(token: str) -> Response[str]:
    now = clock.now()
    ids = tokens.verify(Purpose.JOIN, token, now, services.get().keys)
    if not ids or len(ids) != 2:
        raise NotFound(BAD_LINK)
    return _answer(ids[0], ids[1], now)


@router.get("/j/<code>", summary="Short personal join link (text messages): as /join/{token}")
def short_join(code: str) -> Response[str]:
    now = clock.now()
    place = services.get().join_codes.find(code)
    if place is None:
        raise NotFound(BAD_LINK)  # the same answer as a bad token: nothing says which part was wrong
    return _answer(place[0], place[1], now)


def _answer(event_id: str, person_id: str, now: datetime) -> Response[str]:
    """Where a person's place leads, as a redirect, a page or JSON (the same for both links)."""
    from shared.workflows.join import resolve_join  # only join links need it (cold start)

    app = services.get()
    answer = resolve_join(app.stores.events, app.stores.registrations, app.schedule, event_id, person_id, now)
    if answer.first_open:
        count(metrics, "LinksOpened", 1)
    if answer.kind == "not_ready":
        count(metrics, "JoinUrlRefused", 1)
        logger.warning("stored join URL refused", extra={"event_id": event_id})
    logger.info("join link", extra={"outcome": answer.kind})
    if answer.kind == "unknown" or answer.event is None:
        raise NotFound(BAD_LINK)
    if answer.kind == "redirect":
        return Response(status_code=302, headers={**PAGE_HEADERS, "Location": answer.url}, body="")
    event = answer.event
    status = 410 if answer.kind == "gone" else 200
    opens = ""
    if answer.opens_at:
        local = answer.opens_at.astimezone(event.zone)
        opens = f"{time_in_words(local)} on {date_in_words(local)} {zone_in_words(event.timezone, local)}"
    if prefers_html(router.current_event.headers, page=True):
        html = render("join.html", kind=answer.kind, event=event, when=when_in_words(event), opens=opens)
        return html_response(status, html)
    from functions.api.answers import JoinAnswer

    opens_at = answer.opens_at.astimezone(event.zone).isoformat() if answer.opens_at else None
    body = JoinAnswer.model_validate({"status": answer.kind, "event_id": event.id, "opens_at": opens_at})
    return json_response(status, body.model_dump(mode="json", exclude_none=True))
