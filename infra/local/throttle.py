"""API Gateway's stage throttling, emulated by the local adapter: a token bucket of
`ThrottlingBurstLimit` requests refilled at `ThrottlingRateLimit` a second, from the HttpApi's
`DefaultRouteSettings` in template.yaml. A request that finds the bucket empty gets API
Gateway's own answer, 429 `{"message": "Too Many Requests"}`, and never reaches the function.
`API_THROTTLING_RATE_LIMIT` and `API_THROTTLING_BURST_LIMIT` override the template's defaults,
as `make run` takes any template parameter in UPPER_SNAKE.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One request's token, if the bucket has one."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def throttle_from_template(
    template: dict[str, Any], api_events: list[dict[str, Any]], parameters: dict[str, str]
) -> TokenBucket | None:
    """The bucket of the HttpApi the API function's HttpApi event is attached to (None: no limit)."""
    from infra.local.intrinsics import NO_VALUE, Resolver

    resolver = Resolver(parameters, template.get("Conditions", {}))
    resources = template.get("Resources", {})
    for properties in api_events:
        api_ref = properties.get("ApiId")
        logical = api_ref.get("Ref") if isinstance(api_ref, dict) else None
        settings = (
            resources.get(logical or "", {}).get("Properties", {}).get("DefaultRouteSettings", NO_VALUE)
        )
        settings = resolver.resolve(settings)
        if not isinstance(settings, dict):
            continue
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
        if isinstance(rate, (int, float, str)) and isinstance(burst, (int, float, str)):
            return TokenBucket(float(rate), int(float(burst)))
    return None
