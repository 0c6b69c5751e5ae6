"""Admin actions on events: create_event, copy_event, list_events, get_event, send_links.
(update_event, which may email registrants, lives in actions_changes.py with cancel_event and
preview_email.)"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.admin.registry import ActionModel, action, event_view, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.errors import NotFound
from shared.domain.models import Event, RegistrationStatus
from shared.domain.warnings import event_warnings
from shared.stores.unreadable import Unreadable
from shared.workflows import admin_events


@action("create_event", admin_events.CreateEvent)
def create_event(request: admin_events.CreateEvent) -> JsonObject:
    app, now = services.get(), clock.now()
    event = app.event_admin.create_event(request, now)
    logger.info("event created", extra={"event_id": event.id})
    return {"event": event_view(event), "warnings": event_warnings(event, app.schedule, now)}


def event_line(event: Event, links_sent: int) -> JsonObject:
    """One event at a glance (list_events): what an admin checks before the day."""
    return {
        "id": event.id,
        "title": event.title,
        "starts_at": event.local_start.isoformat(),
        "status": event.status.value,
        "capacity": event.capacity,
        "registered": event.registered_count,
        "waitlisted": event.waitlisted_count,
        "join_url_set": bool(event.zoom_join_url),
        "links_sent": links_sent,
    }


@action("list_events", admin_events.ListEvents)
def list_events(request: admin_events.ListEvents) -> JsonObject:
    app = services.get()
    events, unreadable = app.event_admin.list_events(request, clock.now())
    # Items that cannot be read come last, marked, with their fields as stored: fix one with
    # update_event (starts_at and any other field), or cancel_event / delete_event it.
    lines = [event_line(e, app.stores.registrations.links_sent(e.id)) for e in events]
    return {"events": lines + [u.view() for u in unreadable]}


class GetEvent(ActionModel):
    action: Literal["get_event"] = "get_event"
    event_id: str = Field(min_length=1, max_length=100)


@action("get_event", GetEvent)
def get_event(request: GetEvent) -> JsonObject:
    """Everything about one event: its fields, Zoom details, counts and links."""
    app = services.get()
    stored = app.stores.events.get_stored(request.event_id)
    if stored is None:
        raise NotFound(f"There is no event with id {request.event_id!r}.")
    if isinstance(stored, Unreadable):
        return {"event": stored.view()}
    view = event_view(stored)
    view["counts"] = {
        status.value: sum(n for key, n in stored.counts.items() if key.split("#")[0] == status.value)
        for status in RegistrationStatus
    }
    by_role: dict[str, dict[str, int]] = {}
    for key, n in sorted(stored.counts.items()):
        status, _, role = key.partition("#")
        by_role.setdefault(status, {})[role] = n
    view["counts_by_role"] = by_role
    view["links_sent"] = sent = app.stores.registrations.links_sent(stored.id)
    unsent = max(stored.registered_count - sent, 0)
    return {"event": view, "warnings": event_warnings(stored, app.schedule, clock.now(), links_unsent=unsent)}


class SendLinks(ActionModel):
    action: Literal["send_links"] = "send_links"
    event_id: str = Field(min_length=1, max_length=100)


@action("send_links", SendLinks)
def send_links(request: SendLinks) -> JsonObject:
    row = services.get().dispatcher.send_links_now(request.event_id, clock.now())
    logger.info("links sent by an admin", extra=row.as_dict())
    return row.as_dict()


@action("copy_event", admin_events.CopyEvent)
def copy_event(request: admin_events.CopyEvent) -> JsonObject:
    app, now = services.get(), clock.now()
    event = app.event_admin.copy_event(request, now)
    logger.info("event copied", extra={"event_id": event.id, "from_event_id": request.event_id})
    return {"event": event_view(event), "warnings": event_warnings(event, app.schedule, now)}
