"""Knowing when something is wrong, and the admins' exports, in template.yaml.

The dashboard, the alarms, the admins' notices topic and the export bucket, checked on the
template as SAM transforms it, with intrinsics evaluated for the default parameters. The metric
names on the dashboard are checked against what the functions' code emits (read as text, not
imported), so a renamed metric cannot leave an empty graph behind.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from tests.template.template_support import (
    REPO_ROOT,
    allowed_actions,
    evaluate,
    grants,
    parameter_values,
    role_statements,
)

FUNCTIONS = ("ApiFunction", "AdminFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction")
QUEUES = (
    "OutboundQueue",
    "OutboundDeadLetterQueue",
    "DispatchScheduleDeadLetterQueue",
    "DispatchFailedQueue",
    "SesEventsDeadLetterQueue",
)
# What issue 4 asks each function to count (service dimension, metric name).
REQUIRED_METRICS = {
    ("api", "SignUps"),
    ("api", "SignUpsRefused"),
    ("api", "EmailsSent"),
    ("api", "EmailsQueued"),
    ("api", "LinksOpened"),
    ("sender", "JoinLinksSent"),
    ("sender", "EmailsSent"),
    ("sender", "EmailsFailed"),
    ("sender", "SendingStopped"),
    ("dispatch", "DispatchRunCompleted"),
    ("dispatch", "MorningSendLate"),
}
S3_EXPORT_ACTIONS = {"s3:putobject", "s3:getobject", "s3:deleteobject", "s3:listbucket"}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def metrics_namespace(sam_template: dict[str, Any]) -> str:
    return str(
        sam_template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    )


def _values(node: ast.expr) -> set[str]:
    """The strings an expression can be: a literal, or either branch of `a if ... else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body) | _values(node.orelse)
    return set()


def _metric_names(argument: ast.expr, assigned: dict[str, set[str]]) -> set[str]:
    """The names an `add_metric(name=...)` argument can take: a literal, or an f-string whose
    placeholders are variables assigned string literals in the same module."""
    if _values(argument):
        return _values(argument)
    assert isinstance(argument, ast.JoinedStr), f"metric name the test cannot read: {ast.unparse(argument)}"
    names = {""}
    for part in argument.values:
        if isinstance(part, ast.Constant):
            options = {str(part.value)}
        else:
            assert isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name), ast.unparse(
                part
            )
            options = assigned.get(part.value.id, set())
            assert options, f"metric name part the test cannot read: {ast.unparse(part)}"
        names = {name + option for name in names for option in options}
    return names


def _metric_argument(call: ast.Call) -> ast.expr:
    """The name argument of `metrics.add_metric(name=...)` or of `count(metrics, name, ...)`."""
    if isinstance(call.func, ast.Name):
        return call.args[1]
    (argument,) = [k.value for k in call.keywords if k.arg == "name"] or call.args[:1]
    return argument


def emitted_metrics() -> set[tuple[str, str]]:
    """(service, metric) for every `add_metric(name=...)` and `count(metrics, name)` in
    functions/ and shared/, the service being the one given to `Metrics(service=...)` or
    `metrics_for(...)` in the same module (read, not imported)."""
    found: set[tuple[str, str]] = set()
    for path in sorted([*REPO_ROOT.glob("functions/**/*.py"), *REPO_ROOT.glob("shared/**/*.py")]):
        if path == REPO_ROOT / "shared" / "observability.py":
            continue  # `count` itself: it adds whatever name its callers give it
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        added = [
            c
            for c in calls
            if (isinstance(c.func, ast.Attribute) and c.func.attr == "add_metric")
            or (isinstance(c.func, ast.Name) and c.func.id == "count" and len(c.args) >= 2)
        ]
        if not added:
            continue
        services = {
            keyword.value.value
            for call in calls
            if isinstance(call.func, ast.Name) and call.func.id == "Metrics"
            for keyword in call.keywords
            if keyword.arg == "service" and isinstance(keyword.value, ast.Constant)
        } | {
            call.args[0].value
            for call in calls
            if isinstance(call.func, ast.Name)
            and call.func.id == "metrics_for"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        }
        where = path.relative_to(REPO_ROOT)
        assert len(services) == 1, f"{where}: add_metric without one Metrics(service=...)"
        (service,) = services
        assigned: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, set()).update(_values(node.value))
        for call in added:
            found.update((service, name) for name in _metric_names(_metric_argument(call), assigned))
    return found


def dashboard_body(sam_template: dict[str, Any], cfn_template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = resources_of_type(cfn_template, "AWS::CloudWatch::Dashboard").values()
    text = evaluate(dashboard["Properties"]["DashboardBody"], cfn_template, parameter_values(sam_template))
    body: dict[str, Any] = json.loads(text)
    return body


def dashboard_metric_rows(body: dict[str, Any]) -> list[list[Any]]:
    """Every metric row of every metric widget, without its trailing options object."""
    rows = []
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            for row in widget["properties"]["metrics"]:
                rows.append([item for item in row if not isinstance(item, dict)])
    return rows


def dashboard_custom_metrics(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> set[tuple[str, str]]:
    namespace = metrics_namespace(sam_template)
    found = set()
    for row in dashboard_metric_rows(dashboard_body(sam_template, cfn_template)):
        if row[0] == namespace:
            # [namespace, name, "service", <service>]: the one dimension Powertools writes.
            assert row[2:] and row[2] == "service" and len(row) == 4, row
            found.add((row[3], row[1]))
    return found


# --- Export bucket ----------------------------------------------------------------------------


def test_export_bucket_is_private_encrypted_and_kept_when_the_stack_goes(
    sam_template: dict[str, Any],
) -> None:
    bucket = sam_template["Resources"]["ExportBucket"]
    properties = bucket["Properties"]
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]

    assert bucket["Type"] == "AWS::S3::Bucket"
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # SSE-S3: what the admin code passes as ServerSideEncryption, and what presigned links can read.
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    # A generated name: two stacks never collide, and no name to guess.
    assert "BucketName" not in properties


def test_exports_expire_after_30_days_and_leave_no_old_versions(sam_template: dict[str, Any]) -> None:
    properties = sam_template["Resources"]["ExportBucket"]["Properties"]
    (rule,) = properties["LifecycleConfiguration"]["Rules"]

    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 30
    assert "Prefix" not in rule and "Filter" not in rule  # every object
    # No versioning, so a delete (forget_person) or the expiry really removes an export; should
    # versioning be turned on by hand, old versions still go the next day.
    assert properties.get("VersioningConfiguration", {}).get("Status") != "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_export_bucket_refuses_every_request_without_tls(cfn_template: dict[str, Any]) -> None:
    (policy,) = [
        p["Properties"]
        for p in resources_of_type(cfn_template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "ExportBucket"}
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]

    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["ExportBucket", "Arn"]},
        {"Fn::Sub": "${ExportBucket.Arn}/*"},
    ]


def test_admin_function_finds_the_export_bucket_and_may_use_only_it(cfn_template: dict[str, Any]) -> None:
    variables = cfn_template["Resources"]["AdminFunction"]["Properties"]["Environment"]["Variables"]
    statements = role_statements(cfn_template, "AdminFunction")
    s3_statements = [s for s in statements if any(a.lower().startswith("s3:") for a in allowed_actions([s]))]

    assert variables["EXPORT_BUCKET"] == {"Ref": "ExportBucket"}
    assert {a.lower() for a in allowed_actions(s3_statements)} == S3_EXPORT_ACTIONS
    for statement in s3_statements:
        actions = {a.lower() for a in allowed_actions([statement])}
        if actions == {"s3:listbucket"}:
            assert statement["Resource"] == {"Fn::GetAtt": ["ExportBucket", "Arn"]}
        else:
            assert "s3:listbucket" not in actions
            assert statement["Resource"] == {"Fn::Sub": "${ExportBucket.Arn}/*"}


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if f != "AdminFunction"])
def test_no_other_function_may_touch_the_exports(cfn_template: dict[str, Any], function: str) -> None:
    statements = role_statements(cfn_template, function)

    assert not any(a.lower().startswith("s3:") for a in allowed_actions(statements)), function
    assert (
        "EXPORT_BUCKET" not in cfn_template["Resources"][function]["Properties"]["Environment"]["Variables"]
    )


def test_admin_function_may_manage_the_ses_suppression_list(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "AdminFunction")

    for action in ("ses:GetSuppressedDestination", "ses:DeleteSuppressedDestination"):
        assert grants(statements, action), action
    # It reads and lifts entries, never adds one (SES adds them itself, on bounces and complaints).
    assert not grants(statements, "ses:PutSuppressedDestination")
    # Not the whole account's SES settings.
    assert not grants(statements, "ses:PutAccountSuppressionAttributes")
    assert not grants(statements, "ses:DeleteEmailIdentity")


# --- Admins' notices --------------------------------------------------------------------------


# ApiFunction publishes the single notices of late sign-ups, DispatchFunction the morning digest.
NOTICE_PUBLISHERS = ("ApiFunction", "DispatchFunction")


@pytest.mark.parametrize("function", NOTICE_PUBLISHERS)
def test_only_the_notice_publishers_may_publish_and_only_to_the_notices_topic(
    cfn_template: dict[str, Any], function: str
) -> None:
    variables = cfn_template["Resources"][function]["Properties"]["Environment"]["Variables"]
    statements = role_statements(cfn_template, function)
    sns_statements = [
        s for s in statements if any(a.lower().startswith("sns:") for a in allowed_actions([s]))
    ]

    assert variables["ADMIN_NOTICES_TOPIC_ARN"] == {"Ref": "AdminNoticesTopic"}
    assert len(sns_statements) == 1
    assert allowed_actions(sns_statements) == ["sns:Publish"]
    assert sns_statements[0]["Resource"] == {"Ref": "AdminNoticesTopic"}
    for other in FUNCTIONS:
        if other not in NOTICE_PUBLISHERS:
            assert not grants(role_statements(cfn_template, other), "sns:Publish"), other


def test_admin_notices_go_to_notices_email_else_to_the_alert_email(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    resources = cfn_template["Resources"]
    subscriptions = [
        s
        for s in resources_of_type(cfn_template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "AdminNoticesTopic"}
    ]

    assert resources["AdminNoticesTopic"]["Type"] == "AWS::SNS::Topic"
    (subscription,) = subscriptions
    assert subscription["Condition"] == "HasNoticesAddress"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {
        "Fn::If": ["HasNoticesEmail", {"Ref": "NoticesEmail"}, {"Ref": "AlertEmail"}]
    }
    conditions = cfn_template["Conditions"]
    assert conditions["HasNoticesAddress"] == {
        "Fn::Or": [{"Condition": "HasNoticesEmail"}, {"Condition": "HasAlertEmail"}]
    }
    assert conditions["HasNoticesEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "NoticesEmail"}, ""]}]}
    parameter = sam_template["Parameters"]["NoticesEmail"]
    assert parameter["Default"] == ""
    assert parameter["AllowedPattern"] == sam_template["Parameters"]["AlertEmail"]["AllowedPattern"]
    assert "AlertEmail" in parameter["Description"]
    # Alarms and notices never mix.
    for alarm in resources_of_type(cfn_template, "AWS::CloudWatch::Alarm").values():
        assert {"Ref": "AdminNoticesTopic"} not in alarm["Properties"].get("AlarmActions", [])


# --- Dashboard --------------------------------------------------------------------------------


def test_dashboard_body_is_json_once_substituted_and_refers_to_real_resources(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    (dashboard,) = resources_of_type(cfn_template, "AWS::CloudWatch::Dashboard").values()
    source = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    body = dashboard_body(sam_template, cfn_template)

    assert isinstance(source, str)
    for name in re.findall(r"\$\{([^}]+)\}", source):
        logical = name.split(".")[0]
        assert logical.startswith("AWS::") or logical in cfn_template["Resources"], name
    assert body["widgets"]
    for widget in body["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(widget)
        assert widget["x"] + widget["width"] <= 24
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "eu-west-2"
            assert widget["properties"]["metrics"]


def test_dashboard_shows_every_metric_the_code_emits_and_only_those(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    shown = dashboard_custom_metrics(sam_template, cfn_template)
    emitted = emitted_metrics()

    assert emitted <= shown, f"emitted but not on the dashboard: {sorted(emitted - shown)}"
    assert shown <= emitted, f"on the dashboard, emitted nowhere: {sorted(shown - emitted)}"
    assert shown >= REQUIRED_METRICS


def test_dashboard_shows_the_api_the_functions_the_queues_and_ses(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    rows = dashboard_metric_rows(dashboard_body(sam_template, cfn_template))

    for metric in ("Count", "4xx", "5xx", "Latency"):
        assert ["AWS/ApiGateway", metric, "ApiId", "<HttpApi>"] in rows, metric
    for function in FUNCTIONS:
        for metric in ("Errors", "Throttles"):
            assert ["AWS/Lambda", metric, "FunctionName", f"<{function}>"] in rows, (function, metric)
    for queue in QUEUES:
        assert ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"<{queue}.QueueName>"] in rows
    assert set(QUEUES) == set(resources_of_type(cfn_template, "AWS::SQS::Queue"))
    assert ["AWS/SES", "Reputation.BounceRate"] in rows
    assert ["AWS/SES", "Reputation.ComplaintRate"] in rows


def test_dashboard_shows_the_state_of_every_alarm(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    body = dashboard_body(sam_template, cfn_template)
    (widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]

    assert sorted(widget["properties"]["alarms"]) == sorted(
        f"<{alarm}.Arn>" for alarm in resources_of_type(cfn_template, "AWS::CloudWatch::Alarm")
    )


def test_dashboard_name_is_unique_per_stack_and_region(cfn_template: dict[str, Any]) -> None:
    (dashboard,) = resources_of_type(cfn_template, "AWS::CloudWatch::Dashboard").values()

    # Dashboards are global to an account: the same stack name in two regions must not collide.
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}


# --- Alarms -----------------------------------------------------------------------------------


def alarm(cfn_template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = cfn_template["Resources"][logical_id]["Properties"]
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
    return properties


def test_an_alarm_fires_when_the_sender_fails(cfn_template: dict[str, Any]) -> None:
    properties = alarm(cfn_template, "SenderFunctionErrorsAlarm")

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/Lambda", "Errors")
    assert properties["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SenderFunction"}}]
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_an_alarm_fires_on_five_server_errors_from_the_api_in_five_minutes(
    cfn_template: dict[str, Any],
) -> None:
    properties = alarm(cfn_template, "Api5xxAlarm")

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert properties["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] == 300
    assert properties["EvaluationPeriods"] == 1
    assert properties["Threshold"] == 5
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_an_alarm_fires_when_lambda_throttles_the_api(cfn_template: dict[str, Any]) -> None:
    properties = alarm(cfn_template, "ApiFunctionThrottlesAlarm")

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/Lambda", "Throttles")
    assert properties["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ApiFunction"}}]
    assert properties["Threshold"] == 1


def test_an_alarm_fires_when_emails_wait_on_the_outbound_queue_for_hours(
    cfn_template: dict[str, Any],
) -> None:
    properties = alarm(cfn_template, "OutboundQueueBacklogAlarm")

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["OutboundQueue", "QueueName"]}}
    ]
    assert properties["Statistic"] == "Maximum"
    assert properties["Threshold"] == 7200


@pytest.mark.parametrize(
    ("logical_id", "metric", "threshold"),
    [
        ("SesBounceRateAlarm", "Reputation.BounceRate", 0.05),
        ("SesComplaintRateAlarm", "Reputation.ComplaintRate", 0.001),
    ],
)
def test_an_alarm_fires_before_ses_reviews_the_account(
    cfn_template: dict[str, Any], logical_id: str, metric: str, threshold: float
) -> None:
    properties = alarm(cfn_template, logical_id)

    assert properties["Namespace"] == "AWS/SES"
    assert properties["MetricName"] == metric
    assert "Dimensions" not in properties  # the account-wide rate SES itself judges
    assert properties["Threshold"] == threshold
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_alarm_notifies_only_the_alarm_topic(cfn_template: dict[str, Any]) -> None:
    alarms = resources_of_type(cfn_template, "AWS::CloudWatch::Alarm")

    assert len(alarms) >= 13
    for logical_id in alarms:
        properties = alarm(cfn_template, logical_id)
        for key in ("OKActions", "InsufficientDataActions"):
            assert properties.get(key, [{"Ref": "AlarmTopic"}]) == [{"Ref": "AlarmTopic"}], logical_id
