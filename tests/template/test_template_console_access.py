"""The account's monthly budget, and what a volunteer admin may do (CONTRACT.md "Deploying")."""

from __future__ import annotations

import fnmatch
from typing import Any

from tests.template.template_support import evaluate, parameter_values

ACCOUNT = "arn:aws:{service}:eu-west-2:123456789012"

# Everything the volunteer admin's policy allows, and nothing beyond it.
VOLUNTEER_ACTIONS = {
    "lambda:InvokeFunction",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "schemas:CreateRegistry",
    "schemas:DescribeRegistry",
    "schemas:CreateSchema",
    "schemas:DescribeSchema",
    "schemas:UpdateSchema",
    "schemas:ListSchemaVersions",
    "cloudwatch:GetDashboard",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StopQuery",
    "logs:DescribeQueries",
    "s3:GetObject",
    "s3:ListBucket",
}
# The Service Authorization Reference gives these no resource type: IAM grants them only on "*".
WITHOUT_RESOURCE_TYPE = {
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "logs:GetQueryResults",
    "logs:StopQuery",
    "logs:DescribeQueries",
}


def volunteer_statements(sam_template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = sam_template["Resources"]["VolunteerAdminPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    statements = evaluate(
        policy["Properties"]["PolicyDocument"]["Statement"], sam_template, parameter_values(sam_template)
    )
    assert all(statement["Effect"] == "Allow" for statement in statements)
    return [
        {
            **statement,
            "Action": [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"],
            "Resource": [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"],
        }
        for statement in statements
    ]


def allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """IAM's answer for Allow statements without conditions (`*` and `?` are wildcards)."""
    return any(
        action in statement["Action"]
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement["Resource"])
        for statement in statements
        if "Condition" not in statement
    )


def test_the_volunteer_admin_gets_named_actions_only_and_star_only_where_iam_requires_it(
    sam_template: dict[str, Any],
) -> None:
    statements = volunteer_statements(sam_template)

    actions = {action for statement in statements for action in statement["Action"]}
    assert actions == VOLUNTEER_ACTIONS
    for statement in statements:
        if "*" in statement["Resource"]:
            assert statement["Resource"] == ["*"] and set(statement["Action"]) <= WITHOUT_RESOURCE_TYPE


def test_the_volunteer_admin_runs_admin_actions_and_nothing_else_in_lambda(
    sam_template: dict[str, Any],
) -> None:
    statements = volunteer_statements(sam_template)

    # (a function's ARN stands here for the resource it names: `<AdminFunction.Arn>`)
    assert allows(statements, "lambda:InvokeFunction", "<AdminFunction.Arn>")
    assert allows(statements, "lambda:GetFunction", "<AdminFunction.Arn>")
    for other in ("ApiFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction"):
        assert not allows(statements, "lambda:InvokeFunction", f"<{other}.Arn>"), other
        assert not allows(statements, "lambda:GetFunction", f"<{other}.Arn>"), other
    # Shareable test events: AdminFunction's schema in the Lambda console's registry, no other.
    schemas = ACCOUNT.format(service="schemas")
    assert allows(
        statements,
        "schemas:UpdateSchema",
        f"{schemas}:schema/lambda-testevent-schemas/_<AdminFunction>-schema",
    )
    assert not allows(
        statements, "schemas:UpdateSchema", f"{schemas}:schema/lambda-testevent-schemas/_<ApiFunction>-schema"
    )


def test_the_volunteer_admin_reads_this_stacks_logs_dashboard_and_exports_only(
    sam_template: dict[str, Any],
) -> None:
    statements = volunteer_statements(sam_template)
    logs = ACCOUNT.format(service="logs") + ":log-group:"

    for group in ("/aws/lambda/conversations/AdminFunction", "/aws/http-api/conversations/access"):
        for arn in (f"{logs}{group}", f"{logs}{group}:*"):
            assert allows(statements, "logs:FilterLogEvents", arn), arn
            assert allows(statements, "logs:StartQuery", arn), arn
    assert not allows(statements, "logs:FilterLogEvents", f"{logs}/aws/lambda/another-stack/Function:*")
    assert allows(
        statements, "cloudwatch:GetDashboard", "arn:aws:cloudwatch::123456789012:dashboard/<Dashboard>"
    )
    assert not allows(
        statements, "cloudwatch:GetDashboard", "arn:aws:cloudwatch::123456789012:dashboard/other"
    )
    assert allows(statements, "s3:GetObject", "<ExportBucket.Arn>/exports/registrations.csv")
    assert allows(statements, "s3:ListBucket", "<ExportBucket.Arn>")
    assert not allows(statements, "s3:GetObject", "arn:aws:s3:::another-bucket/file.csv")
    # No data, secrets, email, identity or deploy rights of any kind.
    for statement in statements:
        for action in statement["Action"]:
            assert action.split(":")[0] in {"lambda", "schemas", "cloudwatch", "logs", "s3"}, action
            assert "*" not in action, action


def test_a_monthly_cost_budget_alerts_the_alarm_topic(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    budget = evaluate(resources["MonthlyBudget"]["Properties"], sam_template, parameter_values(sam_template))

    assert sam_template["Parameters"]["MonthlyBudgetUsd"]["Default"] == 10
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    assert budget["Budget"]["BudgetType"] == "COST"
    assert budget["Budget"]["BudgetLimit"] == {"Amount": "10", "Unit": "USD"}
    notifications = budget["NotificationsWithSubscribers"]
    assert {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications
    } == {
        ("ACTUAL", 80),
        ("FORECASTED", 100),
    }
    for notification in notifications:
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": "<AlarmTopic>"}]
    # The topic lets Budgets of this account publish (AlertEmail's subscription emails it on).
    topic_policy = resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (budgets,) = [s for s in topic_policy if s["Principal"] == {"Service": "budgets.amazonaws.com"}]
    assert budgets["Action"] == "sns:Publish" and budgets["Resource"] == {"Ref": "AlarmTopic"}
    assert budgets["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert resources["MonthlyBudget"]["DependsOn"] == "AlarmTopicPolicy"
