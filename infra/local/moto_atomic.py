"""Make moto's DynamoDB answer one request at a time, as DynamoDB's own isolation does.

moto checks a condition and then writes without a lock, so two threads' conditional writes (or
two transactions) can both pass a check that DynamoDB would let only one pass. Our races are
real races only if the emulator keeps DynamoDB's promise: each request (a transaction included)
is atomic and isolated. The application's own read-decide-write races remain, which is what the
concurrency tests exercise.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_installed = False


def make_dynamodb_requests_atomic() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _installed = True
