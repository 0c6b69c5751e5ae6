"""The functions of template.yaml, run in this process as Lambda would run them.

Each `AWS::Serverless::Function` becomes a `FunctionSpec` read from the template (Handler,
Timeout, MemorySize, CodeUri, Environment, Events), so the local stack cannot drift from what
`sam deploy` creates. `Invoker` imports a handler lazily on each invocation (a module that does
not exist yet, or failed to import, is tried again next time), passes a Lambda-like context and
round-trips the result through JSON, as the Lambda runtime does.

By default one invocation of a function runs at a time, as in one Lambda container: the handlers
share this process (and Powertools' per-invocation state, such as the metrics buffer), so letting
two run at once would mix them. `concurrency` (LOCAL_CONCURRENCY) allows more, for load tests
that want the application's own races, at the price of that shared state.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class UnknownFunction(LookupError):
    """No function with that logical id in template.yaml."""


class FunctionError(Exception):
    """The handler raised, could not be imported, or returned something Lambda cannot serialise.

    `payload` is what the Lambda Invoke API returns in that case (with `X-Amz-Function-Error`).
    """

    def __init__(self, error_type: str, message: str, stack_trace: list[str], request_id: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.payload = {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": stack_trace,
        }


@dataclass(frozen=True)
class EventSource:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    timeout_seconds: int = 3
    memory_mb: int = 128
    code_uri: str = "."
    environment: dict[str, Any] = field(default_factory=dict)
    events: tuple[EventSource, ...] = ()

    def events_of_type(self, event_type: str) -> list[EventSource]:
        return [event for event in self.events if event.type == event_type]


def functions_from_template(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    """Every serverless function the template declares, with Globals applied as SAM applies them."""
    globals_ = template.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**globals_, **resource.get("Properties", {})}
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        events = tuple(
            EventSource(name, spec.get("Type", ""), spec.get("Properties", {}) or {})
            for name, spec in (props.get("Events") or {}).items()
        )
        code_uri = props.get("CodeUri", ".")
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            handler=str(props.get("Handler", "")),
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            code_uri=code_uri if isinstance(code_uri, str) else ".",
            environment=variables,
            events=events,
        )
    return functions


@dataclass
class LambdaContext:
    """What the Lambda Python runtime passes as `context` (the attributes Powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    client_context: Any = None
    identity: Any = None
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(int((self.timeout_seconds - elapsed) * 1000), 0)


class Invoker:
    """Runs a function's handler with an event, as `lambda:Invoke` (or the console's Test) would."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        *,
        region: str = "eu-west-2",
        account_id: str = "123456789012",
        stack_name: str = "local",
        concurrency: int = 1,
    ) -> None:
        self.functions = functions
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self._slots = {
            logical_id: threading.BoundedSemaphore(max(concurrency, 1)) for logical_id in functions
        }
        for spec in functions.values():
            self._add_code_root(spec)

    @staticmethod
    def _add_code_root(spec: FunctionSpec) -> None:
        # Lambda puts the function's code root on sys.path; here every CodeUri lives in the repo.
        root = str((REPO_ROOT / spec.code_uri).resolve())
        if root not in sys.path:
            sys.path.insert(0, root)

    def function_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def handler_for(self, logical_id: str) -> Callable[[Any, Any], Any]:
        spec = self.spec(logical_id)
        module_name, _, attribute = spec.handler.rpartition(".")
        if not module_name:
            raise ImportError(f"{logical_id} has no Handler of the form module.function")
        module = importlib.import_module(module_name)
        return getattr(module, attribute)  # type: ignore[no-any-return]

    def spec(self, logical_id: str) -> FunctionSpec:
        try:
            return self.functions[logical_id]
        except KeyError:
            raise UnknownFunction(logical_id) from None

    def invoke(self, logical_id: str, event: Any) -> Any:
        """The handler's result, JSON round-tripped; `FunctionError` when it fails as Lambda reports."""
        spec = self.spec(logical_id)
        request_id = str(uuid.uuid4())
        name = self.function_name(logical_id)
        context = LambdaContext(
            function_name=name,
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}",
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=request_id,
            timeout_seconds=spec.timeout_seconds,
        )
        # A fresh copy, as Lambda deserialises the event for every invocation.
        event = json.loads(json.dumps(event))
        with self._slots[logical_id]:
            try:
                handler = self.handler_for(logical_id)
            except Exception as error:
                raise _function_error("Runtime.ImportModuleError", error, request_id) from error
            try:
                result = handler(event, context)
            except Exception as error:
                raise _function_error(type(error).__name__, error, request_id) from error
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            raise _function_error("Runtime.MarshalError", error, request_id) from error


def _function_error(error_type: str, error: BaseException, request_id: str) -> FunctionError:
    stack = traceback.format_exception(error)
    sys.stderr.write("".join(stack))
    return FunctionError(error_type, str(error), [line.rstrip("\n") for line in stack], request_id)
