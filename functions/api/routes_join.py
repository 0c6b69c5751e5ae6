"""`GET /join/<token>`: the personal join link in the morning email."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from functions.api.pages import render
from functions.api.web import PAGE_HEADERS, html_response, json_response, logger, prefers_html
from shared import clock, services
from shared.domain import tokens
from shared.domain.errors import NotFound
from shared.domain.timefmt import date_in_words, time_in_words, when_in_words, zone_in_words
from shared.domain.tokens import Purpose
from shared.stores.repository import Repository
from shared.workflows.join import resolve_join

router = APIGatewayHttpRouter()
# Shares Powertools' one metric set; functions/api/handler.py flushes it with service=api.
metrics = Metrics(service="api")

BAD_LINK = "That link is not valid. Please use the link in your email for this conversation."


class _NotingFirstOpen:
    """The repository, noting whether this request recorded the link's first open (the
    conditional write succeeded), so that LinksOpened counts first opens only."""

    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self.first_open = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)

    def record_first_open(self, event_id: str, person_id: str, now: datetime) -> bool:
        self.first_open = self._repository.record_first_open(event_id, person_id, now)
        return self.first_open


@router.get("/join/<token>", summary="Personal join link: redirects to the conversation's Zoom meeting")
def join(token: str) -> Response[str]:
    now = clock.now()
    ids = tokens.verify(Purpose.JOIN, token, now)
    if not ids or len(ids) != 2:
        raise NotFound(BAD_LINK)
    event_id, person_id = ids
    schedule = services.schedule()
    repository = _NotingFirstOpen(services.repository())
    answer = resolve_join(cast(Repository, repository), schedule, event_id, person_id, now)
    if repository.first_open:
        metrics.add_metric(name="LinksOpened", unit=MetricUnit.Count, value=1)
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
    body = {"status": answer.kind, "event_id": event.id}
    if answer.opens_at:
        body["opens_at"] = answer.opens_at.astimezone(event.zone).isoformat()
    return json_response(status, body)
