"""The JSON answers of the routes that change something (sign-up, manage, unsubscribe), as models.
Each route imports them when it answers, and `/openapi.json` when it describes them: a container
serving only pages, event lists or join links never builds them (cold start)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class ProfileAnswer(Answer):
    name: str
    role: Literal[
        "lived_experience",
        "academic",
        "frontline_staff",
        "manager",
        "chief_executive",
        "commissioner",
        "government_official",
        "other",
    ]
    organisation: str
    # Only while texts are on (SmsEnabled): whether the person is texted, and at what number, masked.
    sms_consent: bool | None = Field(default=None, description="Only when texts are on")
    phone: str | None = Field(default=None, description="The number texted, masked; only when texts are on")


class CancelAnswer(Answer):
    cancelled: list[str]


class UnsubscribeAnswer(Answer):
    unsubscribed: bool
    cancelled: list[str]


class MessagesOptOutAnswer(Answer):
    """`/unsubscribe/messages`: no more admins' messages and follow-ups (places stay)."""

    messages_opt_out: bool


class LinkRequested(Answer):
    accepted: Literal[True]


class JoinAnswer(Answer):
    """A join link that does not redirect: not open yet (`early`), still on the waiting list, or
    over (`gone`, with 410)."""

    status: Literal["early", "waitlisted", "gone"]
    event_id: str
    opens_at: str | None = None


class ErrorDetail(Answer):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorAnswer(Answer):
    error: ErrorDetail
