"""AdminFunction: the admins' actions, run from Lambda console test events `{"action": ...}`.

Answers `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "fields"}}`; it never
raises for bad input. Example events for every action live in infra/console-events/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, ValidationError

from shared import admin_events, clock, services
from shared.errors import DomainError
from shared.models import Event

logger = Logger(service="admin")


def event_view(event: Event) -> dict[str, Any]:
    """The whole event for admins, Zoom details and counters included, times in its own zone."""
    view = event.model_dump(mode="json")
    view["starts_at"] = event.local_start.isoformat()
    view["ends_at"] = event.local_end.isoformat()
    view["spaces_left"] = event.spaces_left
    return view


def _create_event(request: admin_events.CreateEvent) -> dict[str, Any]:
    event = admin_events.create_event(services.repository(), request, clock.now())
    logger.info("event created", extra={"event_id": event.id})
    return {"event": event_view(event)}


def _update_event(request: admin_events.UpdateEvent) -> dict[str, Any]:
    event, time_changed = admin_events.update_event(services.repository(), request, clock.now())
    logger.info("event updated", extra={"event_id": event.id, "time_changed": time_changed})
    return {"event": event_view(event)}


def _list_events(request: admin_events.ListEvents) -> dict[str, Any]:
    events = admin_events.list_events(services.repository(), request, clock.now())
    return {"events": [event_view(e) for e in events]}


class SendLinks(BaseModel):
    model_config = {"extra": "forbid"}
    action: Literal["send_links"] = "send_links"
    event_id: str = Field(min_length=1, max_length=100)


def _send_links(request: SendLinks) -> dict[str, Any]:
    row = services.dispatcher().send_links_now(request.event_id, clock.now())
    logger.info("links sent by an admin", extra=row.as_dict())
    return row.as_dict()


ACTIONS: dict[str, tuple[type[BaseModel], Callable[[Any], dict[str, Any]]]] = {
    "create_event": (admin_events.CreateEvent, _create_event),
    "update_event": (admin_events.UpdateEvent, _update_event),
    "list_events": (admin_events.ListEvents, _list_events),
    "send_links": (SendLinks, _send_links),
}


def _failure(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"ok": False, "error": error}


def run_action(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        return _failure(
            "validation_error", "The test event must be a JSON object.", {"body": "must be an object"}
        )
    action = event.get("action")
    if action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        return _failure(
            "validation_error", f"Unknown action. Use one of: {known}.", {"action": f"must be one of {known}"}
        )
    model, run = ACTIONS[action]
    try:
        request = model.model_validate(event)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for problem in error.errors(include_input=False):
            name = ".".join(str(part) for part in problem["loc"]) or "body"
            fields.setdefault(name, problem["msg"].removeprefix("Value error, "))
        return _failure("validation_error", "Some fields need correcting.", fields)
    try:
        return {"ok": True, **run(request)}
    except DomainError as error:
        return _failure(error.code, error.message, error.fields)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_action(event)
