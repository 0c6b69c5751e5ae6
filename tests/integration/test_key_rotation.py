"""The signing key rotates, the person-id key does not: under moto, with the two secrets the
template declares. An admin adds a key to SigningKeysSecret and deploys (here: the services are
built again, as a fresh container would be); links already emailed keep working, new ones name the
new key, and every person keeps their id. Each function reads only the secrets its role allows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.testkit import FIXED_NOW, REGION
from infra.testkit.api import call_api, outbox
from infra.testkit.morning import add_registrants, join_emails_by_recipient, pump, run_dispatch
from infra.testkit.stack import template
from shared import clock, services
from tests.integration.helpers import create_event, sign_up, text_part, token_from
from tests.integration.test_ses_events import handle, ses_event

ADA = {"name": "Ada Lovelace", "email": "ada@example.org", "role": "academic"}


def secret(aws: Any, logical_id: str) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    return str(client.get_secret_value(SecretId=aws.physical[logical_id])["SecretString"])


def put_signing_keys(aws: Any, keys: dict[str, str]) -> None:
    """What an admin does in the Secrets Manager console, then `make deploy` (fresh containers)."""
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=aws.physical["SigningKeysSecret"], SecretString=json.dumps(keys)
    )
    services.reset()


def legacy_manage_token(person_secret: str, person_id: str) -> str:
    """A manage token exactly as emailed before key ids existed (`<payload>.<mac>`, signed with
    the key derived from TokenSecret)."""
    signing = hmac.new(person_secret.encode(), b"co-production/token-signing/v1", hashlib.sha256).digest()
    expiry = int((FIXED_NOW + timedelta(days=400)).timestamp())
    payload = f"{person_id}~{expiry:x}".encode()
    mac = hmac.new(signing, b"manage\n" + payload, hashlib.sha256).digest()[:18]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (payload, mac))


def manage(token: str) -> int:
    return call_api("GET", "/manage", query={"token": token}).status


def test_rotating_the_signing_key_keeps_every_emailed_link_working_and_every_person_id(aws):
    # Given Ada signed up before the rotation, and holds a link from before key ids too
    event_id = create_event()
    sign_up([event_id], **ADA)
    before = token_from(text_part(outbox()[-1]), "/manage")
    person_id = services.get().person_id_for(ADA["email"])
    legacy = legacy_manage_token(secret(aws, "TokenSecret"), person_id)
    first = json.loads(secret(aws, "SigningKeysSecret"))
    assert before.split(".")[0] == "1" and list(first) == ["1"]
    assert manage(legacy) == 200

    # When an admin adds key 2 and deploys
    put_signing_keys(aws, {**first, "2": "a-new-signing-key-" + "z" * 40})

    # Then new links name key 2, old ones (with key 1, or with no key id) still work, ids stay
    call_api("POST", "/manage/link", json_body={"email": ADA["email"]})
    pump(aws)
    after = token_from(text_part(outbox()[-1]), "/manage")
    assert after.split(".")[0] == "2"
    assert [manage(t) for t in (before, legacy, after)] == [200, 200, 200]
    assert services.get().person_id_for(ADA["email"]) == person_id

    # And once key 1's tokens have expired and it is removed, only they stop working
    put_signing_keys(aws, {"2": "a-new-signing-key-" + "z" * 40})
    assert [manage(t) for t in (before, after)] == [404, 200]
    assert services.get().person_id_for(ADA["email"]) == person_id


def test_a_container_started_before_a_key_was_added_verifies_tokens_signed_with_it(aws):
    # Given a warm API container that read the keys before key 2 was added
    event_id = create_event()
    sign_up([event_id], **ADA)
    person_id = services.get().person_id_for(ADA["email"])
    assert services.get().keys.signing.current == "1"
    first = json.loads(secret(aws, "SigningKeysSecret"))
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=aws.physical["SigningKeysSecret"],
        SecretString=json.dumps({**first, "2": "a-new-signing-key-" + "z" * 40}),
    )
    from shared.domain import tokens

    newer = tokens.Keys.of(secret(aws, "TokenSecret"), secret(aws, "SigningKeysSecret"))
    token = tokens.sign(tokens.Purpose.MANAGE, [person_id], FIXED_NOW + timedelta(days=1), newer)

    # When a link signed by an already-deployed function with key 2 reaches it
    assert manage(token) == 200

    # Then it read the keys again, and signs with key 2 from now on
    assert services.get().keys.signing.current == "2"


class OnlyTheseSecrets:
    """A Secrets Manager client that answers only for the secrets a function's role may read
    (template.yaml), and refuses any other as IAM would."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.client = boto3.client("secretsmanager", region_name=REGION)
        self.read: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.read.append(SecretId)
        if SecretId not in self.allowed:
            raise AssertionError(f"AccessDenied: this function's role may not read {SecretId}")
        return dict(self.client.get_secret_value(SecretId=SecretId))


def readable_by(aws: Any, function: str) -> set[str]:
    policies = template()["Resources"][function]["Properties"].get("Policies", [])
    refs = [
        policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]["Ref"]
        for policy in policies
        if isinstance(policy, dict) and "AWSSecretsManagerGetSecretValuePolicy" in policy
    ]
    return {aws.physical[ref] for ref in refs}


def as_function(aws: Any, function: str, monkeypatch: pytest.MonkeyPatch) -> OnlyTheseSecrets:
    """A fresh container of `function`, whose secret reads are held to its role."""
    monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
    services.reset()
    guard = OnlyTheseSecrets(readable_by(aws, function))
    services.override(secretsmanager=guard)
    return guard


def test_each_function_works_with_only_the_secrets_its_role_may_read(aws, monkeypatch):
    event_id = create_event(starts_at="2026-12-09T14:00:00")
    addresses = add_registrants(event_id, 2, now=clock.now())

    api = as_function(aws, "ApiFunction", monkeypatch)
    assert sign_up([event_id], **ADA).status == 201
    assert manage(token_from(text_part(outbox()[-1]), "/manage")) == 200
    assert set(api.read) == readable_by(aws, "ApiFunction")

    clock.freeze(FIXED_NOW.replace(month=12, day=9, hour=7))
    dispatch = as_function(aws, "DispatchFunction", monkeypatch)
    assert run_dispatch("2026-12-09T07:00:00Z")["events"][0]["queued"] == 3
    assert dispatch.read == []

    sender = as_function(aws, "SenderFunction", monkeypatch)
    pump(aws)
    assert join_emails_by_recipient() == {address: 1 for address in [*addresses, ADA["email"]]}
    assert set(sender.read) == {aws.physical["SigningKeysSecret"]}

    ses_events = as_function(aws, "SesEventsFunction", monkeypatch)
    assert handle(ses_event("bounce-permanent", ADA["email"])) == {"suppressed": 1, "ignored": 0}
    assert set(ses_events.read) == {aws.physical["TokenSecret"]}
