"""Helpers for the offline checks of template.yaml (shared by the tests in this folder)."""

from __future__ import annotations

import copy
import fnmatch
import re
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


def role_statements(
    cfn_template: dict[str, Any], function_logical_id: str, parameters: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every IAM statement a function's role grants: its inline policies and the stack's own managed
    ones. A statement under `Fn::If` is the branch its condition takes with the parameters' defaults
    (and `parameters`), and is left out on `AWS::NoValue`."""
    resources = cfn_template["Resources"]
    role_ref = resources[function_logical_id]["Properties"]["Role"]
    role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            statements.extend(resources[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"])
    return [chosen for s in statements if (chosen := _branch(cfn_template, s, parameters or {})) is not None]


def _branch(cfn_template: dict[str, Any], statement: dict[str, Any], parameters: dict[str, str]) -> Any:
    if set(statement) != {"Fn::If"}:
        return statement
    from infra.local.intrinsics import Resolver

    values = {name: str(spec.get("Default", "")) for name, spec in cfn_template.get("Parameters", {}).items()}
    resolver = Resolver({**values, **DEPLOY_PARAMETERS, **parameters}, cfn_template.get("Conditions", {}))
    name, when_true, when_false = statement["Fn::If"]
    chosen = when_true if resolver.condition(name) else when_false
    return None if chosen == {"Ref": "AWS::NoValue"} else chosen


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


# --- Evaluating the template's intrinsics for given parameter values ----------------------------

PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "conversations",
    "AWS::URLSuffix": "amazonaws.com",
}


class Unresolved(str):
    """What a reference to a resource stands for: its logical id, marked, so tests can compare it."""

    def __new__(cls, logical_id: str) -> Unresolved:
        return super().__new__(cls, f"<{logical_id}>")


def parameter_values(sam_template: dict[str, Any], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Every parameter's value as CloudFormation would see it: defaults, deploy answers, overrides."""
    values = {
        name: str(spec["Default"])
        for name, spec in sam_template.get("Parameters", {}).items()
        if "Default" in spec
    }
    return {**values, **DEPLOY_PARAMETERS, **(overrides or {}), **PSEUDO_PARAMETERS}


def evaluate(value: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """Resolve Ref, Fn::Sub, Fn::Select, Fn::Split, Fn::Join, Fn::If and conditions.

    A Ref or GetAtt of a resource becomes `Unresolved("<LogicalId>")` (`<LogicalId.Attribute>`),
    which is enough to see which resource a value names.
    """

    def condition(name: str) -> bool:
        return bool(resolve(template["Conditions"][name]))

    def ref(name: str) -> str:
        if name in parameters:
            return parameters[name]
        if name in template.get("Resources", {}):
            return Unresolved(name)
        raise KeyError(f"unknown reference {name}")

    def substitute(text: str, names: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in names:
                return str(names[name])
            if "." in name:
                return Unresolved(name)
            return ref(name)

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return Unresolved(f"{logical}.{attribute}")
            if key == "Condition":
                return condition(arg)
            if key == "Fn::If":
                name, when_true, when_false = arg
                return resolve(when_true if condition(name) else when_false)
            if key == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else (arg[0], resolve(arg[1]))
                return substitute(text, names)
            if key == "Fn::Select":
                index, items = resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = resolve(arg)
                return str(text).split(separator)
            if key == "Fn::Join":
                separator, items = resolve(arg)
                return str(separator).join(str(item) for item in items)
            if key == "Fn::Equals":
                left, right = resolve(arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not resolve(arg)[0]
            if key == "Fn::And":
                return all(resolve(arg))
            if key == "Fn::Or":
                return any(resolve(arg))
        return {key: resolve(item) for key, item in node.items()}

    return resolve(value)


def cron_fields(expression: str) -> list[str]:
    """`cron(00 07 * * ? *)` -> ["0", "7", "*", "*", "?", "*"]: numbers as the scheduler reads them."""
    match = re.fullmatch(r"cron\((.+)\)", expression)
    assert match, f"not a cron expression: {expression!r}"
    return [str(int(field)) if field.isdigit() else field for field in match.group(1).split()]


def event_pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's exact-value matching: every pattern key present, some value listed in it."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not event_pattern_matches(expected, value):
                return False
            continue
        assert all(isinstance(item, str) for item in expected), f"only exact values are checked: {expected}"
        values = value if isinstance(value, list) else [value]
        if not any(item in expected for item in values):
            return False
    return True
