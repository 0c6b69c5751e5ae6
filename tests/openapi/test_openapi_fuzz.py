"""The document is the truth (CONTRACT.md): schemathesis fuzzes the running local stack against its
own /openapi.json for about a minute, seeded, and finds no server error, no status code, content
type or body the document does not list; and it reaches the sign-up logic with sign-ups the app
accepts. `make fuzz-api` runs the same for longer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.local_stack import start_local_stack
from tests.openapi.runner import CHECKS, DEFAULT_SEED, FUZZ_STACK_ENV, ST, run_fuzzer

SECONDS = 60
AT_LEAST_ACCEPTED_SIGNUPS = 5


def schemathesis_or_skip() -> None:
    if ST.exists():
        return
    reason = f"schemathesis is not installed at {ST}: run `make tools-schemathesis`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the document must be fuzzed)")
    pytest.skip(reason)


def test_fuzzing_the_document_finds_nothing_and_reaches_the_signup_logic(tmp_path: Path) -> None:
    schemathesis_or_skip()
    stack = start_local_stack(tmp_path, extra_env=FUZZ_STACK_ENV)
    try:
        summary = run_fuzzer(stack.base_url, seconds=SECONDS, seed=DEFAULT_SEED, report_dir=tmp_path)
        confirmations = [m for m in stack.outbox() if "signed up" in str(m.get("subject", ""))]
    finally:
        stack.stop()
    print(summary.table())

    assert summary.failed == [], f"{summary.table()}\n{summary.output[-6000:]}"
    assert summary.exit_code == 0, summary.output[-6000:]
    for check in CHECKS:
        assert summary.checks[check] > 50, (check, summary.table())
    # The hooks' sign-ups got through validation to the sign-up itself, which stored and confirmed them.
    assert summary.valid_signups >= AT_LEAST_ACCEPTED_SIGNUPS, summary.table()
    assert summary.signups[201] >= 1 and confirmations, summary.table()
