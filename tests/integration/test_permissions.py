"""Each function's AWS calls judged against its own statements in template.yaml (issue 10 point 2).

The `aws` fixture judges every integration test this way; these tests show the judging itself:
that a handler's calls are seen, attributed to the right function with the ARNs they touch, and
that a statement taken out of a policy makes the same flow fail, naming what was lacking."""

from __future__ import annotations

import dataclasses

from infra.testkit import PARAMETERS
from infra.testkit.iam import function_policies, without_action
from infra.testkit.iam_check import denied, recording
from infra.testkit.stack import moto_stack
from tests.integration.helpers import create_event, sign_up


def test_a_sign_up_is_seen_as_the_admin_and_api_functions_calls_with_their_arns(monkeypatch):
    with moto_stack(monkeypatch) as stack, recording(function_policies(stack, PARAMETERS)) as calls:
        event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
        assert sign_up([event_id]).status == 201

    table = stack.arns["Table"]
    seen = {(c.function, n.action, n.resources[0]) for c in calls for n in c.needs}
    assert ("AdminFunction", "dynamodb:PutItem", table) in seen
    assert ("ApiFunction", "dynamodb:PutItem", table) in seen  # an item of the sign-up's transaction
    assert ("ApiFunction", "secretsmanager:GetSecretValue", stack.arns["TokenSecret"]) in seen
    sends = [c for c in calls if c.function == "ApiFunction" and c.operation == "SendEmail"]
    assert sends and sends[0].context["ses:FromAddress"] == ["events@example.org"]
    assert denied(calls) == []


def test_a_statement_taken_out_of_a_policy_fails_the_flow_that_needed_it(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        policies = function_policies(stack, PARAMETERS)
        api = policies["ApiFunction"]
        policies["ApiFunction"], removed = without_action(api, "secretsmanager:GetSecretValue")
        assert removed == 2
        with recording(policies) as calls:
            event_id = create_event("Co-production in a Digital World", "2026-12-09T14:00:00")
            sign_up([event_id])

    lacking = denied(calls)
    assert any(
        line.startswith(
            "ApiFunction secretsmanager.GetSecretValue: lacks secretsmanager:GetSecretValue on arn:"
        )
        for line in lacking
    ), lacking
    assert not any(line.startswith("AdminFunction") for line in lacking)


def test_a_policy_scoped_to_another_table_does_not_cover_this_one(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        policies = function_policies(stack, PARAMETERS)
        admin = policies["AdminFunction"]
        other = stack.arns["Table"] + "-other"
        moved = tuple(
            {**s, "Resource": [other, other + "/index/*"]} if s["Action"][0].startswith("dynamodb:") else s
            for s in admin.statements
        )
        policies["AdminFunction"] = dataclasses.replace(admin, statements=moved)
        with recording(policies) as calls:
            create_event("Co-production in a Digital World", "2026-12-09T14:00:00")

    assert any(line.startswith("AdminFunction dynamodb.") for line in denied(calls))
