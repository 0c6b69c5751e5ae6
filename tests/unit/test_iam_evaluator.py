"""The minimal IAM evaluator the permission checks use (infra/testkit/iam_check.py)."""

from __future__ import annotations

import pytest

from infra.testkit.iam_check import Need, allows, needs

TABLE = "arn:aws:dynamodb:eu-west-2:123456789012:table/local-Table"


def test_actions_match_case_insensitively_with_wildcards_and_resources_exactly():
    statements = ({"Effect": "Allow", "Action": "sqs:SendMessage*", "Resource": "arn:aws:sqs:eu-west-2:1:q"},)
    assert allows(statements, Need("SQS:sendmessage", ("arn:aws:sqs:eu-west-2:1:q",)), {})
    assert not allows(statements, Need("sqs:SendMessage", ("arn:aws:sqs:eu-west-2:1:other",)), {})
    assert not allows(statements, Need("sqs:DeleteMessage", ("arn:aws:sqs:eu-west-2:1:q",)), {})


def test_an_index_is_not_its_table_and_a_deny_wins():
    statements = (
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": TABLE},
        {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["dynamodb:Scan"], "Resource": "*"},
    )
    assert allows(statements[:1], Need("dynamodb:Query", (TABLE,)), {})
    assert not allows(statements[:1], Need("dynamodb:Query", (TABLE + "/index/ByEmail",)), {})
    assert allows(statements, Need("dynamodb:Query", (TABLE + "/index/ByEmail",)), {})
    assert not allows(statements, Need("dynamodb:Scan", (TABLE,)), {})


def test_ses_sending_conditions_on_the_from_address():
    statements = (
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": "*",
            "Condition": {"StringEquals": {"ses:FromAddress": "events@example.org"}},
        },
    )
    found, context = needs(
        "sesv2",
        "SendEmail",
        {
            "FromEmailAddress": "Conversations <events@example.org>",
            "Destination": {"ToAddresses": ["ada@example.org"]},
        },
        "eu-west-2",
    )
    assert context["ses:FromAddress"] == ["events@example.org"]
    assert all(allows(statements, need, context) for need in found)
    _, other = needs(
        "sesv2", "SendEmail", {"FromEmailAddress": "x@example.org", "Destination": {}}, "eu-west-2"
    )
    assert not allows(statements, found[0], other)


def test_a_transaction_needs_each_items_own_action():
    found, _ = needs(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "local-Table", "Item": {}}},
                {"ConditionCheck": {"TableName": "local-Table", "Key": {}}},
            ]
        },
        "eu-west-2",
    )
    assert [n.action for n in found] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]


def test_what_the_evaluator_cannot_judge_is_refused():
    with pytest.raises(ValueError, match="NumericLessThan"):
        allows(
            (
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NumericLessThan": {"x": "1"}},
                },
            ),
            Need("s3:GetObject", ("*",)),
            {"x": ["0"]},
        )
    with pytest.raises(ValueError, match="no IAM model"):
        needs("lambda", "Invoke", {}, "eu-west-2")
