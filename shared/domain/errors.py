"""Domain errors. `functions/api/errors.py` is the one place that turns them into HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    message = "Something is wrong with this request."

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    message = "Some details need correcting."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "We could not find that."


class EventClosed(DomainError):
    code = "event_closed"
    status = 409
    message = "That event is no longer open for sign-up: it has been cancelled or has ended."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "There have been too many sign-ups from here recently. Please try again later."

    def __init__(self, message: str | None = None, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds  # until the limit's window ends (Retry-After)


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    message = "That request is too large."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    message = "Please send JSON or a web form."


class Unavailable(DomainError):
    """A dependency (DynamoDB, SES, Secrets Manager) failed or timed out."""

    code = "unavailable"
    status = 503
    message = "We could not do that just now. Please try again in a minute."


class DuplicateEvent(DomainError):
    """Another event that is not cancelled has the same title on the same local day."""

    code = "duplicate_event"
    status = 409
    message = "There is already an event with that title on that day."


class DuplicateMessage(DomainError):
    """The same subject and message went to everyone in the audience already."""

    code = "duplicate_message"
    status = 409
    message = "Everyone in that audience has had this message already."


class EventNotEnded(DomainError):
    """Who attended is known only once the event has ended."""

    code = "event_not_ended"
    status = 409
    message = "That event has not ended yet: who attended is known only after the end."
