"""Real moto resources created from template.yaml, the functions' environment and a frozen clock:
what every in-process test (the `aws` fixture of tests/conftest.py) and benchmark runs against.

Each `moto_stack()` is a fresh moto state: new tables, queues, secret, bucket and SES outbox.
What is the same in every stack of a process is kept: the template as parsed (`template()`),
and, where the caller asks for it (`share_service_models()`, the tests do), botocore's service
models.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any, Protocol

from infra.testkit import FIXED_NOW, PARAMETERS, REGION


class Environment(Protocol):
    """Where the stack's environment variables are set: pytest's `monkeypatch` fits."""

    def setenv(self, name: str, value: str) -> None: ...

    def delenv(self, name: str) -> None: ...


class _OsEnvironment:
    """os.environ itself; `moto_stack` puts all of it back as it was when the stack closes."""

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value

    def delenv(self, name: str) -> None:
        os.environ.pop(name, None)


@cache
def _parsed_template() -> dict[str, Any]:
    from infra.local.resources import load_template

    return load_template()


def template() -> dict[str, Any]:
    """template.yaml as `infra.local.resources.load_template` reads it, parsed once per process
    (parsing is most of a stack's set-up); each caller gets its own copy."""
    return copy.deepcopy(_parsed_template())


@contextmanager
def moto_stack(
    environment: Environment | None = None, *, parameters: Mapping[str, str] = PARAMETERS
) -> Iterator[Any]:
    """Everything the handlers need, in-process, under `moto.mock_aws`: the template's resources
    (`infra.local.resources.create_stack`), each DynamoDB request atomic as in DynamoDB, the
    functions' environment, fresh `shared.services` and the clock frozen at FIXED_NOW.
    Yields the `Stack` (physical names and ARNs).

    Variables are set through `environment` (pass pytest's `monkeypatch`, which undoes them); by
    default os.environ is changed, and restored entirely when the stack closes."""
    from moto import mock_aws

    from infra.local.moto_atomic import make_dynamodb_requests_atomic
    from infra.local.resources import create_stack
    from shared import clock, services

    make_dynamodb_requests_atomic()
    saved = None if environment is not None else dict(os.environ)
    env = environment if environment is not None else _OsEnvironment()
    try:
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL"):
                env.delenv(name)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("POWERTOOLS_SERVICE_NAME", "co-production-tests")
        with mock_aws():
            stack = create_stack(dict(parameters), region=REGION, template=template())
            for name, value in stack.environment.items():
                env.setenv(name, value)
            if "ExportBucket" in stack.physical:  # AdminFunction's own variable (not in Globals)
                env.setenv("EXPORT_BUCKET", stack.physical["ExportBucket"])
            services.reset()
            clock.freeze(FIXED_NOW)
            try:
                yield stack
            finally:
                clock.unfreeze()
                services.reset()
    finally:
        if saved is not None:
            os.environ.clear()
            os.environ.update(saved)


_shared_models: dict[tuple[str, ...], dict[Any, Any]] = {}


def share_service_models() -> None:
    """Let every botocore session in this process share what its loader reads (service models,
    endpoint rules, partitions), as the clients of one session already do.

    `shared.aws.client` builds each client from a new `boto3.session.Session`, and every test
    starts a fresh container (`services.reset()`), so without this each test parses the same
    JSON models again (measured: a stack's set-up 0.59 s -> 0.14 s with the parsed template also
    kept, and a test's DynamoDB, SES and SQS clients 0.49 s -> 0.10 s). botocore treats the data
    as read-only (one session hands the same objects to all its clients), so sharing it changes
    what is cached, not what a client does. Tests only: the benchmarks keep a container's cost."""
    from botocore import loaders

    if getattr(loaders.Loader.__init__, "_shares_models", False):
        return
    original = loaders.Loader.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._cache = _shared_models.setdefault(tuple(self.search_paths), {})

    __init__._shares_models = True  # type: ignore[attr-defined]
    loaders.Loader.__init__ = __init__  # type: ignore[method-assign]
