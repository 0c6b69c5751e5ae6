"""Admin actions that reach registrants: update_event (and its `notify`), cancel_event, and
preview_email (of every kind, messages and follow-ups included). Who is told, and how exactly
once, is shared/notices.py's business."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from functions.admin.registry import ActionModel, action, event_view, logger
from shared import clock, services
from shared.boundary import JsonObject
from shared.domain.bulletins import MESSAGE_MAX, check_https_url, check_message, check_subject
from shared.domain.models import check_address, has_control_characters
from shared.domain.warnings import event_warnings
from shared.workflows import admin_events
from shared.workflows.previews import PreviewKind, Words

EventId = Field(min_length=1, max_length=100)
UNREADABLE_WARNING = {
    "code": "unreadable_event",
    "message": "This event's stored record cannot be read, so nobody could be emailed about the "
    "cancellation. To tell its registrants, rewrite it with update_event first, then cancel it.",
}
Message = Field(default=None, max_length=2000, description="Shown in the email, in the admin's words")


def _printable_text(value: str | None) -> str | None:
    # Line breaks are welcome in a message; other control characters are not.
    if value is not None and has_control_characters(
        value.replace("\n", "").replace("\r", "").replace("\t", "")
    ):
        raise ValueError("must not contain control characters")
    return value


@action("update_event", admin_events.UpdateEvent)
def update_event(request: admin_events.UpdateEvent) -> JsonObject:
    app, now = services.get(), clock.now()
    event, notified = app.notices.update_event(app.event_admin, request, now)
    logger.info("event updated", extra={"event_id": event.id, "notify": request.notify, "notified": notified})
    return {
        "event": event_view(event),
        "notified": notified,
        "warnings": event_warnings(event, app.schedule, now),
    }


class CancelEvent(ActionModel):
    action: Literal["cancel_event"] = "cancel_event"
    event_id: str = EventId
    message: str | None = Message
    dry_run: bool = False

    _message = field_validator("message")(_printable_text)


@action("cancel_event", CancelEvent)
def cancel_event(request: CancelEvent) -> JsonObject:
    unreadable = services.get().event_admin.cancel_unreadable(request.event_id, dry_run=request.dry_run)
    if unreadable is not None:
        logger.info(
            "unreadable event cancelled", extra={"event_id": unreadable.id, "dry_run": request.dry_run}
        )
        return {
            "event": {**unreadable.view(), "status": "cancelled" if not request.dry_run else "unreadable"},
            "notified": 0,
            "dry_run": request.dry_run,
            "warnings": [UNREADABLE_WARNING],
        }
    event, notified = services.get().notices.cancel_event(
        request.event_id, request.message or "", dry_run=request.dry_run, now=clock.now()
    )
    logger.info(
        "event cancelled" if not request.dry_run else "event cancellation tried (dry run)",
        extra={"event_id": event.id, "notified": notified},
    )
    return {"event": event_view(event), "notified": notified, "dry_run": request.dry_run}


class PreviewEmail(ActionModel):
    action: Literal["preview_email"] = "preview_email"
    kind: PreviewKind
    event_id: str = EventId
    to: str = Field(
        max_length=254,
        title="email address",
        description="The admin's own address: the only one the sample goes to",
    )
    # For a cancellation, a message or a follow-up: the words to try out.
    message: str | None = Field(default=None, max_length=MESSAGE_MAX)
    # For a message (message_registrants) and a follow-up (send_follow_up): their fields.
    subject: str | None = None
    recording_url: str = ""
    feedback_url: str = ""
    attended: bool = Field(default=True, description="follow_up: the version for those who came")

    @field_validator("message")
    @classmethod
    def _words(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A message's or follow-up's words as message_registrants and send_follow_up take them:
        # a preview never shows what the send would refuse, nor differently.
        if value is not None and info.data.get("kind") in ("message", "follow_up"):
            return check_message(value, required=False)
        return _printable_text(value)

    _subject = field_validator("subject")(lambda value: value if value is None else check_subject(value))
    _recording = field_validator("recording_url")(lambda value: check_https_url(value, "recording_url"))
    _feedback = field_validator("feedback_url")(lambda value: check_https_url(value, "feedback_url"))

    @model_validator(mode="after")
    def _words_for_a_message(self) -> PreviewEmail:
        if self.kind == "message" and (not self.subject or not (self.message or "").strip()):
            raise ValueError("a message preview needs the subject and message of message_registrants")
        return self

    @field_validator("to")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        return check_address(value)


@action("preview_email", PreviewEmail)
def preview_email(request: PreviewEmail) -> JsonObject:
    words = Words(
        message=request.message or "",
        subject=request.subject or "",
        recording_url=request.recording_url,
        feedback_url=request.feedback_url,
        attended=request.attended,
    )
    message_id = services.get().previews.send(request.kind, request.event_id, request.to, words, clock.now())
    logger.info("preview sent", extra={"kind": request.kind, "event_id": request.event_id})
    return {"message_id": message_id, "kind": request.kind}
