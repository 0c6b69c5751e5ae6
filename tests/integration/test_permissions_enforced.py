"""Each function runs with credentials for its own role, under moto's IAM access control (issue 10
point 2): what `infra.testkit.permissions` does for every integration test (the `aws` fixture)
and for `make run IAM=on`. These tests show the enforcement itself: that it refuses, whom it
signs as, and what the local statements are."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.testkit import PARAMETERS, REGION
from infra.testkit.iam import function_policies, without_action
from infra.testkit.permissions import LOCAL_USER, enforced, local_statements, policy_name, role_name
from infra.testkit.stack import moto_stack
from tests.integration.helpers import create_event, sign_up


def _access_keys_seen() -> tuple[list[str], Any]:
    """Each request's access key id, as signed, in order (botocore's `before-send` event)."""
    seen: list[str] = []

    def before_send(request: Any, **_: Any) -> None:
        authorization = request.headers.get("Authorization", b"")
        if isinstance(authorization, bytes):
            authorization = authorization.decode()
        seen.append(authorization.split("Credential=", 1)[1].split("/", 1)[0])

    return seen, before_send


def test_without_an_action_its_role_lacks_the_flow_fails_as_in_aws(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        policies = function_policies(stack, PARAMETERS)
        api = policies["ApiFunction"]
        policies["ApiFunction"], removed = without_action(api, "secretsmanager:GetSecretValue")
        assert removed == 2
        with enforced(policies, REGION):
            event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
            refused = sign_up([event_id])
            # The template's own statements put back on the role: the same sign-up goes through.
            boto3.client("iam", region_name=REGION).put_role_policy(
                RoleName=role_name("ApiFunction"),
                PolicyName=policy_name("ApiFunction"),
                PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": local_statements(api.statements)}
                ),
            )
            accepted = sign_up([event_id])

    assert refused.status == 503, refused.body  # the secret could not be read: "try again shortly"
    assert refused.json()["error"]["code"] == "unavailable"
    assert accepted.status == 201, accepted.body  # the same sign-up, with the template's own policy


def test_each_handler_signs_with_its_own_role_and_everything_else_as_the_local_user(monkeypatch):
    with (
        moto_stack(monkeypatch) as stack,
        enforced(function_policies(stack, PARAMETERS), REGION) as enforcement,
    ):
        keys = {
            function: enforcement.credentials_for(function).access_key for function in enforcement.role_arns
        }
        user_key = enforcement.credentials_for(None).access_key
        seen, before_send = _access_keys_seen()
        boto3.DEFAULT_SESSION = None
        session = boto3.session.Session()
        session.events.register("before-send", before_send)
        # The test's own call, outside any handler.
        session.client("dynamodb", region_name=REGION).describe_table(TableName=stack.physical["Table"])
        assert seen == [user_key]

        # The handlers' calls: shared.aws builds its clients from fresh sessions, so listen on botocore's.
        import botocore.session

        original_create_client = botocore.session.Session.create_client

        def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = original_create_client(self, *args, **kwargs)
            client.meta.events.register("before-send", before_send)
            return client

        monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
        seen.clear()
        event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
        admin_calls = list(seen)
        seen.clear()
        assert sign_up([event_id]).status == 201
        api_calls = list(seen)

        identity = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=user_key,
            aws_secret_access_key=enforcement.credentials_for(None).secret_key,
        ).get_caller_identity()

    assert admin_calls and set(admin_calls) == {keys["AdminFunction"]}
    assert api_calls and set(api_calls) == {keys["ApiFunction"]}
    assert len(set(keys.values())) == len(keys) == 5  # five functions, five roles, five sessions
    assert identity["Arn"].endswith(f":user/{LOCAL_USER}")


def test_the_roles_trust_only_the_local_user(monkeypatch):
    with (
        moto_stack(monkeypatch) as stack,
        enforced(function_policies(stack, PARAMETERS), REGION) as enforcement,
    ):
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="someone-else")
        key = iam.create_access_key(UserName="someone-else")["AccessKey"]
        iam.put_user_policy(
            UserName="someone-else",
            PolicyName="assume-anything",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
            ),
        )
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as refused:
            sts.assume_role(RoleArn=enforcement.role_arns["AdminFunction"], RoleSessionName="intruder")
        unknown = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        with pytest.raises(ClientError) as unsigned:
            unknown.list_tables()

    assert "AccessDenied" in str(refused.value)
    assert "InvalidClientTokenId" in str(unsigned.value) or "403" in str(unsigned.value)


def test_local_statements_widen_resources_drop_conditions_and_denies_and_grant_transactions():
    statements = (
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": "arn:aws:dynamodb:t",
        },
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "arn:aws:ses:identity/*",
            "Condition": {"StringEquals": {"ses:FromAddress": "events@example.org"}},
        },
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"},
    )
    local = local_statements(statements)
    assert local == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["dynamodb:TransactWriteItems"], "Resource": "*"},
    ]
    readers = local_statements(({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "x"},))
    assert readers == [{"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": "*"}]
    with pytest.raises(ValueError, match="NotAction"):
        local_statements(({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},))
