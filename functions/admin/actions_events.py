"""Admin actions on events: create_event, list_events, send_links. (update_event, which may email
registrants, lives in actions_changes.py with cancel_event and preview_email.)"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.admin.registry import ActionModel, action, event_view, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.warnings import event_warnings
from shared.workflows import admin_events


@action("create_event", admin_events.CreateEvent)
def create_event(request: admin_events.CreateEvent) -> JsonObject:
    app, now = services.get(), clock.now()
    event = app.event_admin.create_event(request, now)
    logger.info("event created", extra={"event_id": event.id})
    return {"event": event_view(event), "warnings": event_warnings(event, app.schedule, now)}


@action("list_events", admin_events.ListEvents)
def list_events(request: admin_events.ListEvents) -> JsonObject:
    events, unreadable = services.get().event_admin.list_events(request, clock.now())
    # Items that cannot be read come last, marked, with their fields as stored: fix one with
    # update_event (starts_at and any other field), or cancel_event / delete_event it.
    return {"events": [event_view(e) for e in events] + [u.view() for u in unreadable]}


class SendLinks(ActionModel):
    action: Literal["send_links"] = "send_links"
    event_id: str = Field(min_length=1, max_length=100)


@action("send_links", SendLinks)
def send_links(request: SendLinks) -> JsonObject:
    row = services.get().dispatcher.send_links_now(request.event_id, clock.now())
    logger.info("links sent by an admin", extra=row.as_dict())
    return row.as_dict()
