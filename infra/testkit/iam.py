"""Each function's effective IAM statements, as template.yaml grants them, with the local stack's
names in them.

The template goes through the AWS::Serverless transform (aws-sam-translator, as CloudFormation
runs it), so SAM's policy templates (`DynamoDBCrudPolicy`, `SQSSendMessagePolicy`, ...) arrive
expanded exactly as deployed, in the `AWS::IAM::Role` each function gets. Each role's inline
policies and the stack's own managed policies it names (`!Ref SendEmailPolicy`) are its
statements; their intrinsics (`Ref`, `GetAtt`, `Sub`, `If`, `Split`, `Select`, ...) are resolved
against the physical names and ARNs of a `moto_stack`. `infra.testkit.iam_check` judges the
functions' recorded AWS calls against them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from infra.local.intrinsics import NO_VALUE, UNRESOLVED, Resolver
from infra.testkit import ACCOUNT, REGION

Statement = dict[str, Any]
STACK_NAME = "local"
# AWS managed policies SAM attaches for Lambda's own work (logs, X-Ray traces, polling the SQS
# event source), which our code never calls: they are left out of what a recorded call may use.
RUNTIME_ONLY_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess",
    "AWSLambdaSQSQueueExecutionRole",
}


@dataclass(frozen=True)
class FunctionPolicy:
    """One function's statements, and the code folder its handler lives in (`functions/api/`)."""

    logical_id: str
    package: str
    statements: tuple[Statement, ...]


class _OfflineManagedPolicyLoader:
    """samtranslator asks IAM for AWS managed policies' ARNs by name; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


def transformed(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The template after the AWS::Serverless transform (`sam package`'s S3 CodeUri stood in)."""
    from samtranslator.translator.transform import transform

    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://deployment-bucket/function.zip"
    return transform(packaged, parameters, _OfflineManagedPolicyLoader())  # type: ignore[no-any-return]


@cache
def _raw_policies(
    parameter_items: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, str, tuple[Statement, ...]], ...]:
    """(function, handler folder, unresolved statements) per function; transformed once per process."""
    import os

    from infra.testkit.stack import template

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # samtranslator looks the region up
    cfn = transformed(template(), dict(parameter_items))
    resources = cfn["Resources"]
    found = []
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        handler = str(resource["Properties"]["Handler"])
        package = "/".join(handler.split(".")[:-2]) + "/"  # functions.api.handler.x -> functions/api/
        role = resources[resource["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        statements: list[Statement] = []
        for policy in role.get("Policies", []):
            statements.extend(_as_list(policy["PolicyDocument"]["Statement"]))
        for arn in role.get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and "Ref" in arn:
                document = resources[arn["Ref"]]["Properties"]["PolicyDocument"]
                statements.extend(_as_list(document["Statement"]))
            elif str(arn).rsplit("/", 1)[-1] not in RUNTIME_ONLY_MANAGED_POLICIES:
                raise ValueError(f"{logical}: AWS managed policy {arn!r} cannot be read offline")
        found.append((logical, package, tuple(statements)))
    return tuple(found)


def function_policies(stack: Any, parameters: dict[str, str]) -> dict[str, FunctionPolicy]:
    """Every function's statements, resolved against `stack` (a `moto_stack`'s `Stack`)."""
    from infra.local.resources import parameter_defaults
    from infra.testkit.stack import template

    values = {**parameter_defaults(template()), **parameters}
    raw = _raw_policies(tuple(sorted(values.items())))
    resolver = StackResolver(
        {**values, **pseudo_parameters()},
        template().get("Conditions", {}),
        stack.physical,
        stack.arns,
    )
    policies = {}
    for logical, package, statements in raw:
        # A statement under `Fn::If` (the SMS grant: only with SmsEnabled) drops out when false.
        each = (resolver.resolve(copy.deepcopy(s)) for s in statements)
        resolved = tuple(_checked(s, logical) for s in each if s is not NO_VALUE)
        policies[logical] = FunctionPolicy(logical, package, resolved)
    return policies


def without_action(policy: FunctionPolicy, action: str) -> tuple[FunctionPolicy, int]:
    """`policy` with every statement granting `action` taken out, and how many were: what a test
    does to show that a flow needs that action."""
    kept = tuple(s for s in policy.statements if action not in _as_list(s.get("Action", [])))
    return FunctionPolicy(policy.logical_id, policy.package, kept), len(policy.statements) - len(kept)


def pseudo_parameters() -> dict[str, str]:
    return {
        "AWS::Region": REGION,
        "AWS::Partition": "aws",
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": STACK_NAME,
        "AWS::URLSuffix": "amazonaws.com",
    }


class StackResolver(Resolver):
    """The local stack's resolver, with what IAM statements also use: `Fn::Sub` (both forms),
    `GetAtt Queue.QueueName` and `GetAtt Queue.Arn` (the queue's physical name is its URL)."""

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                if attribute == "QueueName" and logical in self.physical:
                    return self.physical[logical].rsplit("/", 1)[-1]
        return super().resolve(value)

    def _sub(self, text: str, variables: dict[str, Any]) -> Any:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                value = variables[name]
            elif "." in name:
                logical, attribute = name.split(".", 1)
                value = self.resolve({"Fn::GetAtt": [logical, attribute]})
            else:
                value = self.resolve({"Ref": name})
            if value is UNRESOLVED:
                raise KeyError(f"cannot resolve ${{{name}}} in {text!r}")
            return str(value)

        return re.sub(r"\$\{([^}!]+)\}", one, text)


def _checked(statement: Statement, logical: str) -> Statement:
    if "UNRESOLVED" in repr(statement):
        raise KeyError(f"{logical}: a statement refers to what the local stack cannot resolve: {statement}")
    return statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
