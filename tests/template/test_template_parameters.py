"""Every address, URL and list parameter checks its form, so a wrong answer to `sam deploy --guided`
stops the deploy before the change set instead of breaking every email afterwards.

CloudFormation's AllowedPattern is a Java regular expression matched against the whole value; the
patterns keep to the syntax Java and Python share, so `re.fullmatch` judges them as CloudFormation does.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

ADDRESSES = ["SenderAddress", "AlertEmail", "NoticesEmail"]
URLS = ["PublicBaseUrl", "SignupRedirectUrl", "PrivacyNoticeUrl"]
LISTS = ["AllowedOrigins", "JoinUrlHosts"]
HOSTS = ["CustomDomainName", "CertificateArn"]
NAMES = ["RestoredTableName"]
TEXTS = ["SmsCountries", "SmsSenderId", "SmsOriginationNumber"]

GOOD = {
    "SenderAddress": ["events@example.org", "first.last+events@mail.example.co.uk", "o'brien@example.org"],
    "AlertEmail": ["", "alerts@example.org"],
    "NoticesEmail": ["", "notices@charity.org.uk"],
    "PublicBaseUrl": [
        "",
        "https://events.example.org",
        "https://abc123.execute-api.eu-west-2.amazonaws.com",
        "https://www.example.org/events",
        "https://localhost:8443",
    ],
    "SignupRedirectUrl": ["", "https://www.example.org/thanks", "https://www.example.org/thanks?from=form"],
    "PrivacyNoticeUrl": ["", "https://www.example.org/privacy#events"],
    "AllowedOrigins": ["", "https://www.example.org", "https://www.example.org,https://example.org"],
    "JoinUrlHosts": ["", "meet.example.org", "meet.example.org,teams.microsoft.com"],
    "CustomDomainName": ["", "events.example.org"],
    "CertificateArn": ["", f"arn:aws:acm:eu-west-2:123456789012:certificate/{'0a1b2c3d-' * 3}4444"],
    "RestoredTableName": ["", "abc", "conversations-restored-20261130", "My_Table.v2", "t" * 255],
    "SmsCountries": ["GB", "GB,IE", "GB,IE,FR"],
    "SmsSenderId": ["CoProduce", "A", "Events2026", "X1"],
    "SmsOriginationNumber": ["", "+447700900123", "+12025550123"],
}

BAD = {
    "SenderAddress": [
        "",
        "example.org",
        "Name <a@b.org>",
        "<a@b.org>",
        "a@b",
        "a@@b.org",
        "a@b.org, c@d.org",
        "a b@example.org",
        "events@example.org\n",
    ],
    "AlertEmail": ["example.org", "Alerts <alerts@example.org>", "alerts@example"],
    "NoticesEmail": ["notices@", "a@b.org;c@d.org"],
    "PublicBaseUrl": [
        "http://events.example.org",
        "events.example.org",
        "https://",
        "https://events.example.org?x=1",
        "https://events.example.org/a b",
        "TODO",
    ],
    "SignupRedirectUrl": ["http://www.example.org/thanks", "www.example.org/thanks", "https://x.org/a b"],
    "PrivacyNoticeUrl": ["http://www.example.org/privacy", "/privacy", "javascript:alert(1)"],
    "AllowedOrigins": ["www.example.org", "https://a.org, https://b.org", "https://a.org,", "*"],
    "JoinUrlHosts": ["https://meet.example.org", "Meet.Example.org", "meet.example.org, zoom.us", "local"],
    "CustomDomainName": ["https://events.example.org", "events.example.org/", "Events.Example.org"],
    "CertificateArn": ["certificate/abc", "arn:aws:iam::123456789012:role/x"],
    "RestoredTableName": [
        "ab",
        "t" * 256,
        "restored table",
        "arn:aws:dynamodb:eu-west-2:123456789012:table/restored",
        "restored/index",
        "restored-table\n",
    ],
    # Lower case, spaces or a country name would make every number's check fail or refuse all.
    "SmsCountries": ["", "gb", "GB, IE", "GB,", "GBR", "*"],
    # Sender IDs need a letter, and carriers drop ones with spaces or symbols.
    "SmsSenderId": ["", "12345", "Co Produce", "Co-Produce", "Café"],
    "SmsOriginationNumber": ["07700900123", "447700900123", "+0447700900123", "+44 7700 900123", "+44"],
}


def pattern_of(sam_template: dict[str, Any], name: str) -> str:
    parameter = sam_template["Parameters"][name]
    assert "AllowedPattern" in parameter, f"{name} has no AllowedPattern"
    return str(parameter["AllowedPattern"])


@pytest.mark.parametrize("name", ADDRESSES + URLS + LISTS + HOSTS + NAMES + TEXTS)
def test_every_address_url_and_list_parameter_has_a_pattern_explained_in_plain_words(
    sam_template: dict[str, Any], name: str
) -> None:
    parameter = sam_template["Parameters"][name]

    assert parameter.get("AllowedPattern"), name
    # What CloudFormation shows when the value is refused: an example, not the regular expression.
    assert "such as" in parameter.get("ConstraintDescription", ""), name


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_pattern_accepts_good_values_and_the_default(sam_template: dict[str, Any], name: str) -> None:
    pattern = pattern_of(sam_template, name)
    default = sam_template["Parameters"][name].get("Default")

    for value in GOOD[name] + ([str(default)] if default is not None else []):
        assert re.fullmatch(pattern, value), f"{name} refuses {value!r}"


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_pattern_refuses_bad_values(sam_template: dict[str, Any], name: str) -> None:
    pattern = pattern_of(sam_template, name)

    for value in BAD[name]:
        assert not re.fullmatch(pattern, value), f"{name} accepts {value!r}"


def test_the_deploy_answers_the_template_tests_use_pass_their_own_patterns(
    sam_template: dict[str, Any],
) -> None:
    from tests.template.template_support import DEPLOY_PARAMETERS

    for name, value in DEPLOY_PARAMETERS.items():
        assert re.fullmatch(pattern_of(sam_template, name), value), name


def test_texts_are_off_unless_an_admin_says_true(sam_template: dict[str, Any]) -> None:
    enabled = sam_template["Parameters"]["SmsEnabled"]

    assert (enabled["Default"], sorted(enabled["AllowedValues"])) == ("false", ["false", "true"])
    # A UK alphanumeric sender ID is at most 11 characters; the default fits and the pattern's own
    # limit is MaxLength (CloudFormation checks both).
    sender = sam_template["Parameters"]["SmsSenderId"]
    assert sender["MaxLength"] == 11 and len(sender["Default"]) <= 11
