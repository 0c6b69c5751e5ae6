"""Signed, purpose-bound tokens and the keyed hash that names a person (no AWS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.tokens import Keys, Purpose, SigningKeys, person_id_for, sign, verify

PERSON_SECRET = "a-test-secret-that-is-long-enough-for-hmac"
KEY_1 = "k1-" + "a" * 40
KEY_2 = "k2-" + "b" * 40
KEY = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1}))
OTHER_KEY = Keys.of("another-secret", json.dumps({"1": "another-signing-key-" + "c" * 30}))
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
        lambda t: t.split(".", 1)[1],  # the key id taken away: then only the first key would do
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


# --- key ids and rotation ----------------------------------------------------------------------------


def legacy_token(purpose: Purpose, ids: list[str], expires_at: datetime, person_secret: str) -> str:
    """A token exactly as made before key ids existed: `<payload>.<mac>`, the MAC by the key
    derived from TokenSecret over the purpose and the payload."""
    root = person_secret.encode()
    signing = hmac.new(root, b"co-production/token-signing/v1", hashlib.sha256).digest()
    payload = "~".join([*ids, format(int(expires_at.timestamp()), "x")]).encode()
    mac = hmac.new(signing, purpose.value.encode() + b"\n" + payload, hashlib.sha256).digest()[:18]
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return f"{b64(payload)}.{b64(mac)}"


def test_every_new_token_names_the_newest_key():
    keys = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1, "2": KEY_2}))

    token = sign(Purpose.MANAGE, ["abc123"], LATER, keys)

    assert token.split(".")[0] == "2"
    assert verify(Purpose.MANAGE, token, NOW, keys) == ["abc123"]


def test_an_old_token_without_a_key_id_still_verifies_with_the_first_key_until_it_expires():
    old = legacy_token(Purpose.MANAGE, ["abc123"], LATER, PERSON_SECRET)
    keys = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1, "2": KEY_2}))

    assert verify(Purpose.MANAGE, old, NOW, keys) == ["abc123"]
    assert verify(Purpose.MANAGE, old, LATER, keys) is None  # expired
    assert verify(Purpose.JOIN, old, NOW, keys) is None  # purpose still bound
    # only the first key: another TokenSecret, or a signing key, does not verify it
    assert verify(Purpose.MANAGE, old, NOW, OTHER_KEY) is None
    assert verify(Purpose.MANAGE, "1." + old, NOW, keys) is None


def test_a_token_with_a_key_id_verifies_with_that_key_only():
    only_1 = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1}))
    only_2 = Keys.of(PERSON_SECRET, json.dumps({"2": KEY_2}))
    token = sign(Purpose.MANAGE, ["abc123"], LATER, only_2)
    payload_and_mac = token.split(".", 1)[1]

    assert verify(Purpose.MANAGE, token, NOW, only_2) == ["abc123"]
    # the same key id, other key material under it: refused
    assert verify(Purpose.MANAGE, token, NOW, Keys.of(PERSON_SECRET, json.dumps({"2": KEY_1}))) is None
    # key 2's token relabelled as key 1's: refused, by a holder of both
    both = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1, "2": KEY_2}))
    assert verify(Purpose.MANAGE, "1." + payload_and_mac, NOW, both) is None
    # nor is it a token without a key id (the first key)
    assert verify(Purpose.MANAGE, payload_and_mac, NOW, both) is None
    assert verify(Purpose.MANAGE, token, NOW, only_1) is None  # unknown key id


@pytest.mark.parametrize("kid", ["3", "0", "01", "x", "", "1 ", "9999999", "-1"])
def test_a_tampered_or_unknown_key_id_is_refused(kid):
    keys = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1, "2": KEY_2}))
    token = sign(Purpose.MANAGE, ["abc123"], LATER, keys)

    assert verify(Purpose.MANAGE, kid + "." + token.split(".", 1)[1], NOW, keys) is None


def test_rotation_keeps_old_tokens_working_until_their_key_is_removed():
    before = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1}))
    old = sign(Purpose.JOIN, ["event", "abc123"], LATER, before)
    legacy = legacy_token(Purpose.JOIN, ["event", "abc123"], LATER, PERSON_SECRET)

    # an admin adds key 2: new tokens name it, and every older token still verifies
    during = Keys.of(PERSON_SECRET, json.dumps({"1": KEY_1, "2": KEY_2}))
    new = sign(Purpose.JOIN, ["event", "abc123"], LATER, during)
    assert new.split(".")[0] == "2"
    for token in (old, legacy, new):
        assert verify(Purpose.JOIN, token, NOW, during) == ["event", "abc123"]

    # once key 1's tokens have all expired, it is removed: only its tokens stop
    after = Keys.of(PERSON_SECRET, json.dumps({"2": KEY_2}))
    assert verify(Purpose.JOIN, new, NOW, after) == ["event", "abc123"]
    assert verify(Purpose.JOIN, old, NOW, after) is None


def test_person_ids_do_not_change_when_the_signing_keys_rotate():
    # The derivation used before key ids existed, written out: ids stored then must still match.
    root_key = hmac.new(PERSON_SECRET.encode(), b"co-production/person-id/v1", hashlib.sha256).digest()
    stored = hmac.new(root_key, b"ada@example.org", hashlib.sha256).hexdigest()[:32]

    for signing in ({"1": KEY_1}, {"1": KEY_1, "2": KEY_2}, {"2": KEY_2}):
        assert person_id_for("Ada@Example.org", Keys.of(PERSON_SECRET, json.dumps(signing))) == stored


def test_a_container_reads_the_keys_again_for_a_key_added_since_but_at_most_once_a_minute():
    reads: list[int] = []
    secrets = [json.dumps({"1": KEY_1}), json.dumps({"1": KEY_1, "2": KEY_2})]

    def load() -> SigningKeys:
        reads.append(1)
        return SigningKeys.from_secret(secrets[min(len(reads), 2) - 1])

    container = Keys(lambda: b"unused", load)
    assert container.signing.current == "1"
    from_newer = sign(Purpose.MANAGE, ["abc123"], LATER, Keys.of(PERSON_SECRET, secrets[1]))

    assert verify(Purpose.MANAGE, from_newer, NOW, container) == ["abc123"]
    assert len(reads) == 2 and container.signing.current == "2"
    unknown = "7." + from_newer.split(".", 1)[1]
    assert verify(Purpose.MANAGE, unknown, NOW, container) is None
    assert verify(Purpose.MANAGE, unknown, NOW + timedelta(seconds=30), container) is None
    assert len(reads) == 2  # bad key ids cannot make it read the secret on every request
    verify(Purpose.MANAGE, unknown, NOW + timedelta(minutes=2), container)
    assert len(reads) == 3


@pytest.mark.parametrize(
    "secret",
    ["not json", "[]", "{}", '{"a": "' + "x" * 40 + '"}', '{"1": "short"}', '{"1": 5}'],
)
def test_a_malformed_signing_keys_secret_is_refused_without_quoting_it(secret):
    with pytest.raises(ValueError) as refused:
        SigningKeys.from_secret(secret)

    assert "x" * 10 not in str(refused.value) and "short" not in str(refused.value)
