"""The local stack's yes/no settings (SEED, SIGNUP_LIMITS, IAM, LOCAL_ACCESS_LOG): CONTRACT.md says
switches accept true/false, on/off, 1/0; anything else stops `make run` with a message naming it."""

from __future__ import annotations

import pytest

from infra.local.switches import switch


@pytest.mark.parametrize("value", ["true", "on", "1", "yes", "TRUE", " On ", "Yes"])
def test_every_spelling_of_on_is_on(monkeypatch, value):
    monkeypatch.setenv("IAM", value)
    assert switch("IAM", False) is True


@pytest.mark.parametrize("value", ["false", "off", "0", "no", "FALSE", " Off", "No"])
def test_every_spelling_of_off_is_off(monkeypatch, value):
    monkeypatch.setenv("SIGNUP_LIMITS", value)
    assert switch("SIGNUP_LIMITS", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_is_the_default(monkeypatch, default):
    monkeypatch.delenv("SEED", raising=False)
    assert switch("SEED", default) is default
    monkeypatch.setenv("SEED", "  ")
    assert switch("SEED", default) is default


@pytest.mark.parametrize("value", ["banana", "2", "enabled", "o n"])
def test_anything_else_stops_with_the_name_and_what_to_give(monkeypatch, value):
    monkeypatch.setenv("IAM", value)
    with pytest.raises(SystemExit) as stopped:
        switch("IAM", False)
    assert str(stopped.value) == f"IAM={value!r}: give on or off (true/false and 1/0 work too)"
