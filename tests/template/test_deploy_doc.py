"""docs/deploy.md says what the template does: every resource it names exists, every alarm has a
row saying what to do, and the functions' timeouts, memory and the fixed costs' counts match."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "deploy.md").read_text()
NAMED = re.compile(r"`([A-Z][A-Za-z0-9]+(?:Function|Alarm|Topic|Secret|Queue))`")


def _of_type(sam_template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in sam_template["Resources"].items() if r["Type"] == kind}


def test_every_function_alarm_topic_secret_and_queue_the_guide_names_is_in_the_template(sam_template):
    named = set(NAMED.findall(DOC))

    assert named, "the guide names no resources: the pattern is wrong"
    assert named - set(sam_template["Resources"]) == set()


def test_every_alarm_has_a_row_saying_what_it_means(sam_template):
    alarms = set(_of_type(sam_template, "AWS::CloudWatch::Alarm"))
    rows = set(re.findall(r"^\| `(\w+Alarm)` \| .{20,}\|$", DOC, re.M))

    assert rows == alarms


def test_the_functions_table_has_the_templates_timeouts_and_memory(sam_template):
    defaults = sam_template["Globals"]["Function"]
    functions = _of_type(sam_template, "AWS::Serverless::Function")
    rows = {
        name: (int(timeout), int(memory))
        for name, timeout, memory in re.findall(
            r"^\| `(\w+Function)` \| [^|]+\| (\d+) \| (\d+) \|$", DOC, re.M
        )
    }

    assert rows == {
        name: (
            f["Properties"].get("Timeout", defaults["Timeout"]),
            f["Properties"].get("MemorySize", defaults["MemorySize"]),
        )
        for name, f in functions.items()
    }


def test_the_fixed_costs_count_the_templates_secrets_and_alarms(sam_template):
    secrets = len(_of_type(sam_template, "AWS::SecretsManager::Secret"))
    # Alarms every stack has: one under a condition (texts on) is counted with what it watches.
    alarms = len(
        [a for a in _of_type(sam_template, "AWS::CloudWatch::Alarm").values() if "Condition" not in a]
    )

    assert f"({secrets} secrets)" in DOC
    assert f"({alarms} alarms)" in DOC
    assert f"${alarms * 0.10 + secrets * 0.40:.2f}" in DOC  # the fixed total


def test_the_log_groups_the_docs_name_are_the_ones_the_functions_write_to(sam_template):
    """Each function's LoggingConfig names a log group of the template's; the docs name them by the
    same pattern (they drifted once: `/aws/lambda/<function>` was never written to)."""
    resources = sam_template["Resources"]
    written = {}
    for name, function in _of_type(sam_template, "AWS::Serverless::Function").items():
        group = resources[function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
        written[name] = group["Properties"]["LogGroupName"]["Fn::Sub"]
    guide = (DOCS / "admin-guide.md").read_text()

    assert written == {name: f"/aws/lambda/${{AWS::StackName}}/{name}" for name in written}
    for doc in (DOC, guide):
        named = set(re.findall(r"`(/aws/lambda/[^`]+)`", doc))
        assert "/aws/lambda/<stack name>/<function>" in named
        assert named - {"/aws/lambda/<stack name>/<function>"} <= {
            pattern.replace("${AWS::StackName}", "co-production") for pattern in written.values()
        }, named
    assert "`/aws/http-api/<stack name>/access`" in DOC
    assert resources["HttpApiAccessLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"] == (
        "/aws/http-api/${AWS::StackName}/access"
    )


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end != -1 else None]


def test_the_restore_runbook_names_the_templates_parameter_ttl_attribute_and_outputs(sam_template):
    runbook = _section("10. Backup and restore")
    table = sam_template["Resources"]["Table"]["Properties"]
    ttl = table["TimeToLiveSpecification"]["AttributeName"]

    assert "RestoredTableName" in sam_template["Parameters"]
    assert "**Parameter RestoredTableName**" in runbook
    assert f"AttributeName={ttl}" in runbook and f"`{ttl}`" in runbook
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert "PointInTimeRecoveryEnabled=true" in runbook
    assert table["DeletionProtectionEnabled"] is True and "--deletion-protection-enabled" in runbook
    assert "Tags" not in table and "StreamSpecification" not in table  # "no tags and no stream"
    outputs = set(re.findall(r"`([A-Z][A-Za-z]+)` output", runbook))
    assert outputs == {"TableName", "UnusedStackTableName"}
    assert outputs <= set(sam_template["Outputs"])
