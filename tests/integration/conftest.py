"""Fixtures of the integration tests beyond the root conftest's `aws`."""

from __future__ import annotations

import pytest

from infra.local.sms import SmsInbox
from infra.testkit import ACCOUNT, PARAMETERS, REGION
from shared import services
from tests.conftest import judged_stack


@pytest.fixture
def texting(monkeypatch):
    """The `aws` stack deployed with SmsEnabled=true: SenderFunction's role holds the text grants."""
    with judged_stack(monkeypatch, {**PARAMETERS, "SmsEnabled": "true"}) as stack:
        monkeypatch.setenv("SMS_ENABLED", "true")
        monkeypatch.setenv("SES_MAX_SEND_RATE", "100000")
        monkeypatch.setenv("SMS_MAX_SEND_RATE", "100000")
        services.reset()
        SmsInbox(ACCOUNT, REGION).clear()
        yield stack
