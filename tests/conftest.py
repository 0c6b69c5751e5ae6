"""Shared fixtures: real moto resources created from template.yaml and a frozen clock.

The stack itself (`infra.testkit.stack.moto_stack`) and the helpers that build API Gateway HTTP
API v2 events and call the handlers (`infra.testkit.api`) live in `infra.testkit`, which the
benchmarks use too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Importing infra.testkit also sets the Powertools metrics namespace, before any test module
# imports a handler (as Lambda sets the environment before importing one).
from infra.testkit.stack import moto_stack, share_service_models


def pytest_configure(config: pytest.Config) -> None:
    share_service_models()  # each test's fresh clients read botocore's models once per process


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Real moto resources from template.yaml, the functions' environment, a frozen clock."""
    with moto_stack(monkeypatch) as stack:
        yield stack
