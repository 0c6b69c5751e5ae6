"""DispatchFunction: the morning send, invoked by the daily schedule (CONTRACT.md "The morning send").

`{"scheduled_time": "<ISO 8601>"}` runs the send for that moment (without it, now);
`{"check_heartbeat": "<ISO 8601>"}` (the 08:15 schedule) emits MorningSendLate = 1 when that
morning's run has not completed, which the MorningSendLateAlarm watches.
"""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

from datetime import datetime

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock, services
from shared.boundary import JsonObject
from shared.observability import count, logger_for, metrics_for, take_unreadable

logger = logger_for("dispatch")
metrics = metrics_for("dispatch")


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("scheduled_time must carry its offset (the scheduler sends UTC with Z)")
    return moment


def check_heartbeat(scheduled: datetime) -> JsonObject:
    late = services.get().dispatcher.missed(scheduled)
    count(metrics, "MorningSendLate", 1 if late else 0)
    logger.info("heartbeat checked", extra={"late": late})
    return {"late": late}


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: JsonObject, context: LambdaContext) -> JsonObject:
    try:
        return _run(event)
    finally:
        if unreadable := take_unreadable():
            count(metrics, "UnreadableRecords", unreadable)


def _digest(now: datetime) -> None:
    """The admins' digest of sign-ups with access needs, last: a failure here fails the run, which
    Lambda retries (the run is safe to repeat) and DispatchFailedQueue alarms on; the links queued
    before it stay queued."""
    digest = services.get().notice_digest.send(now)
    if digest.sent:
        count(metrics, "AccessNeedsDigested", digest.signups)


def _run(event: JsonObject) -> JsonObject:
    event = event if isinstance(event, dict) else {}
    now = clock.now()
    heartbeat = _moment(event.get("check_heartbeat"))
    if heartbeat is not None:
        return check_heartbeat(heartbeat)
    scheduled = _moment(event.get("scheduled_time")) or now
    dispatcher = services.get().dispatcher
    rows = dispatcher.run(scheduled, now)
    count(metrics, "DispatchRunCompleted")
    count(metrics, "JoinLinksQueued", sum(r.queued for r in rows))
    logger.info("dispatch run", extra={"events": len(rows), "queued": sum(r.queued for r in rows)})
    missing = dispatcher.without_join_url(now)
    if missing:
        count(metrics, "EventsWithoutJoinUrl", len(missing))
        logger.warning("events within a day have no Zoom link", extra={"event_ids": missing})
    _digest(now)
    return {"events": [row.as_dict() for row in rows]}


cold_start.end()
