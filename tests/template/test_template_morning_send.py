"""The morning send in template.yaml: schedules, heartbeat, failure destinations, SES events, alarms.

Checked on the template as SAM transforms it, with intrinsics evaluated for given parameter values
(no AWS account needed). The handlers are not imported: only what the template promises them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.template.template_support import (
    REPO_ROOT,
    Unresolved,
    allowed_actions,
    cron_fields,
    evaluate,
    event_pattern_matches,
    grants,
    parameter_values,
    role_statements,
    transform_template,
)

FIXTURES = REPO_ROOT / "tests" / "fixtures"
SES_EVENT_FIXTURES = sorted(FIXTURES.glob("ses-eventbridge-*.json"))
# The configuration set the fixtures were sent with (their `ses:configuration-set` tag).
FIXTURE_CONFIGURATION_SET = "conversations"
FUNCTIONS = ("ApiFunction", "AdminFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction")

QUEUE_ALARMS = {
    "OutboundDeadLetterQueueAlarm": "OutboundDeadLetterQueue",
    "DispatchScheduleDeadLetterQueueAlarm": "DispatchScheduleDeadLetterQueue",
    "DispatchFailedQueueAlarm": "DispatchFailedQueue",
    "SesEventsDeadLetterQueueAlarm": "SesEventsDeadLetterQueue",
}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def schedule_with_input(cfn_template: dict[str, Any], input_key: str) -> dict[str, Any]:
    """The one EventBridge Scheduler schedule whose target input carries `input_key`."""
    found = [
        schedule["Properties"]
        for schedule in resources_of_type(cfn_template, "AWS::Scheduler::Schedule").values()
        if input_key in json.loads(schedule["Properties"]["Target"].get("Input", "{}"))
    ]
    assert len(found) == 1, f"expected one schedule with {input_key}, found {len(found)}"
    return found[0]


def event_invoke_config(cfn_template: dict[str, Any], function: str) -> dict[str, Any]:
    (config,) = [
        c["Properties"]
        for c in resources_of_type(cfn_template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function}
    ]
    return config


def function_environment(cfn_template: dict[str, Any], function: str) -> dict[str, Any]:
    return dict(cfn_template["Resources"][function]["Properties"]["Environment"]["Variables"])


def dynamodb_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a.lower() for a in allowed_actions(statements) if a.lower().startswith("dynamodb:")}


def metrics_namespace(sam_template: dict[str, Any]) -> str:
    variables = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    return str(variables["POWERTOOLS_METRICS_NAMESPACE"])


# --- The morning send's schedule --------------------------------------------------------------


def test_morning_send_runs_daily_at_seven_uk_time_with_its_scheduled_time(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    # Given the template deployed with its default parameters
    parameters = parameter_values(sam_template)
    schedule = schedule_with_input(cfn_template, "scheduled_time")

    # Then DispatchFunction is invoked at 07:00 Europe/London every day, with the scheduled time
    assert cron_fields(evaluate(schedule["ScheduleExpression"], cfn_template, parameters)) == cron_fields(
        "cron(0 7 * * ? *)"
    )
    assert evaluate(schedule["ScheduleExpressionTimezone"], cfn_template, parameters) == "Europe/London"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["DispatchFunction", "Arn"]}
    assert json.loads(schedule["Target"]["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    # A generated name: two stacks in one account do not collide.
    assert "Name" not in schedule


def test_morning_send_time_and_zone_are_parameters(sam_template: dict[str, Any]) -> None:
    # Given a deployment that sends at 06:45 Dublin time
    overrides = {"DispatchTime": "06:45", "DispatchTimezone": "Europe/Dublin"}
    cfn = transform_template(sam_template, overrides)
    parameters = parameter_values(sam_template, overrides)
    schedule = schedule_with_input(cfn, "scheduled_time")

    # Then the schedule follows it
    assert cron_fields(evaluate(schedule["ScheduleExpression"], cfn, parameters)) == cron_fields(
        "cron(45 6 * * ? *)"
    )
    assert evaluate(schedule["ScheduleExpressionTimezone"], cfn, parameters) == "Europe/Dublin"


def test_every_function_sees_the_send_moment_rule_the_schedule_uses(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    schedule = schedule_with_input(cfn_template, "scheduled_time")
    variables = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    dispatch_time = sam_template["Parameters"]["DispatchTime"]

    # The API (late sign-ups) and Dispatch read the same parameters the schedule is built from.
    assert variables["DISPATCH_TIME"] == {"Ref": "DispatchTime"}
    assert variables["DISPATCH_TIMEZONE"] == {"Ref": "DispatchTimezone"}
    assert '{"Ref": "DispatchTime"}' in json.dumps(schedule["ScheduleExpression"])
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "DispatchTimezone"}
    assert dispatch_time["Default"] == "07:00"
    assert sam_template["Parameters"]["DispatchTimezone"]["Default"] == "Europe/London"
    # HH:MM only, as shared/config.py and the cron built from it expect.
    for good in ("07:00", "00:05", "23:59"):
        assert re.fullmatch(dispatch_time["AllowedPattern"], good), good
    for bad in ("7:00", "24:00", "07:60", "0700", "07:00 "):
        assert not re.fullmatch(dispatch_time["AllowedPattern"], bad), bad


@pytest.mark.parametrize("input_key", ["scheduled_time", "check_heartbeat"])
def test_scheduler_retries_and_keeps_what_it_could_not_deliver(
    cfn_template: dict[str, Any], input_key: str
) -> None:
    schedule = schedule_with_input(cfn_template, input_key)
    target = schedule["Target"]
    role = cfn_template["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]

    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 3600
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DispatchScheduleDeadLetterQueue", "Arn"]}}
    # The scheduler's role may invoke Dispatch and write its dead letters, nothing more.
    assert sorted(allowed_actions(statements)) == ["lambda:InvokeFunction", "sqs:SendMessage"]


def test_a_run_that_fails_after_lambdas_retries_lands_in_the_dispatch_failed_queue(
    cfn_template: dict[str, Any],
) -> None:
    config = event_invoke_config(cfn_template, "DispatchFunction")
    statements = role_statements(cfn_template, "DispatchFunction")

    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["DispatchFailedQueue", "Arn"]
    }
    assert any(
        statement.get("Resource") == {"Fn::GetAtt": ["DispatchFailedQueue", "Arn"]}
        and "sqs:SendMessage" in allowed_actions([statement])
        for statement in statements
    )


# --- Heartbeat --------------------------------------------------------------------------------


def test_heartbeat_check_runs_at_a_quarter_past_eight_in_the_same_zone(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    parameters = parameter_values(sam_template)
    schedule = schedule_with_input(cfn_template, "check_heartbeat")

    assert cron_fields(evaluate(schedule["ScheduleExpression"], cfn_template, parameters)) == cron_fields(
        "cron(15 8 * * ? *)"
    )
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "DispatchTimezone"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["DispatchFunction", "Arn"]}
    assert json.loads(schedule["Target"]["Input"]) == {"check_heartbeat": "<aws.scheduler.scheduled-time>"}


def test_an_alarm_fires_when_the_morning_send_is_late(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    alarm = cfn_template["Resources"]["MorningSendLateAlarm"]["Properties"]

    assert alarm["Namespace"] == metrics_namespace(sam_template)
    assert alarm["MetricName"] == "MorningSendLate"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "dispatch"}]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Period"] == 300
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_a_heartbeat_check_that_stops_reporting_notifies_but_a_fresh_stack_does_not(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    """No data at all leaves the alarm in INSUFFICIENT_DATA: where a new alarm starts (no
    notification, so no email the afternoon of a deploy) and where it falls to from OK when the
    check stops reporting, which notifies the alarm topic."""
    alarm = cfn_template["Resources"]["HeartbeatCheckMissingAlarm"]["Properties"]

    assert alarm["Namespace"] == metrics_namespace(sam_template)
    assert alarm["MetricName"] == "MorningSendLate"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "dispatch"}]
    assert alarm["Statistic"] == "SampleCount"
    assert alarm["Period"] == 86400
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["TreatMissingData"] == "missing"
    assert alarm["InsufficientDataActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_no_alarm_goes_off_on_a_fresh_stack_that_has_no_data_yet(cfn_template: dict[str, Any]) -> None:
    """CloudWatch puts an alarm whose every data point is missing in ALARM only when missing data is
    "breaching"; the default (and "missing") is INSUFFICIENT_DATA, "notBreaching" OK, "ignore" the
    state it has (a new alarm's INSUFFICIENT_DATA). A fresh deploy has no data for any metric."""
    after_deploy = {}
    for logical_id, resource in cfn_template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        treatment = resource["Properties"].get("TreatMissingData", "missing")
        after_deploy[logical_id] = {
            "breaching": "ALARM",
            "notBreaching": "OK",
            "ignore": "INSUFFICIENT_DATA",
            "missing": "INSUFFICIENT_DATA",
        }[treatment]
        if after_deploy[logical_id] == "INSUFFICIENT_DATA" and treatment == "missing":
            # Staying there is quiet; only an alarm that means something by it notifies on it.
            actions = resource["Properties"].get("InsufficientDataActions", [])
            assert actions in ([], [{"Ref": "AlarmTopic"}]), logical_id
    assert len(after_deploy) >= 18
    assert [name for name, state in after_deploy.items() if state == "ALARM"] == []


# --- DispatchFunction -------------------------------------------------------------------------


def test_dispatch_function_queues_sends_but_can_neither_scan_nor_delete(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "DispatchFunction")

    for forbidden in ("dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:DeleteTable", "ses:SendRawEmail"):
        assert not grants(statements, forbidden), forbidden
    assert dynamodb_actions(statements) == {
        "dynamodb:getitem",
        "dynamodb:batchgetitem",
        "dynamodb:query",
        "dynamodb:updateitem",
        "dynamodb:batchwriteitem",
    }
    assert grants(statements, "sqs:SendMessage")
    assert grants(statements, "sqs:SendMessageBatch")
    assert not grants(statements, "secretsmanager:GetSecretValue")  # it signs nothing, names nobody
    assert cfn_template["Resources"]["DispatchFunction"]["Properties"]["Timeout"] == 120


# --- SenderFunction ---------------------------------------------------------------------------


def test_sender_paces_itself_to_the_concurrency_its_queue_allows(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    parameters = parameter_values(sam_template)
    (mapping,) = resources_of_type(cfn_template, "AWS::Lambda::EventSourceMapping").values()
    variables = function_environment(cfn_template, "SenderFunction")
    cap = mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"]

    # The same parameter in both places, so the pacing divides SES's rate by the real cap.
    assert cap == variables["SENDER_MAX_CONCURRENCY"] == {"Ref": "SenderMaxConcurrency"}
    assert evaluate(cap, cfn_template, parameters) == "2"
    assert variables["SES_MAX_SEND_RATE"] == {"Ref": "SesMaxSendRateFallback"}
    assert evaluate(variables["SES_MAX_SEND_RATE"], cfn_template, parameters) == "1"
    # SQS allows a MaximumConcurrency of 2 to 1000.
    assert sam_template["Parameters"]["SenderMaxConcurrency"]["MinValue"] == 2
    assert sam_template["Parameters"]["SenderMaxConcurrency"]["MaxValue"] == 1000
    assert grants(role_statements(cfn_template, "SenderFunction"), "ses:GetAccount")


def test_outbound_messages_stay_hidden_six_times_as_long_as_the_sender_may_run(
    cfn_template: dict[str, Any],
) -> None:
    queue = cfn_template["Resources"]["OutboundQueue"]["Properties"]
    sender_timeout = cfn_template["Resources"]["SenderFunction"]["Properties"]["Timeout"]

    assert sender_timeout == 120
    assert queue["VisibilityTimeout"] >= 6 * sender_timeout


def test_an_alarm_fires_when_ses_stops_sending(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    alarm = cfn_template["Resources"]["SendingStoppedAlarm"]["Properties"]

    assert alarm["Namespace"] == metrics_namespace(sam_template)
    assert alarm["MetricName"] == "SendingStopped"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "sender"}]
    assert alarm["Statistic"] == "Sum"
    assert alarm["Period"] == 300
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


# --- SES events -------------------------------------------------------------------------------


def ses_events_rule(cfn_template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    rules = {
        logical_id: rule["Properties"]
        for logical_id, rule in resources_of_type(cfn_template, "AWS::Events::Rule").items()
        if rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["SesEventsFunction", "Arn"]}
    }
    assert len(rules) == 1
    return next(iter(rules.items()))


@pytest.mark.parametrize("fixture", SES_EVENT_FIXTURES, ids=lambda path: Path(path).stem)
def test_ses_events_rule_matches_what_ses_publishes_for_our_configuration_set(
    sam_template: dict[str, Any], fixture: Path
) -> None:
    # Given the stack sending with the configuration set the fixtures name
    overrides = {"SesConfigurationSetName": FIXTURE_CONFIGURATION_SET}
    cfn = transform_template(sam_template, overrides)
    _, rule = ses_events_rule(cfn)
    pattern = evaluate(rule["EventPattern"], cfn, parameter_values(sam_template, overrides))
    event = json.loads(fixture.read_text())

    # Then the rule hands every bounce and complaint to SesEventsFunction (it tells them apart)
    assert pattern["source"] == ["aws.ses"]
    assert event["detail-type"] in pattern["detail-type"]
    assert event_pattern_matches(pattern, event)


def test_ses_events_rule_ignores_other_configuration_sets_and_other_events(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    _, rule = ses_events_rule(cfn_template)
    pattern = evaluate(rule["EventPattern"], cfn_template, parameter_values(sam_template))
    event = json.loads((FIXTURES / "ses-eventbridge-complaint.json").read_text())
    delivery = {**event, "detail-type": "Email Delivered"}

    # With the default parameters the stack's own configuration set is the one matched.
    assert pattern["detail"]["mail"]["tags"]["ses:configuration-set"] == [Unresolved("ConfigurationSet")]
    assert not event_pattern_matches(pattern, event)  # sent with another set
    assert sorted(pattern["detail-type"]) == ["Email Bounced", "Email Complaint Received"]
    assert not event_pattern_matches({**pattern, "detail": {}}, delivery)


def test_ses_events_are_retried_and_kept_when_they_cannot_be_handled(cfn_template: dict[str, Any]) -> None:
    rule_id, rule = ses_events_rule(cfn_template)
    (target,) = rule["Targets"]
    queue_arn = {"Fn::GetAtt": ["SesEventsDeadLetterQueue", "Arn"]}
    (policy,) = [
        p["Properties"]
        for p in resources_of_type(cfn_template, "AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": "SesEventsDeadLetterQueue"}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    config = event_invoke_config(cfn_template, "SesEventsFunction")

    # EventBridge retries delivery, then dead-letters; only this rule may write to the queue.
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] > 0
    assert target["DeadLetterConfig"] == {"Arn": queue_arn}
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
    # A run that fails after Lambda's own retries is kept in the same queue.
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn


def test_ses_events_function_only_updates_people(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "SesEventsFunction")

    assert dynamodb_actions(statements) == {"dynamodb:updateitem"}
    assert grants(statements, "secretsmanager:GetSecretValue")
    for forbidden in ("dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem", "ses:SendRawEmail"):
        assert not grants(statements, forbidden), forbidden


@pytest.mark.parametrize("configured", ["", FIXTURE_CONFIGURATION_SET])
def test_every_email_and_every_bounce_go_through_one_configuration_set(
    sam_template: dict[str, Any], configured: str
) -> None:
    # Given a stack with no configuration set named (one is created) or an existing one named
    overrides = {"SesConfigurationSetName": configured}
    cfn = transform_template(sam_template, overrides)
    parameters = parameter_values(sam_template, overrides)
    expected = configured or Unresolved("ConfigurationSet")
    destination = cfn["Resources"]["SesEventsDestination"]["Properties"]
    _, rule = ses_events_rule(cfn)
    policy_resources = evaluate(
        cfn["Resources"]["SendEmailPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"],
        cfn,
        parameters,
    )

    # Then the set is created only when none is named
    assert cfn["Resources"]["ConfigurationSet"]["Condition"] == "CreateSesConfigurationSet"
    assert evaluate(cfn["Conditions"]["CreateSesConfigurationSet"], cfn, parameters) is (not configured)
    # And the functions send with it, may send with it, and its bounces and complaints reach the rule
    for function in FUNCTIONS:
        variables = function_environment(cfn, function)
        assert evaluate(variables["SES_CONFIGURATION_SET"], cfn, parameters) == expected, function
    assert evaluate(destination["ConfigurationSetName"], cfn, parameters) == expected
    assert f"arn:aws:ses:eu-west-2:123456789012:configuration-set/{expected}" in policy_resources
    assert evaluate(rule["EventPattern"], cfn, parameters)["detail"]["mail"]["tags"] == {
        "ses:configuration-set": [expected]
    }
    event_destination = destination["EventDestination"]
    assert event_destination["Enabled"] is True
    assert sorted(event_destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert (
        evaluate(event_destination["EventBridgeDestination"]["EventBusArn"], cfn, parameters)
        == "arn:aws:events:eu-west-2:123456789012:event-bus/default"
    )


# --- Alarms -----------------------------------------------------------------------------------


def test_every_alarm_notifies_the_alarm_topic(cfn_template: dict[str, Any]) -> None:
    alarms = resources_of_type(cfn_template, "AWS::CloudWatch::Alarm")

    assert {
        "MorningSendLateAlarm",
        "HeartbeatCheckMissingAlarm",
        "SendingStoppedAlarm",
        *QUEUE_ALARMS,
    } <= set(alarms)
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id


@pytest.mark.parametrize(("alarm_id", "queue"), sorted(QUEUE_ALARMS.items()))
def test_a_message_left_in_a_failure_queue_raises_an_alarm(
    cfn_template: dict[str, Any], alarm_id: str, queue: str
) -> None:
    alarm = cfn_template["Resources"][alarm_id]["Properties"]

    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_alarms_reach_cloudwatch_and_an_optional_email_address(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    resources = cfn_template["Resources"]
    (topic_policy,) = resources_of_type(cfn_template, "AWS::SNS::TopicPolicy").values()
    statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    # CloudWatch's alarms, and the monthly budget (tests/template/test_template_console_access.py).
    (statement,) = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    subscription = resources["AlertEmailSubscription"]

    assert topic_policy["Properties"]["Topics"] == [{"Ref": "AlarmTopic"}]
    assert {s["Principal"]["Service"] for s in statements} == {
        "cloudwatch.amazonaws.com",
        "budgets.amazonaws.com",
    }
    assert statement["Action"] == "sns:Publish"
    # CloudWatch cannot use the AWS-managed SNS key, so the topic is not put under it.
    assert "KmsMasterKeyId" not in resources["AlarmTopic"]["Properties"]
    assert subscription["Condition"] == "HasAlertEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlertEmail"}
    assert sam_template["Parameters"]["AlertEmail"]["Default"] == ""


def test_no_alarm_says_anything_about_a_person(cfn_template: dict[str, Any]) -> None:
    for logical_id, alarm in resources_of_type(cfn_template, "AWS::CloudWatch::Alarm").items():
        text = json.dumps(alarm["Properties"])
        assert alarm["Properties"]["AlarmDescription"], logical_id
        assert "zoom" not in text.lower(), logical_id
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), logical_id
