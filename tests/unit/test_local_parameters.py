"""`make run` takes every template parameter as its name in UPPER_SNAKE, checked as CloudFormation
checks it (CONTRACT.md "Commands"), with switches as on/off, true/false, 1/0."""

from __future__ import annotations

import pytest

from infra.local.__main__ import parameters_from_environment, upper_snake
from infra.local.resources import load_template


def test_make_run_takes_every_template_parameter_in_upper_snake(monkeypatch):
    monkeypatch.setenv("NOTICES_EMAIL", "notices@example.org")
    monkeypatch.setenv("ALERT_EMAIL", "")

    found = parameters_from_environment(load_template())

    assert upper_snake("NoticesEmail") == "NOTICES_EMAIL"
    assert upper_snake("ApiThrottlingRateLimit") == "API_THROTTLING_RATE_LIMIT"
    assert found["NoticesEmail"] == "notices@example.org"
    assert "AlertEmail" not in found  # empty: the template's default stands


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("SENDER_ADDRESS", "Events <events@example.org>", "SENDER_ADDRESS='Events <events@example.org>': "),
        ("SENDER_ADDRESS", "example.org", "SENDER_ADDRESS='example.org': "),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose': "),
        ("LOG_RETENTION_DAYS", "2", "LOG_RETENTION_DAYS='2': "),
        ("PUBLIC_BASE_URL", "http://events.example.org", "PUBLIC_BASE_URL='http://events.example.org': "),
    ],
)
def test_make_run_refuses_what_sam_deploy_would_refuse_naming_the_variable(
    monkeypatch, variable, value, said
):
    template = load_template()
    monkeypatch.setenv(variable, value)
    parameter = next(name for name in template["Parameters"] if upper_snake(name) == variable)
    spec = template["Parameters"][parameter]

    with pytest.raises(SystemExit) as refused:
        parameters_from_environment(template)

    message = str(refused.value)
    assert message.startswith(said)
    assert message.endswith(
        spec.get("ConstraintDescription") or ", ".join(str(v) for v in spec["AllowedValues"])
    )


def test_make_run_takes_on_off_and_1_0_for_a_true_false_parameter(monkeypatch):
    template = {"Parameters": {"SmsEnabled": {"Type": "String", "AllowedValues": ["true", "false"]}}}
    for given, stored in (("on", "true"), ("1", "true"), ("TRUE", "true"), ("off", "false"), ("0", "false")):
        monkeypatch.setenv("SMS_ENABLED", given)
        assert parameters_from_environment(template) == {"SmsEnabled": stored}
    monkeypatch.setenv("SMS_ENABLED", "maybe")
    with pytest.raises(SystemExit, match="SMS_ENABLED='maybe': give on or off"):
        parameters_from_environment(template)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/thanks.html", "http://localhost/thanks", "https://www.example.org/thanks"]
)
def test_a_page_on_this_machine_may_be_http_anywhere_else_it_must_be_https(monkeypatch, url):
    monkeypatch.setenv("SIGNUP_REDIRECT_URL", url)
    assert parameters_from_environment(load_template())["SignupRedirectUrl"] == url

    monkeypatch.setenv("SIGNUP_REDIRECT_URL", "http://localhost.example.org/thanks")
    with pytest.raises(SystemExit, match=r"^SIGNUP_REDIRECT_URL='http://localhost\.example\.org/thanks': "):
        parameters_from_environment(load_template())
