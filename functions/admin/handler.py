"""AdminFunction: the admins' actions, run from Lambda console test events `{"action": ...}`.

Answers `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "fields"}}`; it never
raises for bad input. Example events for every action live in infra/console-events/. The actions
themselves live in `functions/admin/actions_*.py`, each registering with `registry.action`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

# Each module registers its actions on import.
from functions.admin import (  # noqa: F401
    actions_changes,
    actions_data,
    actions_events,
    actions_people,
)
from functions.admin.registry import ACTIONS, logger
from shared.domain.errors import DomainError


def _failure(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"ok": False, "error": error}


def run_action(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        return _failure(
            "validation_error", "The test event must be a JSON object.", {"body": "must be an object"}
        )
    action = event.get("action")
    if action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        return _failure(
            "validation_error", f"Unknown action. Use one of: {known}.", {"action": f"must be one of {known}"}
        )
    model, run = ACTIONS[action]
    try:
        request = model.model_validate(event)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for problem in error.errors(include_input=False):
            name = ".".join(str(part) for part in problem["loc"]) or "body"
            fields.setdefault(name, problem["msg"].removeprefix("Value error, "))
        return _failure("validation_error", "Some fields need correcting.", fields)
    try:
        return {"ok": True, **run(request)}
    except DomainError as error:
        return _failure(error.code, error.message, error.fields)


metrics = Metrics(service="admin")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = run_action(event)
    if answer["ok"]:
        metrics.add_metric(name="AdminActionsRun", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="AdminActionsRefused", unit=MetricUnit.Count, value=1)
    return answer
