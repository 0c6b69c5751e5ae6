"""What the public API answers. Built field by field from the stored event: a Zoom detail can
never slip into a public answer by being added to the stored model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Answer(BaseModel):
    """An answer only some requests give: its validator is built on first use, not at import
    (cold start: most requests are pages and event lists)."""

    model_config = ConfigDict(defer_build=True)


class SignupRegistration(Answer):
    event_id: str
    status: Literal["registered", "already_registered", "waitlisted"]


class SignupResult(Answer):
    registrations: list[SignupRegistration]
    confirmation: Literal["sent", "queued", "suppressed"]


class SignupAnswer(Answer):
    signup: SignupResult


class ManagedRegistration(Answer):
    event_id: str
    title: str
    starts_at: str
    status: Literal["registered", "waitlisted", "cancelled"]


class ManageAnswer(Answer):
    name: str
    registrations: list[ManagedRegistration]


class CancelAnswer(Answer):
    cancelled: list[str]


class UnsubscribeAnswer(Answer):
    unsubscribed: bool
    cancelled: list[str]


class ErrorDetail(Answer):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorAnswer(Answer):
    error: ErrorDetail
