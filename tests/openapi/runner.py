"""Fuzz the running local stack against its own OpenAPI document with schemathesis (`st run`, in its
own venv: `make tools-schemathesis`), and count what it did from its NDJSON report.

`make test` runs it for about a minute (tests/openapi/test_openapi_fuzz.py); `make fuzz-api` for
longer: `python -m tests.openapi.runner --seconds 600 --seed 7` starts a stack of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ST = REPO_ROOT / ".tools" / "schemathesis" / "bin" / "st"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
DEFAULT_SEED = 20261130


@dataclass
class Summary:
    exit_code: int
    seconds: float = 0.0
    requests: int = 0
    checks: Counter[str] = field(default_factory=Counter)  # check name -> responses it judged
    failures: Counter[str] = field(default_factory=Counter)  # check name -> responses it failed
    failed: list[str] = field(default_factory=list)  # "check: METHOD path -> status" (unique)
    signups: Counter[int] = field(default_factory=Counter)  # POST /signups answers by status
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)  # "METHOD /path" -> statuses
    output: str = ""

    @property
    def valid_signups(self) -> int:
        """Sign-ups the app accepted (201 newly registered or waitlisted, 200 already registered)."""
        return self.signups[200] + self.signups[201]

    def table(self) -> str:
        lines = [f"{'check':<30} {'responses':>9} {'failures':>8}"]
        lines += [f"{name:<30} {self.checks[name]:>9} {self.failures[name]:>8}" for name in CHECKS]
        statuses = dict(sorted(self.statuses.items()))
        lines.append(f"requests {self.requests} in {self.seconds:.0f} s; statuses {statuses}")
        lines.append(
            f"POST /signups answers by status: {dict(sorted(self.signups.items()))}; "
            f"accepted sign-ups: {self.valid_signups}"
        )
        for operation, statuses in sorted(self.by_operation.items()):
            lines.append(f"  {operation}: {dict(sorted(statuses.items()))}")
        lines += [f"FAILED {line}" for line in self.failed]
        return "\n".join(lines)


def read_report(path: Path, summary: Summary) -> Summary:
    """Adds what one NDJSON report recorded to `summary`."""
    failed = set(summary.failed)
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "EngineFinished" in event:
            summary.seconds += float(event["EngineFinished"].get("running_time") or 0)
        recorder = event.get("ScenarioFinished", {}).get("recorder")
        if not recorder:
            continue
        cases = recorder.get("cases", {})
        for case_id, interaction in recorder.get("interactions", {}).items():
            response = interaction.get("response") or {}
            status = response.get("status_code")
            if status is None:
                continue
            summary.requests += 1
            summary.statuses[status] += 1
            case = cases.get(case_id, {}).get("value", {})
            operation = f"{case.get('method')} {case.get('path')}"
            summary.by_operation.setdefault(operation, Counter())[status] += 1
            request = interaction["request"]
            if request["method"] == "POST" and request["uri"].split("?")[0].endswith("/signups"):
                summary.signups[status] += 1
            for check in recorder.get("checks", {}).get(case_id, []):
                summary.checks[check["name"]] += 1
                if check["status"] == "failure":
                    summary.failures[check["name"]] += 1
                    failed.add(f"{check['name']}: {operation} -> {status}")
    summary.failed = sorted(failed)
    return summary


# Two passes share the time: every operation in every phase (examples, coverage, fuzzing,
# stateful), then the fuzzing phase on the two routes that take addresses, where the hooks
# (tests/openapi/hooks.py) make most bodies ones the app accepts: on a busy machine the first pass
# alone reaches a sign-up only a few times a minute.
PASSES = (
    ("everything", (), 0.7),
    ("sign-ups", ("--include-path-regex", "^/(signups|manage/link)$", "--phases", "fuzzing"), 0.3),
)


def run_fuzzer(base_url: str, *, seconds: int, seed: int, report_dir: Path) -> Summary:
    """`st run` against `base_url` for about `seconds` in all; what it found."""
    summary = Summary(exit_code=0)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "hooks",
        "PYTHONPATH": str(Path(__file__).resolve().parent),
        "FUZZ_API_BASE_URL": base_url,
    }
    for name, options, share in PASSES:
        report = report_dir / f"schemathesis-{name}.ndjson"
        command = [
            str(ST), "run", f"{base_url}/openapi.json", *options,
            "--checks", ",".join(CHECKS),
            "--seed", str(seed),
            "--max-time", str(max(1, round(seconds * share))),
            "--workers", "1",
            "--generation-database", "none",
            "--request-timeout", "30",
            "--report", "ndjson", "--report-ndjson-path", str(report),
            "--no-color",
        ]  # fmt: skip
        done = subprocess.run(
            command, env=env, cwd=report_dir, capture_output=True, text=True, timeout=seconds + 300
        )
        summary.output += done.stdout + done.stderr
        summary.exit_code = summary.exit_code or done.returncode
        if not report.exists():
            raise RuntimeError(
                f"schemathesis wrote no report (exit {done.returncode}):\n{summary.output[-4000:]}"
            )
        read_report(report, summary)
    (report_dir / "summary.txt").write_text(f"{summary.table()}\nseed {seed}\n", encoding="utf-8")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--base-url", help="an already running stack (default: start one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fuzz-api-") as tmp:
        stack = None
        base_url = args.base_url
        if base_url is None:
            from tests.e2e.local_stack import start_local_stack

            stack = start_local_stack(Path(tmp), extra_env=FUZZ_STACK_ENV)
            base_url = stack.base_url
        try:
            summary = run_fuzzer(base_url, seconds=args.seconds, seed=args.seed, report_dir=Path(tmp))
        finally:
            if stack is not None:
                stack.stop()
    print(summary.output)
    print(summary.table())
    print(f"seed {args.seed}")
    return 0 if summary.exit_code == 0 and not summary.failed else 1


# The stack under fuzzing: sign-up limits off (every request comes from one address, and the
# fuzzer should reach the sign-up logic all run long), quiet access log.
FUZZ_STACK_ENV = {"SIGNUP_LIMITS": "off", "LOCAL_ACCESS_LOG": "off"}

if __name__ == "__main__":
    sys.exit(main())
