"""The registry of admin actions: each `functions/admin/actions_*.py` module registers its own.

An action is a pydantic model of its test event (with `action: Literal["<name>"]`) and a function
taking the validated model and answering a dict (merged into `{"ok": true, ...}`). Bad input is
answered by the handler from the model's validation; domain errors from `shared.domain.errors` become
`{"ok": false, "error": ...}`. Nothing else may raise for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.boundary import JsonObject
from shared.domain.models import Event
from shared.observability import logger_for

logger = logger_for("admin")

Model = TypeVar("Model", bound=BaseModel)
ActionFunction = Callable[[Any], JsonObject]

ACTIONS: dict[str, tuple[type[BaseModel], ActionFunction]] = {}


def action(
    name: str, model: type[Model]
) -> Callable[[Callable[[Model], JsonObject]], Callable[[Model], JsonObject]]:
    def register(function: Callable[[Model], JsonObject]) -> Callable[[Model], JsonObject]:
        if name in ACTIONS:
            raise ValueError(f"admin action {name!r} registered twice")
        ACTIONS[name] = (model, function)
        return function

    return register


class ActionModel(BaseModel):
    """Base of every action's test event: unknown fields are refused, naming them."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}


def event_view(event: Event) -> JsonObject:
    """The whole event for admins, Zoom details and counters included, times in its own zone."""
    view = event.model_dump(mode="json")
    view["starts_at"] = event.local_start.isoformat()
    view["ends_at"] = event.local_end.isoformat()
    view["spaces_left"] = event.spaces_left
    return view
