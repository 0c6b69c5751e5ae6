"""Each function runs with credentials for its own role, built from template.yaml, and moto's IAM
access control judges every request: a permission a function's policy lacks fails here as
AccessDenied, as it would in AWS. Used by the `aws` fixture (every integration test) and by
`make run IAM=on` (the local stack and the e2e and browser tests).

What moto 5 can enforce, and so what this layer catches (docs/decisions.md has the whole picture):
moto judges the action only, against the resource `*` (S3: the bucket or object), and ignores
conditions. So each role gets its statements with resources widened to `*` and conditions
dropped (a Deny is left out: widened, it would deny the action everywhere); a missing *action*
fails here, a wrong ARN or condition is caught by `infra.testkit.iam_check` instead, which records
every call with the ARNs it touches. moto asks for `dynamodb:TransactWriteItems`, which is not an
IAM action (AWS authorises a transaction item by item): it is granted here, locally only, to
roles holding an item write action.

Roles, as in AWS, are assumed: each trusts the stack's local IAM user (moto cannot assume a role
whose trust names only a service principal), which signs everything that is not a function: the
stack's set-up, the queue pump (Lambda's event source mapping, which in AWS uses the function's
role through an AWS managed policy that cannot be read offline), the tests' own set-up and reads.

Not judged here, because moto's checker cannot: presigned S3 GETs are served unchecked (it reads
only the Authorization header, and crashes); SES v2's bodiless requests (`GetAccount`, the
suppression list's GET and DELETE) have their action judged but not their signature (moto
recomputes it wrongly and answers SignatureDoesNotMatch to any). Both are judged, with their
ARNs, by `infra.testkit.iam_check`.

A call belongs to a function when that function's handler folder (`functions/api/`, ...) is on
the Python stack as the request is signed: the local stack and the tests run every function in
one process, so credentials are chosen per request, not per client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from infra.testkit.iam import FunctionPolicy, Statement
from infra.testkit.iam_check import calling_function

LOCAL_USER = "local-stack"
ITEM_WRITE_ACTIONS = {"dynamodb:putitem", "dynamodb:updateitem", "dynamodb:deleteitem", "dynamodb:*"}
# What the start-up lines of `make run IAM=on` say (CONTRACT.md), and the rest of the line.
ENFORCED_LINE = (
    "permissions: enforced (each function with its own role from template.yaml, actions judged "
    "by moto; unchecked locally: presigned S3 GETs)"
)


def local_statements(statements: tuple[Statement, ...]) -> list[Statement]:
    """A function's statements as moto can judge them: the Allows, resources widened to `*`,
    conditions dropped, and `dynamodb:TransactWriteItems` where item writes are held."""
    allowed: list[Statement] = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if "Action" not in statement:
            raise ValueError(f"a NotAction statement cannot be widened for moto: {statement}")
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        allowed.append({"Effect": "Allow", "Action": list(actions), "Resource": "*"})
    held = {str(action).lower() for s in allowed for action in s["Action"]}
    if held & ITEM_WRITE_ACTIONS:
        allowed.append({"Effect": "Allow", "Action": ["dynamodb:TransactWriteItems"], "Resource": "*"})
    return allowed


def _document(statements: list[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def role_name(function: str) -> str:
    return f"local-{function}Role"


def policy_name(function: str) -> str:
    return f"{function}Policy"


@dataclass(frozen=True)
class Enforcement:
    """Who signs what: each function's assumed-role credentials, and the local user's."""

    user_arn: str
    role_arns: dict[str, str]
    packages: dict[str, str]  # handler folder -> function
    _by_function: dict[str, Any]
    _user: Any

    def credentials_for(self, function: str | None) -> Any:
        """botocore ReadOnlyCredentials: the function's, or the local user's for anything else."""
        return self._by_function.get(function, self._user) if function else self._user


class RoutedCredentials:
    """botocore credentials that answer, at each signing, with the calling function's own."""

    method = "local-stack-roles"
    account_id = None  # as with keys from the environment: botocore asks, and builds no account endpoint

    def __init__(self, enforcement: Enforcement) -> None:
        self._enforcement = enforcement

    def get_deferred_property(self, name: str) -> Any:
        return lambda: getattr(self, name)

    def get_frozen_credentials(self) -> Any:
        return self._enforcement.credentials_for(calling_function(self._enforcement.packages))

    @property
    def access_key(self) -> str:
        return str(self.get_frozen_credentials().access_key)

    @property
    def secret_key(self) -> str:
        return str(self.get_frozen_credentials().secret_key)

    @property
    def token(self) -> str | None:
        return self.get_frozen_credentials().token  # type: ignore[no-any-return]


def _presigned(response: Any) -> bool:
    """A presigned URL's request, which moto's access control cannot read (see the module's words)."""
    if "Authorization" in response.headers:
        return False
    query = parse_qs(urlparse(response.uri).query)
    return "X-Amz-Signature" in query or "Signature" in query


def _signature_misjudged(request: Any) -> bool:
    """SES v2's bodiless requests (GET, DELETE; SES v1 only POSTs), whose signature moto
    recomputes wrongly: their action is still judged."""
    return bool(request._service == "ses" and request._method in ("GET", "DELETE"))


@contextmanager
def enforced(policies: dict[str, FunctionPolicy], region: str) -> Iterator[Enforcement]:
    """Under moto (decorator or in-process server), with its access control still off: create the
    local user and each function's role, turn access control on, assume each role as the user
    (moto checks the trust), and sign every request from now on with the caller's credentials.
    On exit access control is off again and every request signs as before; the user and roles
    stay in moto's state, which ends with the stack."""
    import boto3
    from botocore import session as botocore_session
    from botocore.credentials import ReadOnlyCredentials
    from moto.core.authorization import ActionAuthenticatorMixin, enable_iam_authentication
    from moto.iam.access_control import IAMRequest

    iam = boto3.client("iam", region_name=region)
    user_arn = iam.create_user(UserName=LOCAL_USER)["User"]["Arn"]
    everything = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    iam.put_user_policy(UserName=LOCAL_USER, PolicyName="local-stack", PolicyDocument=_document(everything))
    key = iam.create_access_key(UserName=LOCAL_USER)["AccessKey"]
    user = ReadOnlyCredentials(key["AccessKeyId"], key["SecretAccessKey"], None)
    trust = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": user_arn, "Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    role_arns = {}
    for function, policy in policies.items():
        name = role_name(function)
        role_arns[function] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_document(trust))[
            "Role"
        ]["Arn"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy_name(function),
            PolicyDocument=_document(local_statements(policy.statements)),
        )

    original_check = ActionAuthenticatorMixin._authenticate_and_authorize_action
    original_signature = IAMRequest.check_signature
    original_credentials = botocore_session.Session.get_credentials

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if not _presigned(self):
            original_check(self, iam_request_cls, resource)

    def check_signature(self: Any) -> None:
        if not _signature_misjudged(self):
            original_signature(self)

    with enable_iam_authentication():
        ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]
        IAMRequest.check_signature = check_signature  # type: ignore[method-assign]
        try:
            sts = boto3.client(
                "sts",
                region_name=region,
                aws_access_key_id=user.access_key,
                aws_secret_access_key=user.secret_key,
            )
            by_function = {}
            for function, arn in role_arns.items():
                found = sts.assume_role(RoleArn=arn, RoleSessionName=function, DurationSeconds=43200)
                keys = found["Credentials"]
                by_function[function] = ReadOnlyCredentials(
                    keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
                )
            enforcement = Enforcement(
                user_arn=user_arn,
                role_arns=role_arns,
                packages={p.package: name for name, p in policies.items()},
                _by_function=by_function,
                _user=user,
            )
            routed = RoutedCredentials(enforcement)
            botocore_session.Session.get_credentials = lambda self: routed  # type: ignore[method-assign,assignment,return-value]
            _forget_clients()
            yield enforcement
        finally:
            botocore_session.Session.get_credentials = original_credentials  # type: ignore[method-assign]
            ActionAuthenticatorMixin._authenticate_and_authorize_action = original_check  # type: ignore[method-assign]
            IAMRequest.check_signature = original_signature  # type: ignore[method-assign]
            _forget_clients()


def _forget_clients() -> None:
    """Clients made before (or during) enforcement hold the credentials of their time."""
    import boto3

    from shared import aws, services

    aws.reset_clients()
    services.reset()
    boto3.DEFAULT_SESSION = None
