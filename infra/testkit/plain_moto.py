"""moto's in-process mock on its own, without the template's stack: for tests of one client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def plain_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's mock, reached by any boto3 client made inside: endpoint URLs another fixture or the
    local stack set are dropped (they would send requests past the mock), and the keys are dummies."""
    from moto import mock_aws

    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield
