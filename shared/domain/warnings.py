"""What an admin should look at before the day, answered with create_event and update_event
(`warnings`, CONTRACT.md): pure, from the event as saved, the schedule and the time now."""

from __future__ import annotations

from datetime import datetime

from shared.domain.models import Event, EventStatus
from shared.domain.schedule import Schedule


def event_warnings(
    event: Event, schedule: Schedule, now: datetime, *, links_unsent: int | None = None
) -> list[dict[str, str]]:
    """`{"code", "message"}` for each thing to look at; none for a cancelled event. With
    `links_unsent` (registered people not yet sent their link), no links_already_due when it is 0."""
    if event.status is EventStatus.cancelled:
        return []
    found: list[dict[str, str]] = []
    if not event.zoom_join_url:
        found.append(
            {
                "code": "no_zoom_link",
                "message": "There is no Zoom link yet. Add zoom_join_url with update_event before "
                "the morning of the event, or the join links will not work.",
            }
        )
    if event.starts_at <= now:
        found.append(
            {
                "code": "starts_in_past",
                "message": "This event starts in the past. Check starts_at and timezone.",
            }
        )
    elif schedule.send_moment(event) <= now and links_unsent != 0:
        found.append(
            {
                "code": "links_already_due",
                "message": "The morning's join links for this event were due already. Use "
                "send_links with this event_id to send them now.",
            }
        )
    return found
