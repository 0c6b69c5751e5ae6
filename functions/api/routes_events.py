"""Events and calendars: `GET /events`, `GET /events/{id}`, the per-event .ics and the feed."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.pages import render
from functions.api.schemas import EventList, PublicEvent
from functions.api.web import html_response, json_response, prefers_html
from shared import clock, services
from shared.domain.errors import NotFound
from shared.domain.models import Event, EventStatus
from shared.domain.timefmt import when_in_words

router = APIGatewayHttpRouter()


def upcoming_events() -> list[Event]:
    """Events not yet ended, cancelled ones included, soonest first."""
    return services.get().stores.events.by_start(ending_after=clock.now())


@router.get("/events", summary="Events not yet ended (or ?when=past: ended ones, latest first)")
def list_events(
    when: Annotated[
        Literal["upcoming", "past"], Query(description="upcoming (default) or past")
    ] = "upcoming",
) -> Response[str]:
    now, app = clock.now(), services.get()
    if when == "past":
        events = app.stores.events.by_start(ended_before=now, descending=True)
    else:
        events = app.stores.events.by_start(ending_after=now)
    links = app.links
    if prefers_html(router.current_event.headers, page=False):
        return html_response(
            200,
            render("events.html", events=[(e, when_in_words(e), links) for e in events], past=when == "past"),
        )
    answer = EventList(events=[PublicEvent.of(e, links) for e in events])
    return json_response(200, answer.model_dump(mode="json"))


def _event_or_404(event_id: str) -> Event:
    event = services.get().stores.events.get(event_id)
    if event is None:
        raise NotFound("We could not find that event.")
    return event


@router.get("/events/<event_id>", summary="One event")
def get_event(event_id: str) -> Response[str]:
    event = _event_or_404(event_id)
    links = services.get().links
    if prefers_html(router.current_event.headers, page=False):
        return html_response(
            200,
            render("event.html", event=event, when=when_in_words(event), links=links, now=clock.now()),
        )
    return json_response(200, PublicEvent.of(event, links).model_dump(mode="json"))


def _calendar_response(body: bytes, filename: str) -> Response[str]:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if router.current_event.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag}, body="")
    return Response(
        status_code=200,
        content_type="text/calendar; charset=utf-8",
        body=body.decode("utf-8"),
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "public, max-age=300",
            "ETag": etag,
        },
    )


@router.get("/events/<event_id>/calendar.ics", summary="One event as an iCalendar file (no Zoom details)")
def event_calendar(event_id: str) -> Response[str]:
    from shared.mail.ics import event_calendar as build

    event = _event_or_404(event_id)
    links = services.get().links
    body = build(event, uid_domain=links.uid_domain, url=links.event_page(event.id))
    return _calendar_response(body, f"{event.id}.ics")


@router.get("/calendar.ics", summary="Every upcoming event, as a subscribable iCalendar feed")
def calendar_feed() -> Response[str]:
    from shared.mail.ics import calendar_feed as build

    links = services.get().links
    events = [e for e in upcoming_events() if e.status is EventStatus.scheduled]
    body = build(events, uid_domain=links.uid_domain, url_for=lambda e: links.event_page(e.id))
    return _calendar_response(body, "conversations-on-co-production.ics")
