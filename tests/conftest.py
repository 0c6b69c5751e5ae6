"""Shared fixtures: real moto resources created from template.yaml and a frozen clock.

The stack itself (`infra.testkit.stack.moto_stack`) and the helpers that build API Gateway HTTP
API v2 events and call the handlers (`infra.testkit.api`) live in `infra.testkit`, which the
benchmarks use too."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

# Importing infra.testkit also sets the Powertools metrics namespace, before any test module
# imports a handler (as Lambda sets the environment before importing one).
from infra.testkit.stack import moto_stack, share_service_models


def pytest_configure(config: pytest.Config) -> None:
    share_service_models()  # each test's fresh clients read botocore's models once per process


# The folders whose conftest starts a session-scoped local stack (a subprocess with its own moto
# server) or Chromium. Under `make test` (pytest-xdist, `--dist loadgroup`) each folder is one
# group, run whole by one worker, so each of those starts once rather than once per worker.
SESSION_STACK_FOLDERS = ("tests/e2e/", "tests/browser/")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with SESSION_STACK_FOLDERS as its groups; every other test is
    scheduled on its own, to whichever worker is free.

    Not `xdist_group` marks: pytest-xdist 3.8 tags a marked test by rewriting its node id, which
    pytest 9.2's structured node ids no longer allow, so marks are silently ignored
    (pytest-dev/pytest-xdist#1386). The controller sees node ids only; folders are in them."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class StackFolderScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            folder = next((f for f in SESSION_STACK_FOLDERS if nodeid.startswith(f)), None)
            return folder or super()._split_scope(nodeid)

    return StackFolderScheduling(config, log)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Real moto resources from template.yaml, the functions' environment, a frozen clock.

    Permissions are enforced twice. Each handler runs with credentials for its own role, built
    from template.yaml, under moto's IAM access control (`infra.testkit.permissions`: actions
    only), so a missing action fails the call as AccessDenied. And every AWS call a handler makes
    is judged against that function's own statements with the ARNs it touches and the condition
    keys it carries (`infra.testkit.iam_check`): a test whose handlers needed a permission their
    policy lacks fails, naming it."""
    from infra.testkit import PARAMETERS

    with judged_stack(monkeypatch, PARAMETERS) as stack:
        yield stack


@contextmanager
def judged_stack(
    monkeypatch: pytest.MonkeyPatch,
    parameters: Mapping[str, str],
    prepare: Callable[[Any], None] = lambda stack: None,
) -> Iterator[Any]:
    """The `aws` fixture's stack with other template parameters; `prepare(stack)` runs before
    permissions are enforced (what an admin would have made by hand, such as a restored table)."""
    from infra.testkit import REGION
    from infra.testkit.iam import function_policies
    from infra.testkit.iam_check import denied, recording
    from infra.testkit.permissions import enforced

    with moto_stack(monkeypatch, parameters=parameters) as stack:
        prepare(stack)
        policies = function_policies(stack, dict(parameters))
        with enforced(policies, REGION), recording(policies) as calls:
            yield stack
    if os.environ.get("IAM_USED_LOG"):  # `IAM_USED_LOG=path pytest tests/integration`: what was used
        with open(os.environ["IAM_USED_LOG"], "a", encoding="utf-8") as log:
            log.writelines(f"{c.function} {n.action} {n.resources[0]}\n" for c in calls for n in c.needs)
    lacking = denied(calls)
    assert not lacking, "a function's IAM policy in template.yaml lacks what it needed:\n" + "\n".join(
        lacking
    )
