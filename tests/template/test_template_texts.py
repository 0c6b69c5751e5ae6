"""The morning text (issue 12) in template.yaml: off by default, and then no function may send a
text; on, SenderFunction alone may, and every function is told how texts are set."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template.template_support import allowed_actions, role_statements

FUNCTIONS = ("ApiFunction", "AdminFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction")
TEXT_ACTIONS = {"sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"}


def _on_any_resource(statements: list[dict[str, Any]]) -> set[str]:
    """The SNS actions granted on `*` (a phone number has no ARN: that is how texts are granted)."""
    found: set[str] = set()
    for statement in statements:
        resources = statement.get("Resource")
        if statement.get("Effect") == "Allow" and resources in ("*", ["*"]):
            found |= {a for a in allowed_actions([statement]) if a.startswith("sns:")}
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_with_texts_off_no_function_may_send_a_text(cfn_template: dict[str, Any], function: str) -> None:
    assert _on_any_resource(role_statements(cfn_template, function)) == set()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_with_texts_on_only_the_sender_may_send_them(cfn_template: dict[str, Any], function: str) -> None:
    granted = _on_any_resource(role_statements(cfn_template, function, {"SmsEnabled": "true"}))

    assert granted == (TEXT_ACTIONS if function == "SenderFunction" else set())


def test_every_function_is_told_the_text_settings_and_the_sender_its_rate(
    sam_template: dict[str, Any],
) -> None:
    variables = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    expected = {
        "SMS_ENABLED": "SmsEnabled",
        "SMS_COUNTRIES": "SmsCountries",
        "SMS_SENDER_ID": "SmsSenderId",
        "SMS_ORIGINATION_NUMBER": "SmsOriginationNumber",
    }

    assert {name: variables[name] for name in expected} == {n: {"Ref": p} for n, p in expected.items()}
    sender = sam_template["Resources"]["SenderFunction"]["Properties"]["Environment"]["Variables"]
    assert sender["SMS_MAX_SEND_RATE"] == {"Ref": "SmsMaxSendRate"}


def _reads_the_person_key(statements: list[dict[str, Any]]) -> bool:
    return any(
        "secretsmanager:GetSecretValue" in allowed_actions([s])
        and s.get("Resource") == {"Ref": "TokenSecret"}
        for s in statements
    )


def test_the_sender_reads_the_person_id_key_only_when_texts_are_on(cfn_template: dict[str, Any]) -> None:
    # The short link's code and the one-text-per-number claim are keyed with it; emails need neither.
    assert not _reads_the_person_key(role_statements(cfn_template, "SenderFunction"))
    assert _reads_the_person_key(role_statements(cfn_template, "SenderFunction", {"SmsEnabled": "true"}))
