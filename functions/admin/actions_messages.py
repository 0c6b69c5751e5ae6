"""Admin actions that write to an event's people in the admin's own words: message_registrants
and send_follow_up. Who gets one, and how exactly once, is shared/workflows/bulletins.py's
business; the emails are shared/mail/bulletins.py's."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from functions.admin.registry import ActionModel, action, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.bulletins import Audience, check_https_url, check_message, check_subject

EventId = Field(min_length=1, max_length=100)
AUDIENCES = ("registered", "waitlisted", "everyone", "attended", "not_attended")


class MessageRegistrants(ActionModel):
    action: Literal["message_registrants"] = "message_registrants"
    event_id: str = EventId
    subject: str = Field(default="", validate_default=True, description="One line, at most 150 characters")
    message: str = Field(
        default="", validate_default=True, description="Plain text; blank lines part paragraphs"
    )
    audience: str = Field(default="registered", description=" | ".join(AUDIENCES))
    dry_run: bool = False
    allow_repeat: bool = False

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return check_subject(value)

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        return check_message(value, required=True)

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        if value not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)} (registered if left out)")
        return value


@action("message_registrants", MessageRegistrants)
def message_registrants(request: MessageRegistrants) -> JsonObject:
    audience: Audience = request.audience  # type: ignore[assignment]  # checked above
    outcome = services.get().bulletins.message(
        request.event_id,
        request.subject,
        request.message,
        audience,
        dry_run=request.dry_run,
        allow_repeat=request.allow_repeat,
        now=clock.now(),
    )
    logger.info(
        "message sent" if not request.dry_run else "message tried (dry run)",
        extra={"event_id": request.event_id, "audience": audience, "queued": outcome.queued},
    )
    return {
        "event_id": request.event_id,
        "audience": audience,
        "audience_count": outcome.audience_count,
        "queued": outcome.queued,
        "unreachable": outcome.unreachable,
        "dry_run": request.dry_run,
    }


class SendFollowUp(ActionModel):
    action: Literal["send_follow_up"] = "send_follow_up"
    event_id: str = EventId
    recording_url: str = Field(default="", description="https:// link to the recording")
    feedback_url: str = Field(default="", description="https:// link to the feedback form")
    message: str = Field(default="", description="Plain text; blank lines part paragraphs")
    dry_run: bool = False

    @field_validator("recording_url")
    @classmethod
    def _recording(cls, value: str) -> str:
        return check_https_url(value, "recording_url")

    @field_validator("feedback_url")
    @classmethod
    def _feedback(cls, value: str) -> str:
        return check_https_url(value, "feedback_url")

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        return check_message(value, required=False)


@action("send_follow_up", SendFollowUp)
def send_follow_up(request: SendFollowUp) -> JsonObject:
    outcome = services.get().bulletins.follow_up(
        request.event_id,
        recording_url=request.recording_url,
        feedback_url=request.feedback_url,
        message=request.message,
        dry_run=request.dry_run,
        now=clock.now(),
    )
    logger.info(
        "follow-up sent" if not request.dry_run else "follow-up tried (dry run)",
        extra={"event_id": request.event_id, "queued": outcome.queued},
    )
    answer: JsonObject = {
        "event_id": request.event_id,
        "audience_count": outcome.audience_count,
        "attended": outcome.attended,
        "not_attended": outcome.not_attended,
        "queued": outcome.queued,
        "unreachable": outcome.unreachable,
        "dry_run": request.dry_run,
    }
    if outcome.attended == 0 and outcome.audience_count > 0 and not outcome.already_sent:
        # Attendance is read from the join links: people who typed the meeting ID or dialled in
        # count as not attended, and would be told they were missed.
        answer["warnings"] = [
            {
                "code": "nobody_attended",
                "message": "Nobody opened their join link during this event, so everyone with a "
                "place gets the we-missed-you note. If people joined another way (the meeting ID, "
                'by phone), check this with "dry_run": true before you send.',
            }
        ]
    if outcome.already_sent:
        answer["warnings"] = [
            {
                "code": "follow_up_already_sent",
                "message": "This event's follow-up was sent before: each person gets it once, with "
                "the links and words of the first send.",
            }
        ]
    return answer
