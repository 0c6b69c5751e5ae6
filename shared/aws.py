"""boto3 clients, created lazily (cold start) and shared per container.

Timeouts and retries are set so that a failing dependency becomes our 503 well inside the
Lambda timeout (10 s): at most 2 attempts of 1 s connect + 3 s read each, about 8 s in the
worst case, and usually far less.
Endpoints come from the standard `AWS_ENDPOINT_URL` variables, which is how the local stack
points every client at moto.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=3,
    retries={"max_attempts": 2, "mode": "standard"},
)


# botocore's DEBUG lines quote whole requests, and ours carry names and addresses: whatever
# level the functions log at, the SDK never says more than warnings.
for _sdk_logger in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_sdk_logger).setLevel(logging.WARNING)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget every client (tests switch between moto back ends)."""
    client.cache_clear()
