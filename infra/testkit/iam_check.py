"""Each function's AWS calls, recorded and judged against its own IAM statements, with the ARNs
the call touches and the condition keys it carries.

`recording(policies)` wraps every botocore client's API call (and S3's presigned URLs, which the
admin's browser later spends with the function's credentials) for as long as it is open. A call
is the function's whose handler folder (`functions/api/`, ...) is on the Python stack when it is
made; calls made by a test's own set-up belong to no function and are not judged. Each call is
turned into what IAM authorises it by (`needs`: one action on one resource, or on one of a few
where AWS accepts any, such as SES's address or domain identity) and judged by `allows`, a
minimal evaluator of what the template uses: Allow and Deny (an explicit Deny wins), Action and
NotAction (case-insensitive), Resource and NotResource with `*` and `?`, and the String
condition operators (`...IfExists` too). Anything else in a statement is refused loudly rather
than guessed at.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

from infra.testkit import ACCOUNT
from infra.testkit.iam import FunctionPolicy, Statement

REPO_ROOT = str(Path(__file__).resolve().parents[2]) + os.sep


@dataclass(frozen=True)
class Need:
    """One authorisation a call needs: `action` on any one of `resources`."""

    action: str
    resources: tuple[str, ...]


@dataclass
class Call:
    function: str
    service: str
    operation: str
    needs: list[Need]
    context: dict[str, list[str]]
    denied: list[Need] = field(default_factory=list)

    def __str__(self) -> str:
        lacking = "; ".join(f"{n.action} on {' or '.join(n.resources)}" for n in self.denied)
        return f"{self.function} {self.service}.{self.operation}: lacks {lacking}"


# --- the evaluator ----------------------------------------------------------------------------


def allows(statements: tuple[Statement, ...], need: Need, context: dict[str, list[str]]) -> bool:
    """Whether the statements allow `need`: some Allow matches one of its resources and no Deny
    matches that resource (IAM: an explicit Deny overrides any Allow)."""
    for resource in need.resources:
        matching = [s for s in statements if _matches(s, need.action, resource, context)]
        if any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching):
            return True
    return False


def _matches(statement: Statement, action: str, resource: str, context: dict[str, list[str]]) -> bool:
    unknown = set(statement) - {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
    if unknown or statement.get("Effect") not in ("Allow", "Deny"):
        raise ValueError(f"statement the evaluator cannot judge: {statement}")
    if "Action" in statement:
        action_ok = _any_like(statement["Action"], action, case=False)
    else:
        action_ok = not _any_like(statement["NotAction"], action, case=False)
    if "Resource" in statement:
        resource_ok = _any_like(statement["Resource"], resource, case=True)
    else:
        resource_ok = not _any_like(statement["NotResource"], resource, case=True)
    return action_ok and resource_ok and _conditions_hold(statement.get("Condition", {}), context)


def _any_like(patterns: str | list[str], value: str, *, case: bool) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    if case:
        return any(fnmatch.fnmatchcase(value, p) for p in patterns)
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _conditions_hold(conditions: dict[str, dict[str, Any]], context: dict[str, list[str]]) -> bool:
    for operator, tests in conditions.items():
        base = operator.removesuffix("IfExists")
        if base not in (
            "StringEquals",
            "StringLike",
            "StringNotEquals",
            "StringNotLike",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
        ):
            raise ValueError(f"condition operator the evaluator cannot judge: {operator}")
        for key, expected in tests.items():
            values = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if values is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not all(_string_test(base, value, expected) for value in values):
                return False
    return True


def _string_test(operator: str, value: str, expected: str | list[str]) -> bool:
    options = [expected] if isinstance(expected, str) else expected
    negated = "Not" in operator
    if "Like" in operator:
        hit = any(fnmatch.fnmatchcase(value, o) for o in options)
    elif "IgnoreCase" in operator:
        hit = value.lower() in [o.lower() for o in options]
    else:
        hit = value in options
    return hit != negated


# --- what each call needs ----------------------------------------------------------------------

DYNAMODB_TRANSACT_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
S3_OBJECT_ACTIONS = {
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
}


def needs(
    service: str, operation: str, params: dict[str, Any], region: str
) -> tuple[list[Need], dict[str, list[str]]]:
    """What IAM authorises the call by, and the condition keys it carries."""
    if service == "dynamodb":
        return _dynamodb(operation, params, region), {}
    if service == "sqs":
        name = str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        action = (
            "SendMessage" if operation == "SendMessageBatch" else operation
        )  # IAM has no SendMessageBatch
        return [Need(f"sqs:{action}", (f"arn:aws:sqs:{region}:{ACCOUNT}:{name}",))], {}
    if service == "s3":
        return _s3(operation, params)
    if service == "secretsmanager":
        secret = str(params["SecretId"])
        if not secret.startswith("arn:"):
            raise ValueError(f"secret read by name, not ARN: {secret}: its policy ARN cannot be known")
        return [Need(f"secretsmanager:{operation}", (secret,))], {}
    if service == "sns":
        if operation == "CheckIfPhoneNumberIsOptedOut" or "PhoneNumber" in params:
            return [Need(f"sns:{operation}", ("*",))], {}  # a phone number has no ARN: IAM checks `*`
        return [Need(f"sns:{operation}", (str(params.get("TopicArn") or params["TargetArn"]),))], {}
    if service in ("sesv2", "ses"):
        return _ses(operation, params, region)
    raise ValueError(f"no IAM model for {service}.{operation}: add one to infra/testkit/iam_check.py")


def _table(name: str, region: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def _dynamodb(operation: str, params: dict[str, Any], region: str) -> list[Need]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Need(f"dynamodb:{operation}", (_table(t, region),)) for t in params["RequestItems"]]
    if operation in ("TransactWriteItems", "TransactGetItems"):  # authorised item by item
        found = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            found.append(
                Need(f"dynamodb:{DYNAMODB_TRANSACT_ITEMS[kind]}", (_table(body["TableName"], region),))
            )
        return found
    resource = _table(str(params["TableName"]), region)
    if params.get("IndexName"):
        resource = f"{resource}/index/{params['IndexName']}"
    return [Need(f"dynamodb:{operation}", (resource,))]


def _s3(operation: str, params: dict[str, Any]) -> tuple[list[Need], dict[str, list[str]]]:
    bucket = params["Bucket"]
    if operation in ("ListObjectsV2", "ListObjects"):
        return [Need("s3:ListBucket", (f"arn:aws:s3:::{bucket}",))], {
            "s3:prefix": [str(params.get("Prefix", ""))]
        }
    action = S3_OBJECT_ACTIONS.get(operation, operation)
    return [Need(f"s3:{action}", (f"arn:aws:s3:::{bucket}/{params['Key']}",))], {}


def _ses(operation: str, params: dict[str, Any], region: str) -> tuple[list[Need], dict[str, list[str]]]:
    if operation != "SendEmail":  # the account-level actions (GetAccount, the suppression list)
        return [Need(f"ses:{operation}", ("*",))], {}
    display, address = parseaddr(str(params["FromEmailAddress"]))
    identity = f"arn:aws:ses:{region}:{ACCOUNT}:identity/"
    # SES authorises the send on the identity it sends as: the address if verified, else its domain.
    found = [Need("ses:SendEmail", (identity + address, identity + address.rsplit("@", 1)[-1]))]
    if params.get("ConfigurationSetName"):
        found.append(
            Need(
                "ses:SendEmail",
                (f"arn:aws:ses:{region}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}",),
            )
        )
    destination = params.get("Destination", {})
    recipients = [
        a
        for _, a in getaddresses(
            [
                *destination.get("ToAddresses", []),
                *destination.get("CcAddresses", []),
                *destination.get("BccAddresses", []),
            ]
        )
    ]
    context = {"ses:FromAddress": [address], "ses:Recipients": recipients, "ses:ApiVersion": ["2"]}
    if display:
        context["ses:FromDisplayName"] = [display]
    return found, context


# --- recording ---------------------------------------------------------------------------------


def calling_function(packages: dict[str, str]) -> str | None:
    """The function whose handler folder (in this repository) is on the stack, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(REPO_ROOT):
            for package, function in packages.items():
                if filename.startswith(package, len(REPO_ROOT)):
                    return function
        frame = frame.f_back  # type: ignore[assignment]
    return None


@contextmanager
def recording(policies: dict[str, FunctionPolicy]) -> Iterator[list[Call]]:
    """Every function's calls while open, each judged as it is made (see the module's words)."""
    from botocore import client as botocore_client
    from botocore import signers

    packages = {p.package: name for name, p in policies.items()}
    calls: list[Call] = []

    def judge(function: str, service: str, operation: str, params: dict[str, Any], region: str) -> None:
        found, context = needs(service, operation, params, region)
        call = Call(function, service, operation, found, context)
        call.denied = [n for n in found if not allows(policies[function].statements, n, context)]
        calls.append(call)

    original_call = botocore_client.BaseClient._make_api_call
    original_presign = signers.generate_presigned_url

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = calling_function(packages)
        if function is not None:
            judge(
                function,
                self.meta.service_model.service_name,
                operation_name,
                api_params,
                self.meta.region_name,
            )
        return original_call(self, operation_name, api_params)

    def generate_presigned_url(
        self: Any, ClientMethod: str, Params: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        function = calling_function(packages)
        if function is not None:
            operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
            judge(
                function, self.meta.service_model.service_name, operation, Params or {}, self.meta.region_name
            )
        return original_presign(self, ClientMethod, Params, *args, **kwargs)

    botocore_client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
    signers.generate_presigned_url = generate_presigned_url
    try:
        yield calls
    finally:
        botocore_client.BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        signers.generate_presigned_url = original_presign


def denied(calls: list[Call]) -> list[str]:
    """One line per call a function's policy did not allow, each named once."""
    return sorted({str(call) for call in calls if call.denied})
