"""PublicBaseUrl may stay empty on a first deploy: ApiFunction builds links from its own URL, as
API Gateway reports it in each request (CONTRACT.md "Deploying")."""

from __future__ import annotations

import pytest

from infra.testkit import BASE_URL
from infra.testkit.api import LambdaContext, http_event, outbox
from shared import services
from shared.config import get_settings, observe_base_url, reset_settings
from shared.domain.links import Links
from tests.integration.helpers import create_event, person, text_part

API_DOMAIN = "a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com"


def empty_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the template deploys ApiFunction when neither PublicBaseUrl nor a custom domain is set."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    reset_settings()
    services.reset()


def sign_up_through(domain: str, stage: str, event_id: str, host: str) -> int:
    from functions.api.handler import lambda_handler

    event = http_event(
        "POST", "/signups", json_body={**person(), "event_ids": [event_id]}, headers={"host": host}
    )
    event["requestContext"] = {**event["requestContext"], "domainName": domain, "stage": stage}
    return int(lambda_handler(event, LambdaContext())["statusCode"])


def test_with_no_public_base_url_the_confirmation_links_point_at_the_apis_own_url(aws, monkeypatch):
    event_id = create_event()
    empty_public_base_url(monkeypatch)

    # The Host header is the caller's to write; the links come from API Gateway's requestContext.
    status = sign_up_through(API_DOMAIN, "$default", event_id, host="attacker.example.net")

    assert status == 201
    (message,) = outbox()
    text = text_part(message)
    assert f"https://{API_DOMAIN}/manage?token=" in text
    assert "attacker.example.net" not in text
    assert BASE_URL not in text


def test_a_named_stage_is_part_of_the_observed_url(aws, monkeypatch):
    empty_public_base_url(monkeypatch)

    observe_base_url({"domainName": API_DOMAIN, "stage": "prod"})

    assert get_settings().public_base_url == f"https://{API_DOMAIN}/prod"


def test_a_public_base_url_that_is_set_wins_over_the_request(aws):
    observe_base_url({"domainName": API_DOMAIN, "stage": "$default"})

    assert get_settings().public_base_url == BASE_URL


def test_links_without_an_absolute_base_refuse_to_be_built_rather_than_send_relative_links(aws):
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        Links("", services.get().keys)
