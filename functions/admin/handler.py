"""AdminFunction: the admins' actions, run from Lambda console test events `{"action": ...}`.

Answers `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "fields"}}`; it never
raises for bad input. A test event that does not fit its action's model is answered in plain
words naming each field and the form it wants (functions/admin/plain_errors.py). Example events
for every action live in infra/console-events/. The actions themselves live in
`functions/admin/actions_*.py`, each registering with `registry.action`.
"""

from __future__ import annotations

from functions import cold_start

cold_start.begin()  # before the other imports: see functions/cold_start.py

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions import error_map

# Each module registers its actions on import.
from functions.admin import (  # noqa: F401
    actions_changes,
    actions_data,
    actions_events,
    actions_messages,
    actions_people,
    actions_website,
    plain_errors,
)
from functions.admin.registry import ACTIONS, logger
from shared.boundary import JsonObject
from shared.domain.errors import DomainError, ValidationFailed
from shared.observability import count, metrics_for, take_unreadable


def _failure(problem: error_map.Problem) -> JsonObject:
    return {"ok": False, "error": problem.detail()}


def run_action(event: Any) -> JsonObject:
    """The answer to any test event at all: whatever JSON it is, never an exception."""
    try:
        return _run(event)
    except Exception as error:  # a bug, or a dependency down: logged with its stack, never raised
        return _failure(error_map.from_unexpected(error, "admin"))


def _run(event: Any) -> JsonObject:
    if not isinstance(event, dict):
        return _refused("The test event must be a JSON object.", "body", "must be an object")
    action = event.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        if action is None:
            return _refused(
                f"Say which action to run: one of {known}.", "action", f"is required: one of {known}"
            )
        return _refused(f"Unknown action. Use one of: {known}.", "action", f"must be one of {known}")
    model, run = ACTIONS[action]
    try:
        request = model.model_validate(event)
    except ValidationError as error:
        fields = plain_errors.plain_fields(model, error.errors(include_input=False, include_url=False))
        return _failure(
            error_map.from_domain(ValidationFailed(plain_errors.plain_message(fields), fields=fields))
        )
    try:
        return {"ok": True, **run(request)}
    except DomainError as error:
        return _failure(error_map.from_domain(error))


def _refused(message: str, field: str, problem: str) -> JsonObject:
    return _failure(error_map.from_domain(ValidationFailed(message, fields={field: problem})))


metrics = metrics_for("admin")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: JsonObject, context: LambdaContext) -> JsonObject:
    answer = run_action(event)
    count(metrics, "AdminActionsRun" if answer["ok"] else "AdminActionsRefused")
    if unreadable := take_unreadable():
        count(metrics, "UnreadableRecords", unreadable)
    return answer


cold_start.end()
