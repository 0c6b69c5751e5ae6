"""template.yaml passes cfn-lint, the AWS serverless rules and checkov, offline.

A finding is fixed in the template or skipped there, next to the resource, with a one-line reason
(`Metadata: cfn-lint: config: ignore_checks` or `Metadata: checkov: skip: [{id, comment}]`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.template.template_support import REGION, REPO_ROOT, TEMPLATE_PATH

VENV_BIN = Path(sys.executable).parent
CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"


def run_cfn_lint(*extra_args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(VENV_BIN / "cfn-lint"),
        "--regions",
        REGION,
        # Informational findings too (for example stateful resources without a DeletionPolicy).
        "--include-checks",
        "I",
        *extra_args,
        "--",
        str(TEMPLATE_PATH),
    ]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, check=False)


def test_template_passes_cfn_lint() -> None:
    # When cfn-lint checks the template (errors, warnings and informational findings)
    result = run_cfn_lint()

    # Then it finds nothing
    assert result.returncode == 0, f"cfn-lint findings:\n{result.stdout}{result.stderr}"


def test_template_passes_the_aws_serverless_rules() -> None:
    # When cfn-lint runs with the AWS serverless rules appended
    result = run_cfn_lint("--append-rules", "cfn_lint_serverless.rules")

    # Then they find nothing either
    assert result.returncode == 0, f"serverless-rules findings:\n{result.stdout}{result.stderr}"


def checkov_or_skip() -> Path:
    if CHECKOV.exists():
        return CHECKOV
    reason = f"checkov is not installed at {CHECKOV.relative_to(REPO_ROOT)}: run `make tools-checkov`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the template must be checked)")
    pytest.skip(reason)


def checkov_results() -> dict[str, Any]:
    checkov = checkov_or_skip()
    result = subprocess.run(
        [
            str(checkov),
            "--file",
            str(TEMPLATE_PATH),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            # Offline: no guideline or policy download from the vendor's platform.
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
        check=False,
        env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}):\n{result.stderr}"
    report = json.loads(result.stdout)
    # One framework gives one report; several give a list of them.
    reports = report if isinstance(report, list) else [report]
    (cloudformation,) = [r for r in reports if r.get("check_type") == "cloudformation"]
    return cloudformation


def test_template_has_no_open_checkov_findings() -> None:
    # When checkov scans the template
    report = checkov_results()
    summary = report["summary"]
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]

    # Then it parsed it, checked something, and every finding is fixed or skipped with a reason
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0
    assert failed == [], (
        "checkov findings (fix them, or skip them in the template with a reason):\n" + "\n".join(failed)
    )


def test_every_skipped_finding_says_why(sam_template: dict[str, Any]) -> None:
    # Given every checkov skip and cfn-lint ignore written in the template
    skips = [
        (logical_id, skip)
        for logical_id, resource in sam_template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    # Then each names a check and gives a reason of at least a few words
    assert skips, "expected the template to document its checkov skips"
    for logical_id, skip in skips:
        assert skip.get("id"), f"{logical_id}: checkov skip without an id"
        assert len(str(skip.get("comment", "")).split()) >= 5, (
            f"{logical_id}: skip {skip['id']} needs a reason"
        )
