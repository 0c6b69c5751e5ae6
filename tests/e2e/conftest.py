"""The local stack (`python -m infra.local`), started once for the e2e tests on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.local_stack import LocalStack, start_local_stack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = start_local_stack(tmp_path_factory.mktemp("e2e"))
    yield stack
    stack.stop()
