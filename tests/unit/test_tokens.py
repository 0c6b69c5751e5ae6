"""Signed, purpose-bound tokens and the keyed hash that names a person (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.tokens import Keys, Purpose, person_id_for, sign, verify

KEY = Keys.from_secret("a-test-secret-that-is-long-enough-for-hmac")
OTHER_KEY = Keys.from_secret("another-secret")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_a_token_carries_its_ids_back():
    token = sign(Purpose.JOIN, ["2026-12-09-digital", "abc123"], LATER, KEY)
    assert verify(Purpose.JOIN, token, NOW, KEY) == ["2026-12-09-digital", "abc123"]


def test_a_token_is_no_use_for_another_purpose():
    token = sign(Purpose.MANAGE, ["abc123"], LATER, KEY)
    assert verify(Purpose.UNSUBSCRIBE, token, NOW, KEY) is None
    assert verify(Purpose.JOIN, token, NOW, KEY) is None


def test_an_expired_token_is_refused():
    token = sign(Purpose.MANAGE, ["abc123"], NOW, KEY)
    assert verify(Purpose.MANAGE, token, NOW, KEY) is None
    assert verify(Purpose.MANAGE, token, NOW - timedelta(seconds=1), KEY) == ["abc123"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: ("x" if t[0] != "x" else "y") + t[1:],
        lambda t: t.replace(".", ""),
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "%%%.%%%",
    ],
)
def test_a_tampered_or_malformed_token_is_refused(mangle):
    token = sign(Purpose.MANAGE, ["abc123"], LATER, KEY)
    assert verify(Purpose.MANAGE, mangle(token), NOW, KEY) is None


def test_a_token_signed_with_another_key_is_refused():
    token = sign(Purpose.MANAGE, ["abc123"], LATER, OTHER_KEY)
    assert verify(Purpose.MANAGE, token, NOW, KEY) is None


def test_a_token_carries_no_address_and_ids_cannot_smuggle_separators():
    token = sign(Purpose.MANAGE, [person_id_for("ada@example.org", KEY)], LATER, KEY)
    assert "ada" not in token and "example" not in token
    with pytest.raises(ValueError):
        sign(Purpose.MANAGE, ["a~b"], LATER, KEY)


def test_the_person_id_ignores_case_and_surrounding_space_and_depends_on_the_key():
    assert person_id_for(" Alice@Example.org ", KEY) == person_id_for("alice@example.org", KEY)
    assert person_id_for("alice@example.org", KEY) != person_id_for("bob@example.org", KEY)
    assert person_id_for("alice@example.org", KEY) != person_id_for("alice@example.org", OTHER_KEY)
    assert len(person_id_for("alice@example.org", KEY)) == 32
