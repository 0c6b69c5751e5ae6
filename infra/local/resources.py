"""Create the data-plane resources of template.yaml in moto, from template.yaml's own definitions.

Tests (under `mock_aws`) and the local stack (moto in server mode) both call `create_stack`, so
the table, queues and secret they use cannot drift from what `sam deploy` creates. What moto
cannot run (schedules, alarms, dashboards, the API itself) is checked offline in tests/template.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from infra.local.intrinsics import NO_VALUE, UNRESOLVED, Resolver

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...)."""


def _cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):  # `!Condition X` is `{"Condition": X}`, not an Fn::
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class Stack:
    """The physical names moto gave the template's resources, and the functions' environment."""

    physical: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)


def _resolve(value: Any, stack: Stack, parameters: dict[str, str]) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg in stack.physical:
                return stack.physical[arg]
            if arg in parameters:
                return parameters[arg]
            if arg == "AWS::Region":
                return parameters.get("AWS::Region", "eu-west-2")
            raise KeyError(f"template refers to {arg}, which the local stack does not create")
        if key == "Fn::GetAtt":
            logical, attribute = arg
            if attribute == "Arn":
                return stack.arns[logical]
            raise KeyError(f"unsupported attribute {logical}.{attribute}")
    if isinstance(value, dict):
        return {k: _resolve(v, stack, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, stack, parameters) for v in value]
    return value


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {
        name: str(spec["Default"]) if not isinstance(spec.get("Default"), list) else ",".join(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }


def create_stack(
    parameters: dict[str, str],
    *,
    stack_name: str = "local",
    region: str = "eu-west-2",
    template: dict[str, Any] | None = None,
) -> Stack:
    """Create every table, queue, secret, bucket and SES configuration set the template declares;
    verify the sender in SES.

    `parameters` override the template's parameter defaults (PublicBaseUrl and SenderAddress
    have none). Returns the functions' environment as `sam deploy` would set it from Globals.
    """
    template = template or load_template()
    params = {**parameter_defaults(template), **parameters, "AWS::Region": region}
    resources: dict[str, Any] = template["Resources"]
    stack = Stack()
    sqs = boto3.client("sqs", region_name=region)
    secretsmanager = boto3.client("secretsmanager", region_name=region)

    for logical, resource in resources.items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = f"{stack_name}-{logical}"
            stack.physical[logical] = name
            stack.arns[logical] = create_table(resource["Properties"], name, region)

    # Queues without a redrive policy first, so dead-letter ARNs exist when others refer to them.
    queues = [(k, r) for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
    queues.sort(key=lambda item: "RedrivePolicy" in item[1].get("Properties", {}))
    for logical, resource in queues:
        props = _resolve(resource.get("Properties", {}), stack, params)
        attributes = {
            key: (json.dumps(value) if isinstance(value, dict) else str(value))
            for key, value in props.items()
            if key in {"VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds"}
        }
        url = sqs.create_queue(QueueName=f"{stack_name}-{logical}", Attributes=attributes)["QueueUrl"]
        stack.physical[logical] = url
        stack.arns[logical] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    for logical, resource in resources.items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            generate = resource["Properties"].get("GenerateSecretString", {})
            value = secrets.token_urlsafe(int(generate.get("PasswordLength", 64)))
            if "GenerateStringKey" in generate:  # as Secrets Manager does: the template with one key added
                shaped = json.loads(generate.get("SecretStringTemplate", "{}"))
                value = json.dumps({**shaped, generate["GenerateStringKey"]: value})
            arn = secretsmanager.create_secret(Name=f"{stack_name}-{logical}", SecretString=value)["ARN"]
            stack.physical[logical] = arn
            stack.arns[logical] = arn

    sender = params.get("SenderAddress")
    if sender:
        boto3.client("ses", region_name=region).verify_email_identity(EmailAddress=sender)

    # Conditional resources (the SES configuration set exists only when no name is given) and
    # Globals such as `!If [Condition, ..., !Ref Resource]` need the template's Conditions.
    resolver = Resolver(params, template.get("Conditions", {}), stack.physical, stack.arns)
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::SES::ConfigurationSet":
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            name = resource.get("Properties", {}).get("Name") or f"{stack_name}-{logical}"
            boto3.client("sesv2", region_name=region).create_configuration_set(ConfigurationSetName=name)
            stack.physical[logical] = name

    for logical, resource in resources.items():
        if resource["Type"] == "AWS::S3::Bucket":
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            props = resolver.resolve(resource.get("Properties", {}))
            name = create_bucket(props, f"{stack_name}-{logical}".lower(), region)
            stack.physical[logical] = name
            stack.arns[logical] = f"arn:aws:s3:::{name}"

    create_topics(resources, resolver, stack, stack_name, region)

    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    for name, value in variables.items():
        resolved = resolver.resolve(value)
        if resolved is UNRESOLVED:
            raise KeyError(f"Globals {name}: the local stack cannot resolve {value!r}")
        if resolved is not NO_VALUE:
            stack.environment[name] = str(resolved)
    return stack


def create_table(props: dict[str, Any], name: str, region: str) -> str:
    """A table named `name` with a template table's keys, indexes, billing mode and TTL (what moto
    holds of its properties). Also what a point-in-time restore looks like here, once the runbook
    has set TTL on it (docs/deploy.md, "Backup and restore"). Returns its ARN."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    description = dynamodb.create_table(**args)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return str(description["TableArn"])


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the S3 API's shape (the fields a template here uses)."""
    api: dict[str, Any] = {
        "Status": rule.get("Status", "Enabled"),
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if isinstance(rule.get("Id"), str):
        api["ID"] = rule["Id"]
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    elif "ExpiredObjectDeleteMarker" in rule:
        api["Expiration"] = {"ExpiredObjectDeleteMarker": bool(rule["ExpiredObjectDeleteMarker"])}
    noncurrent = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    noncurrent = rule.get("NoncurrentVersionExpirationInDays", noncurrent)
    if noncurrent is not None:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(noncurrent)}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return api


def create_bucket(props: dict[str, Any], default_name: str, region: str) -> str:
    """An S3 bucket with the settings moto can hold: name, default encryption, public access
    block, ownership, versioning and lifecycle rules (moto keeps them; it does not expire
    objects). Values the local stack cannot resolve (a KMS key it does not create, a BucketName
    built with !Sub) are left out. Returns the bucket's name."""
    s3 = boto3.client("s3", region_name=region)
    name = props.get("BucketName")
    name = name if isinstance(name, str) else default_name
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    rules = []
    for rule in props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
        default = {
            key: value
            for key, value in rule.get("ServerSideEncryptionByDefault", {}).items()
            if isinstance(value, str)  # a KMS key the local stack does not create is left out
        }
        api: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
        if isinstance(rule.get("BucketKeyEnabled"), bool):
            api["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        rules.append(api)
    if rules:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if isinstance(props.get("PublicAccessBlockConfiguration"), dict):
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if isinstance(props.get("OwnershipControls"), dict):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    status = props.get("VersioningConfiguration", {}).get("Status")
    if isinstance(status, str):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    lifecycle = props.get("LifecycleConfiguration", {}).get("Rules", [])
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in lifecycle]}
        )
    return name


def create_topics(
    resources: dict[str, Any], resolver: Resolver, stack: Stack, stack_name: str, region: str
) -> None:
    """Every SNS topic the template declares, then its subscriptions whose conditions hold (email
    ones: moto records who would receive what, and delivers nothing). `Ref` of a topic is its
    ARN, so `physical` and `arns` both hold the ARN."""
    sns = boto3.client("sns", region_name=region)
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::SNS::Topic":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        arn = sns.create_topic(Name=f"{stack_name}-{logical}")["TopicArn"]
        stack.physical[logical] = arn
        stack.arns[logical] = arn
    for resource in resources.values():
        if resource["Type"] != "AWS::SNS::Subscription":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        props = resolver.resolve(resource.get("Properties", {}))
        sns.subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"])
