"""Signed, purpose-bound tokens for personal links, and the keyed hash that names a person.

A token is `<kid>.<payload>.<mac>`: the id of the key that signed it, then base64url payload and
MAC. The payload carries ids (never an address) and an expiry; the MAC is HMAC-SHA256 over the
purpose, the key id and the payload, so a manage token is no use as a join token and a key id
cannot be swapped. Verification is constant-time and every failure looks the same (`None`), so a
caller answers 404 without saying why.

Two secrets, two jobs (docs/admin-guide.md, "Rotate the signing key"):
- **The person-id key** (TokenSecret) names people: person ids, suppression markers, rate-limit
  keys. It never rotates: a new one would orphan every stored person.
- **The signing keys** (SigningKeysSecret) are a JSON object `{"<kid>": "<key>", ...}`, each key
  id a positive whole number: the highest signs new tokens, every one listed verifies. Rotating is
  adding a higher one, and removing the old one once every token it signed has expired.
Tokens made before key ids existed (`<payload>.<mac>`) were signed with a key derived from
TokenSecret, "the first key": they verify with it, and only it, until they expire. Nothing signs
with it any more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.models import normalise_address

MAC_BYTES = 18
KEY_ID = re.compile(r"[1-9][0-9]{0,5}")
MIN_KEY_LENGTH = 32
# A token naming a key this container does not know makes it read the signing keys again (a key
# added since it started), at most this often, so that bad tokens cannot make it read on each request.
RELOAD_AT_MOST_EVERY = timedelta(minutes=1)


class Purpose(StrEnum):
    MANAGE = "manage"
    JOIN = "join"
    UNSUBSCRIBE = "unsubscribe"
    # Opting out of admins' messages and follow-ups only (places and join links stay).
    MESSAGES = "messages"


def person_key(person_secret: str) -> bytes:
    """The person-id key, from TokenSecret: derived exactly as it always was, so ids never change."""
    return hmac.new(person_secret.encode(), b"co-production/person-id/v1", hashlib.sha256).digest()


def first_signing_key(person_secret: str) -> bytes:
    """The key every token without a key id was signed with (derived from TokenSecret)."""
    return hmac.new(person_secret.encode(), b"co-production/token-signing/v1", hashlib.sha256).digest()


class SigningKeys:
    """The signing keys by key id, and (lazily) the first key for tokens without one."""

    def __init__(self, keys: Mapping[str, bytes], first: Callable[[], bytes] | None = None) -> None:
        if not keys:
            raise ValueError("the signing keys secret lists no key")
        self.keys = dict(keys)
        self.current = max(self.keys, key=int)
        self._first = first
        self._first_key: bytes | None = None

    @classmethod
    def from_secret(cls, text: str, first: Callable[[], bytes] | None = None) -> SigningKeys:
        """Read `{"<kid>": "<key>", ...}`. A wrong shape raises ValueError naming the problem,
        never a key."""
        try:
            listed = json.loads(text)
        except ValueError:
            raise ValueError("the signing keys secret is not JSON") from None
        if not isinstance(listed, dict):
            raise ValueError('the signing keys secret must be a JSON object {"<key id>": "<key>"}')
        keys: dict[str, bytes] = {}
        for kid, material in listed.items():
            if not KEY_ID.fullmatch(kid):
                raise ValueError("a signing key id must be a whole number from 1 to 999999")
            if not isinstance(material, str) or len(material) < MIN_KEY_LENGTH:
                raise ValueError(f"signing key {kid} must be text of at least {MIN_KEY_LENGTH} characters")
            keys[kid] = hmac.new(
                material.encode(), b"co-production/token-signing/" + kid.encode(), hashlib.sha256
            ).digest()
        return cls(keys, first)

    def first(self) -> bytes | None:
        if self._first_key is None and self._first is not None:
            self._first_key = self._first()
        return self._first_key


class Keys:
    """The person-id key and the signing keys, each read from its own secret only when first
    needed (a function that never names a person never reads the person-id secret)."""

    def __init__(
        self,
        person: Callable[[], bytes],
        signing: Callable[[], SigningKeys],
    ) -> None:
        self._load_person = person
        self._load_signing = signing
        self._person: bytes | None = None
        self._signing: SigningKeys | None = None
        self._signing_read_at: datetime | None = None

    @classmethod
    def of(cls, person_secret: str, signing_secret: str) -> Keys:
        """From the two secrets' values (tests, the bench)."""
        return cls(
            lambda: person_key(person_secret),
            lambda: SigningKeys.from_secret(signing_secret, lambda: first_signing_key(person_secret)),
        )

    @property
    def person(self) -> bytes:
        if self._person is None:
            self._person = self._load_person()
        return self._person

    @property
    def signing(self) -> SigningKeys:
        if self._signing is None:
            self._signing = self._load_signing()
        return self._signing

    def verifying_key(self, kid: str, now: datetime) -> bytes | None:
        """The key `kid` names; once a minute at most, an unknown one makes us read the keys again."""
        known = self.signing.keys.get(kid)
        if known is not None:
            return known
        if self._signing_read_at is not None and now - self._signing_read_at < RELOAD_AT_MOST_EVERY:
            return None
        self._signing_read_at = now
        self._signing = self._load_signing()
        return self._signing.keys.get(kid)


def person_id_for(address: str, key: Keys) -> str:
    """The keyed hash of the trimmed, lower-cased address: the only name a person has in keys."""
    digest = hmac.new(key.person, normalise_address(address).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: Purpose, kid: str | None, payload: bytes) -> bytes:
    signed = purpose.value.encode() + b"\n" + (kid.encode() + b"\n" if kid is not None else b"") + payload
    return hmac.new(key, signed, hashlib.sha256).digest()[:MAC_BYTES]


def sign(purpose: Purpose, ids: list[str], expires_at: datetime, key: Keys) -> str:
    """A token for `ids`, signed with the newest signing key and naming it."""
    for part in ids:
        if "~" in part:
            raise ValueError("ids in a token must not contain '~'")
    payload = "~".join([*ids, format(int(expires_at.timestamp()), "x")]).encode()
    signing = key.signing
    kid = signing.current
    return f"{kid}.{_b64(payload)}.{_b64(_mac(signing.keys[kid], purpose, kid, payload))}"


def verify(purpose: Purpose, token: str, now: datetime, key: Keys) -> list[str] | None:
    """The ids the token carries, or None if it is malformed, tampered, expired, for another
    purpose, or signed with a key we do not hold."""
    parts = token.split(".")
    if len(parts) == 3 and KEY_ID.fullmatch(parts[0]):
        kid: str | None = parts[0]
        secret = key.verifying_key(parts[0], now)
    elif len(parts) == 2:
        kid, secret = None, key.signing.first()  # made before key ids: the first key only
    else:
        return None
    try:
        payload, mac = _unb64(parts[-2]), _unb64(parts[-1])
    except (ValueError, TypeError):
        return None
    if secret is None or not hmac.compare_digest(_mac(secret, purpose, kid, payload), mac):
        return None
    *ids, expiry = payload.decode().split("~")
    try:
        if int(expiry, 16) <= now.timestamp():
            return None
    except ValueError:
        return None
    return ids
