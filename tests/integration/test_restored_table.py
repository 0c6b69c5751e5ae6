"""After a point-in-time restore, RestoredTableName points every function at the restored table
(docs/deploy.md, "Backup and restore"): sign-ups, admin actions and sends land there, each under
its own role with its calls judged against the template's statements as deployed with the
parameter set; the stack's own table is left untouched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.resources import create_table
from infra.testkit import ACCOUNT, PARAMETERS, REGION
from infra.testkit.api import invoke_admin
from infra.testkit.iam import function_policies
from infra.testkit.morning import pump
from infra.testkit.stack import template
from tests.conftest import judged_stack
from tests.integration.helpers import create_event, sign_up

RESTORED = "conversations-restored-20261125"
RESTORED_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{RESTORED}"
WITH_RESTORED = {**PARAMETERS, "RestoredTableName": RESTORED}


def _restore(stack: Any) -> None:
    """What the runbook leaves: a table with Table's keys and indexes, TTL set on it again."""
    create_table(template()["Resources"]["Table"]["Properties"], RESTORED, REGION)


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with judged_stack(monkeypatch, WITH_RESTORED, prepare=_restore) as stack:
        yield stack


def _items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]


def test_the_functions_are_given_the_restored_table_and_their_statements_name_only_it(restored):
    assert os.environ["TABLE_NAME"] == RESTORED

    own = restored.arns["Table"]
    for function, policy in function_policies(restored, WITH_RESTORED).items():
        named = {
            resource
            for statement in policy.statements
            if any(str(action).startswith("dynamodb:") for action in statement["Action"])
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
        }
        assert RESTORED_ARN in named, function
        assert named <= {RESTORED_ARN, RESTORED_ARN + "/index/*"}, (function, named)
        assert own not in repr(policy.statements), function


def test_a_sign_up_and_the_admin_actions_land_in_the_restored_table(restored):
    event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
    assert sign_up([event_id]).status == 201
    pump(restored)  # the confirmation email: SenderFunction reads the restored table too

    answer = invoke_admin({"action": "get_event", "event_id": event_id})
    assert answer["event"]["counts"]["registered"] == 1
    assert [e["id"] for e in invoke_admin({"action": "list_events"})["events"]] == [event_id]
    keys = {(item["PK"]["S"].split("#")[0], item["SK"]["S"].split("#")[0]) for item in _items(RESTORED)}
    assert ("EVENT", "EVENT") in keys  # the admin's create_event
    assert ("PERSON", "PROFILE") in keys  # the sign-up's person
    assert _items(restored.physical["Table"]) == []  # the stack's own table: retained, unused


def test_with_the_default_the_stacks_own_table_is_used(aws):
    event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")

    assert os.environ["TABLE_NAME"] == aws.physical["Table"]
    assert any(event_id in item["PK"]["S"] for item in _items(aws.physical["Table"]))
