"""Helpers for the offline checks of template.yaml (shared by the tests in this folder)."""

from __future__ import annotations

import copy
import fnmatch
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
REGION = "eu-west-2"

# Values for the parameters that have no default, as `sam deploy --guided` would ask for them.
DEPLOY_PARAMETERS = {
    "PublicBaseUrl": "https://events.example.org",
    "SenderAddress": "events@example.org",
}


class OfflineManagedPolicyLoader:
    """Stands in for samtranslator's loader, which asks IAM for the ARNs of AWS managed policies.

    The template names no AWS managed policy by bare name, so an empty map is the honest answer.
    """

    def load(self) -> dict[str, str]:
        return {}


def transform_template(
    sam_template: dict[str, Any], parameters: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run the AWS::Serverless transform as CloudFormation would after `sam package`.

    `sam package` replaces each function's local CodeUri with an S3 location; the translator
    refuses anything else, so the same substitution is made here.
    """
    packaged = copy.deepcopy(sam_template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://deployment-bucket/function.zip"
    return transform(packaged, {**DEPLOY_PARAMETERS, **(parameters or {})}, OfflineManagedPolicyLoader())


def role_statements(cfn_template: dict[str, Any], function_logical_id: str) -> list[dict[str, Any]]:
    """Every IAM statement a function's role grants: its inline policies and the stack's own managed ones."""
    resources = cfn_template["Resources"]
    role_ref = resources[function_logical_id]["Properties"]["Role"]
    role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            statements.extend(resources[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"])
    return statements


def aws_managed_policy_arns(cfn_template: dict[str, Any], function_logical_id: str) -> list[str]:
    resources = cfn_template["Resources"]
    role_ref = resources[function_logical_id]["Properties"]["Role"]
    role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
    return [arn for arn in role.get("ManagedPolicyArns", []) if isinstance(arn, str)]


def allowed_actions(statements: list[dict[str, Any]]) -> list[str]:
    """The action patterns of the Allow statements (IAM patterns: `*` and `?` are wildcards)."""
    actions: list[str] = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        action = statement.get("Action", [])
        actions.extend([action] if isinstance(action, str) else action)
    return actions


def grants(statements: list[dict[str, Any]], action: str) -> bool:
    """Whether any Allow statement's action pattern covers `action` (case-insensitive, as IAM is)."""
    return any(
        fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in allowed_actions(statements)
    )
