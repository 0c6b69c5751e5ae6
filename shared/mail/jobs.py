"""The outbound queue's messages: one pydantic model per kind, in one discriminated union.

Every message names ids only (a person id, an event id, a batch), never an address or a name:
whoever handles it reads what it needs from the table at send time, so an erased person is
simply not found. SenderFunction turns each kind into its handler through one table.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter


class _Job(BaseModel):
    model_config = {"extra": "ignore", "frozen": True}


class ConfirmationEntry(_Job):
    event_id: str
    status: Literal["registered", "already_registered", "waitlisted"] = "registered"


class ConfirmationJob(_Job):
    """A sign-up's confirmation that could not go at once."""

    kind: Literal["confirmation"] = "confirmation"
    person_id: str
    events: list[ConfirmationEntry]


class ManageLinkJob(_Job):
    """A manage link asked for, that could not go at once."""

    kind: Literal["manage_link"] = "manage_link"
    person_id: str


class PlaceOfferedJob(_Job):
    """The email to someone moved off a waiting list, that could not go at once."""

    kind: Literal["place_offered"] = "place_offered"
    person_id: str
    event_id: str


class JoinLinksJob(_Job):
    """One batch of an event's morning send."""

    kind: Literal["join_links"] = "join_links"
    event_id: str
    send_moment: datetime
    batch: str


class NoticeJob(_Job):
    """One batch of a change or cancellation notice."""

    kind: Literal["notice"] = "notice"
    event_id: str
    notice: int
    batch: str


class MessageJob(_Job):
    """One batch of an admin's message to an event's registrants, or of its follow-up."""

    kind: Literal["message"] = "message"
    event_id: str
    message: str  # the send's key (shared/domain/bulletins.py)
    batch: str


Job = Annotated[
    ConfirmationJob | ManageLinkJob | PlaceOfferedJob | JoinLinksJob | NoticeJob | MessageJob,
    Field(discriminator="kind"),
]


@cache
def _adapter() -> TypeAdapter[Job]:
    return TypeAdapter(Job)  # built on first read: only SenderFunction reads jobs


def read_job(body: str) -> Job:
    """A queue message's body as its job. Raises pydantic's ValidationError for anything else."""
    return _adapter().validate_json(body)


def job_body(job: Job) -> str:
    return job.model_dump_json()
