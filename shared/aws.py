"""boto3 clients, created lazily (cold start) and shared per container.

Timeouts and retries are set so that a failing dependency becomes our 503 well inside the
Lambda timeout (10 s): at most TOTAL_ATTEMPTS attempts of 1 s connect + 3 s read each, about 8 s
in the worst case, and usually far less. (botocore's `max_attempts` counts retries, not attempts:
`total_max_attempts` is the one that means what it says.)
Endpoints come from the standard `AWS_ENDPOINT_URL` variables, which is how the local stack
points every client at moto.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

CONNECT_TIMEOUT = 1
READ_TIMEOUT = 3
TOTAL_ATTEMPTS = 2

# botocore's DEBUG lines quote whole requests, and ours carry names and addresses: whatever
# level the functions log at, the SDK never says more than warnings.
for _sdk_logger in ("botocore", "boto3", "urllib3"):
    logging.getLogger(_sdk_logger).setLevel(logging.WARNING)


def client_config(attempts: int = TOTAL_ATTEMPTS) -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )


@cache
def client(service: str, attempts: int = TOTAL_ATTEMPTS) -> Any:
    """A client for `service`. `attempts=1` where a queue already retries (SES from the API)."""
    return boto3.session.Session().client(service, config=client_config(attempts))


def reset_clients() -> None:
    """Forget every client (tests switch between moto back ends)."""
    client.cache_clear()


def s3_client() -> Any:
    """SigV4 with virtual-hosted addressing: presigned URLs name the bucket's own regional
    endpoint (a global-endpoint URL can be redirected while a new bucket's DNS settles). An
    `AWS_ENDPOINT_URL` (the local stack's moto) still gets path-style URLs."""
    config = client_config().merge(Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    return boto3.session.Session().client("s3", config=config)
