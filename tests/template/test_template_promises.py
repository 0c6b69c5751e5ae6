"""What template.yaml promises, checked on the template as written and as SAM transforms it."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from shared.config import Settings
from tests.template.template_support import (
    allowed_actions,
    aws_managed_policy_arns,
    evaluate,
    grants,
    parameter_values,
    role_statements,
    transform_template,
)

FUNCTIONS = {
    "ApiFunction": "functions.api.handler.lambda_handler",
    "AdminFunction": "functions.admin.handler.lambda_handler",
    "SenderFunction": "functions.sender.handler.lambda_handler",
    "DispatchFunction": "functions.dispatch.handler.lambda_handler",
    "SesEventsFunction": "functions.ses_events.handler.lambda_handler",
}


# Actions the Service Authorization Reference gives no resource type: IAM grants them only on "*".
# SES's account send rate, and its account-level suppression list (unsuppress, forget_person).
ACTIONS_WITHOUT_RESOURCE_TYPE = {
    "ses:GetAccount",
    "ses:GetSuppressedDestination",
    "ses:DeleteSuppressedDestination",
}


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def dynamodb_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a.lower() for a in allowed_actions(statements) if a.lower().startswith("dynamodb:")}


# --- Data -------------------------------------------------------------------------------------


def test_table_is_on_demand_with_point_in_time_recovery_and_deletion_protection(
    sam_template: dict[str, Any],
) -> None:
    table = sam_template["Resources"]["Table"]
    properties = table["Properties"]

    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True


def secrets_readable(cfn_template: dict[str, Any], function: str) -> set[str]:
    """The secrets (logical ids) a function's role may read."""
    readable: set[str] = set()
    for statement in role_statements(cfn_template, function):
        if statement.get("Effect") == "Allow" and grants([statement], "secretsmanager:GetSecretValue"):
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                # SAM's policy template writes {"Fn::Sub": ["${secretArn}", {"secretArn": {"Ref": X}}]}.
                if isinstance(resource, dict) and "Fn::Sub" in resource:
                    resource = resource["Fn::Sub"][1]["secretArn"]
                assert isinstance(resource, dict) and set(resource) == {"Ref"}, (function, resource)
                readable.add(resource["Ref"])
    return readable


@pytest.mark.parametrize(
    ("function", "needs"),
    [
        # Names people (sign-ups, manage links) and signs and verifies links.
        ("ApiFunction", {"TokenSecret", "SigningKeysSecret"}),
        # Names people (data requests, add_registration) and signs links in emails.
        ("AdminFunction", {"TokenSecret", "SigningKeysSecret"}),
        # Signs links in the emails it sends; works from person ids, never names anyone.
        ("SenderFunction", {"SigningKeysSecret"}),
        # Names the addresses SES reports; signs nothing.
        ("SesEventsFunction", {"TokenSecret"}),
        # Queues person ids already stored: neither.
        ("DispatchFunction", set()),
    ],
)
def test_each_function_may_read_only_the_secrets_it_needs(
    cfn_template: dict[str, Any], function: str, needs: set[str]
) -> None:
    assert secrets_readable(cfn_template, function) == needs


def test_the_person_id_key_and_the_signing_keys_are_separate_secrets(sam_template: dict[str, Any]) -> None:
    person = sam_template["Resources"]["TokenSecret"]["Properties"]
    signing = sam_template["Resources"]["SigningKeysSecret"]["Properties"]["GenerateSecretString"]

    assert "GenerateStringKey" not in person["GenerateSecretString"]  # one value, as it always was
    # {"1": "<generated>"}: key id 1 signs until an admin adds a higher one.
    assert (signing["SecretStringTemplate"], signing["GenerateStringKey"]) == ("{}", "1")
    assert signing["PasswordLength"] >= 32


def test_table_and_signing_key_survive_the_stack_being_deleted_or_replaced(
    sam_template: dict[str, Any],
) -> None:
    for logical_id in ("Table", "TokenSecret", "SigningKeysSecret"):
        resource = sam_template["Resources"][logical_id]
        assert resource["DeletionPolicy"] == "Retain", logical_id
        assert resource["UpdateReplacePolicy"] == "Retain", logical_id


def test_table_has_the_keys_indexes_and_expiry_the_repository_relies_on(sam_template: dict[str, Any]) -> None:
    properties = sam_template["Resources"]["Table"]["Properties"]
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}

    assert properties["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert set(indexes) == {"EventsByStart", "RegistrationsByPerson"}
    assert [k["AttributeName"] for k in indexes["EventsByStart"]["KeySchema"]] == ["GSI1PK", "GSI1SK"]
    assert [k["AttributeName"] for k in indexes["RegistrationsByPerson"]["KeySchema"]] == ["GSI2PK", "GSI2SK"]


# --- Functions --------------------------------------------------------------------------------


def test_each_function_runs_its_handler_on_python_3_13_arm64(cfn_template: dict[str, Any]) -> None:
    functions = resources_of_type(cfn_template, "AWS::Lambda::Function")

    assert set(functions) == set(FUNCTIONS)
    for logical_id, handler in FUNCTIONS.items():
        properties = functions[logical_id]["Properties"]
        assert properties["Handler"] == handler
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]


def test_every_function_logs_json_to_its_own_log_group_with_a_retention(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    log_groups = resources_of_type(cfn_template, "AWS::Logs::LogGroup")
    used: list[str] = []

    for logical_id in FUNCTIONS:
        logging = cfn_template["Resources"][logical_id]["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", logical_id
        log_group = logging["LogGroup"]["Ref"]
        assert log_group in log_groups, logical_id
        assert log_groups[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        used.append(log_group)

    assert len(set(used)) == len(FUNCTIONS)
    assert sam_template["Parameters"]["LogRetentionDays"]["Default"] == 90


def test_every_function_gets_the_settings_and_powertools_environment(cfn_template: dict[str, Any]) -> None:
    required_settings = {
        field.alias for field in Settings.model_fields.values() if field.is_required() and field.alias
    }
    powertools = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
    globals_names = {
        "TABLE_NAME",
        "OUTBOUND_QUEUE_URL",
        "TOKEN_SECRET_ARN",
        "SIGNING_KEYS_SECRET_ARN",
        "SIGNING_KEYS_VERSION",
        "PUBLIC_BASE_URL",
        "SENDER_ADDRESS",
        "SENDER_NAME",
        "SES_CONFIGURATION_SET",
        "SIGNUP_REDIRECT_URL",
        "PRIVACY_NOTICE_URL",
        "RETENTION_DAYS",
        "DISPATCH_TIME",
        "DISPATCH_TIMEZONE",
    }

    for logical_id in FUNCTIONS:
        variables = cfn_template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert required_settings <= set(variables), logical_id
        assert globals_names | powertools <= set(variables), logical_id


def test_admin_function_is_only_run_from_the_console(sam_template: dict[str, Any]) -> None:
    admin = sam_template["Resources"]["AdminFunction"]["Properties"]

    assert "Events" not in admin


# --- HTTP API ---------------------------------------------------------------------------------


def test_api_function_answers_every_route_of_the_http_api(cfn_template: dict[str, Any]) -> None:
    # One `$default` route for any method: every path and every method, TRACE or PROPFIND too,
    # reaches ApiFunction, which answers 404 or 405 with Allow itself (CONTRACT.md), as locally.
    body = cfn_template["Resources"]["HttpApi"]["Properties"]["Body"]

    assert list(body["paths"]) == ["/$default"]
    route = body["paths"]["/$default"]
    assert list(route) == ["x-amazon-apigateway-any-method"]
    integration = route["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["payloadFormatVersion"] == "2.0"
    assert "${ApiFunction.Arn}" in integration["uri"]["Fn::Sub"]
    assert cfn_template["Resources"]["ApiFunction"]["Properties"]["Timeout"] == 10


def test_http_api_allows_cross_origin_calls_from_the_allowed_origins_only(
    sam_template: dict[str, Any],
) -> None:
    cfn = transform_template(sam_template, {"AllowedOrigins": "https://www.example.org,https://example.org"})
    cors = cfn["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]

    # No CORS at all when AllowedOrigins is empty; otherwise the origins listed, split into a list.
    condition, configured, otherwise = cors["Fn::If"]
    assert condition == "HasAllowedOrigins"
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert configured["allowOrigins"] == {"Fn::Split": [",", "https://www.example.org,https://example.org"]}
    assert sorted(configured["allowMethods"]) == ["GET", "POST"]
    assert [h.lower() for h in configured["allowHeaders"]] == ["content-type"]
    assert "*" not in json.dumps(configured)


def test_the_api_function_is_told_the_allowed_origins_for_framing_the_signup_page(
    sam_template: dict[str, Any],
) -> None:
    # The same origins CORS allows may show /signup in an iframe (functions/api/web.py).
    variables = sam_template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ALLOWED_ORIGINS"] == {"Ref": "AllowedOrigins"}
    assert Settings.model_fields["allowed_origins"].alias == "ALLOWED_ORIGINS"


def test_http_api_throttles_and_logs_access_to_a_log_group_with_a_retention(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    (stage,) = resources_of_type(cfn_template, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["DefaultRouteSettings"]
    access_log = stage["Properties"]["AccessLogSettings"]
    log_group = cfn_template["Resources"][access_log["DestinationArn"]["Fn::GetAtt"][0]]
    parameters = sam_template["Parameters"]

    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert parameters["ApiThrottlingRateLimit"]["Default"] > 0
    assert parameters["ApiThrottlingBurstLimit"]["Default"] >= parameters["ApiThrottlingRateLimit"]["Default"]
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    json.loads(access_log["Format"])  # one JSON object per request


def test_access_log_leaves_out_paths_addresses_and_user_agents(cfn_template: dict[str, Any]) -> None:
    (stage,) = resources_of_type(cfn_template, "AWS::ApiGatewayV2::Stage").values()
    access_format = stage["Properties"]["AccessLogSettings"]["Format"]

    for personal in ("$context.path", "$context.identity.sourceIp", "$context.identity.userAgent"):
        assert personal not in access_format


def test_custom_domain_is_created_only_when_a_domain_and_certificate_are_given(
    sam_template: dict[str, Any],
) -> None:
    resources = sam_template["Resources"]
    condition = sam_template["Conditions"]["HasCustomDomain"]

    assert resources["ApiDomainName"]["Type"] == "AWS::ApiGatewayV2::DomainName"
    assert resources["ApiMapping"]["Type"] == "AWS::ApiGatewayV2::ApiMapping"
    assert resources["ApiDomainName"]["Condition"] == "HasCustomDomain"
    assert resources["ApiMapping"]["Condition"] == "HasCustomDomain"
    assert '{"Ref": "CustomDomainName"}' in json.dumps(condition)
    assert '{"Ref": "CertificateArn"}' in json.dumps(condition)
    assert sam_template["Parameters"]["CustomDomainName"]["Default"] == ""
    assert sam_template["Parameters"]["CertificateArn"]["Default"] == ""


# --- Permissions ------------------------------------------------------------------------------


def test_api_function_can_neither_scan_nor_delete_from_the_table(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "ApiFunction")

    for forbidden in (
        "dynamodb:Scan",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteTable",
    ):
        assert not grants(statements, forbidden), forbidden


def test_api_function_may_do_what_a_sign_up_transaction_and_its_emails_need(
    cfn_template: dict[str, Any],
) -> None:
    statements = role_statements(cfn_template, "ApiFunction")
    needed = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "ses:SendEmail",
        "ses:SendRawEmail",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
    ]

    for action in needed:
        assert grants(statements, action), action
    assert dynamodb_actions(statements) == {a.lower() for a in needed if a.startswith("dynamodb:")}


# What each function's code calls on the table (shared/stores/table.py, through the workflows
# its handler runs), on the table itself and on its indexes: no more (issue 10 point 2, the
# excess found by the recorded calls and removed). A transaction is authorised item by item.
TABLE_ACTIONS = {
    "ApiFunction": {
        "table": {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem"},
        "index": {"Query"},
    },
    "AdminFunction": {
        "table": {
            "GetItem",
            "BatchGetItem",
            "Query",
            "PutItem",
            "UpdateItem",
            "BatchWriteItem",
            "DeleteItem",
        },
        "index": {"Query"},
    },
    "SenderFunction": {"table": {"GetItem", "BatchGetItem", "UpdateItem"}, "index": {"Query"}},
    "DispatchFunction": {
        "table": {"GetItem", "BatchGetItem", "Query", "UpdateItem", "BatchWriteItem"},
        "index": {"Query"},
    },
    "SesEventsFunction": {"table": {"UpdateItem"}},
}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_may_do_on_the_table_and_its_indexes_exactly_what_its_code_calls(
    cfn_template: dict[str, Any], function: str
) -> None:
    found: dict[str, set[str]] = {}
    for statement in role_statements(cfn_template, function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        table_actions = {a.split(":", 1)[1] for a in actions if a.startswith("dynamodb:")}
        if not table_actions:
            continue
        assert statement["Effect"] == "Allow"
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            kind = "index" if "/index/*" in json.dumps(resource) else "table"
            found.setdefault(kind, set()).update(table_actions)

    assert found == TABLE_ACTIONS[function]


def test_sender_function_only_reads_the_table_and_marks_sends(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "SenderFunction")

    assert dynamodb_actions(statements) == {
        "dynamodb:getitem",
        "dynamodb:batchgetitem",
        "dynamodb:query",
        "dynamodb:updateitem",
    }
    assert grants(statements, "ses:SendRawEmail")
    assert grants(statements, "secretsmanager:GetSecretValue")
    assert not grants(statements, "sqs:SendMessage")


def test_admin_function_may_manage_the_table_and_send(cfn_template: dict[str, Any]) -> None:
    statements = role_statements(cfn_template, "AdminFunction")

    for action in (
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "ses:SendRawEmail",
        "sqs:SendMessage",
    ):
        assert grants(statements, action), action
    # Not SAM's DynamoDBCrudPolicy: nothing lists or describes the whole table.
    for forbidden in ("dynamodb:Scan", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"):
        assert not grants(statements, forbidden), forbidden


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_function_gets_a_service_wide_wildcard_or_a_broad_managed_policy(
    cfn_template: dict[str, Any], function: str
) -> None:
    statements = role_statements(cfn_template, function)

    for action in allowed_actions(statements):
        assert action != "*" and not action.endswith(":*"), f"{function}: {action}"
    for statement in statements:
        if statement.get("Resource") == "*":
            # Only actions that have no resource type may be granted on "*".
            assert set(allowed_actions([statement])) <= ACTIONS_WITHOUT_RESOURCE_TYPE, (
                f"{function}: {statement}"
            )
    allowed_managed = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }
    if function == "SenderFunction":
        # What SAM attaches for an SQS event source: receive and delete messages, read queue attributes.
        allowed_managed.add("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole")
    assert set(aws_managed_policy_arns(cfn_template, function)) <= allowed_managed


def test_email_may_only_leave_from_the_sender_address_through_any_identity(
    sam_template: dict[str, Any],
) -> None:
    (statement,) = sam_template["Resources"]["SendEmailPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    resolved = evaluate(statement, sam_template, parameter_values(sam_template))
    identity = "arn:aws:ses:eu-west-2:123456789012:identity/"

    def allows(action: str, resource: str, from_address: str) -> bool:
        """IAM's answer for this one statement: action, resource pattern and StringEquals condition."""
        return (
            resolved["Effect"] == "Allow"
            and action in resolved["Action"]
            and any(fnmatch.fnmatchcase(resource, pattern) for pattern in resolved["Resource"])
            and all(
                {"ses:FromAddress": from_address}.get(key) == value
                for key, value in resolved["Condition"]["StringEquals"].items()
            )
        )

    # Any identity: the sender's address or domain, and in the SES sandbox the recipient's too.
    assert resolved["Resource"][0] == identity + "*"
    for checked in ("events@example.org", "example.org", "ada@example.org"):
        assert allows("ses:SendEmail", identity + checked, "events@example.org"), checked
        assert allows("ses:SendRawEmail", identity + checked, "events@example.org"), checked
    # Only ever From SenderAddress (a bare address, so the condition can match it exactly).
    assert resolved["Condition"] == {"StringEquals": {"ses:FromAddress": "events@example.org"}}
    assert not allows("ses:SendEmail", identity + "example.org", "ceo@example.org")
    assert not allows("ses:SendEmail", identity + "example.org", "Events <events@example.org>")
    # The configuration set in use (named by the parameter, or created by the stack) and no other.
    assert resolved["Resource"][1:] == [
        "arn:aws:ses:eu-west-2:123456789012:configuration-set/<ConfigurationSet>"
    ]
    assert '"ConfigurationSetName": {"Fn::If": ["HasSesConfigurationSet"' in json.dumps(statement["Resource"])
    assert "*" not in resolved["Action"] and "*" not in resolved["Resource"]


# --- Sending ----------------------------------------------------------------------------------


def test_sender_reports_partial_batch_failures_and_runs_at_most_two_at_once(
    sam_template: dict[str, Any], cfn_template: dict[str, Any]
) -> None:
    (mapping,) = resources_of_type(cfn_template, "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]

    assert properties["FunctionName"] == {"Ref": "SenderFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["OutboundQueue", "Arn"]}
    assert properties["BatchSize"] == 1  # messages spread over every instance (make bench)
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SenderMaxConcurrency"}}
    assert sam_template["Parameters"]["SenderMaxConcurrency"]["Default"] == 2


def test_a_message_stays_hidden_while_the_sender_works_on_it_and_then_goes_to_the_dead_letter_queue(
    sam_template: dict[str, Any],
) -> None:
    queue = sam_template["Resources"]["OutboundQueue"]["Properties"]
    sender_timeout = sam_template["Resources"]["SenderFunction"]["Properties"]["Timeout"]

    # Lambda's advice for SQS sources: a visibility timeout of at least six times the function's.
    assert queue["VisibilityTimeout"] >= 6 * sender_timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["OutboundDeadLetterQueue", "Arn"]}


# --- Parameters and outputs -------------------------------------------------------------------


def test_outputs_name_the_api_url_table_queues_and_functions(sam_template: dict[str, Any]) -> None:
    outputs = sam_template["Outputs"]

    for name in (
        "ApiUrl",
        "TableName",
        "OutboundQueueUrl",
        "OutboundDeadLetterQueueUrl",
        "ApiFunctionName",
        "AdminFunctionName",
        "SenderFunctionName",
        "DispatchFunctionName",
        "SesEventsFunctionName",
        "DispatchScheduleDeadLetterQueueUrl",
        "DispatchFailedQueueUrl",
        "SesEventsDeadLetterQueueUrl",
        "AlarmTopicArn",
        "SesConfigurationSetInUse",
        "AdminNoticesTopicArn",
        "ExportBucketName",
        "DashboardUrl",
    ):
        assert name in outputs, name


def test_no_zoom_details_or_personal_data_in_parameter_defaults_or_outputs(
    sam_template: dict[str, Any],
) -> None:
    defaults = [spec.get("Default") for spec in sam_template["Parameters"].values()]
    text = json.dumps(defaults) + json.dumps(sam_template["Outputs"])

    assert "zoom" not in text.lower()
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an email address in a default or an output"
