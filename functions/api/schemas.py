"""What the public API answers. Built field by field from the stored event: a Zoom detail can
never slip into a public answer by being added to the stored model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.domain.calendar_links import google_calendar_url, outlook_calendar_url
from shared.domain.links import Links
from shared.domain.models import Event


class PublicEvent(BaseModel):
    id: str
    title: str
    description: str
    starts_at: str = Field(description="ISO 8601 with the offset of the event's time zone")
    ends_at: str = Field(description="ISO 8601 with the offset of the event's time zone")
    timezone: str
    status: Literal["scheduled", "cancelled"]
    spaces_left: int | None
    calendar_url: str
    google_calendar_url: str
    outlook_calendar_url: str

    @classmethod
    def of(cls, event: Event, links: Links) -> PublicEvent:
        details = links.event_page(event.id)
        return cls(
            id=event.id,
            title=event.title,
            description=event.description,
            starts_at=event.local_start.isoformat(),
            ends_at=event.local_end.isoformat(),
            timezone=event.timezone,
            status=event.status.value,
            spaces_left=event.spaces_left,
            calendar_url=links.event_calendar(event.id),
            google_calendar_url=google_calendar_url(event, details),
            outlook_calendar_url=outlook_calendar_url(event, details),
        )


class EventList(BaseModel):
    events: list[PublicEvent]
