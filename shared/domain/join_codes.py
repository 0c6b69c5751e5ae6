"""The short personal join link of the morning text, `/j/<code>` (issue 12).

A text has 160 characters, and `/join/<token>` alone takes about 80, so the text carries a code of
12 characters that names a stored item instead (shared/stores/join_codes.py), which holds the
event and person ids. The code is HMAC-SHA256 with the person-id key over a label of its own
(`co-production/join-code/v1`, unlike every token purpose and the person id's own input) and the
two ids: the same place always gets the same code, so a retried send writes the same item, and
nobody without the key can make or predict one. Its first 60 bits are written in 32 characters
that cannot be mistaken for each other (no 0, 1, l, o): 2^60 codes, so guessing one that exists
is hopeless at any request rate API Gateway allows. A code read back is lower-cased first (a
person copying it by hand may type capitals); anything else, of any other length or character,
is not a code.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"  # 32 characters: 5 bits each
LENGTH = 12  # 60 bits
LABEL = b"co-production/join-code/v1"
_ALLOWED = frozenset(ALPHABET)


def join_code(person_key: bytes, event_id: str, person_id: str) -> str:
    """The code for one person's place at one event."""
    if "\n" in event_id or "\n" in person_id:
        raise ValueError("ids in a join code must not contain a line break")
    message = LABEL + b"\n" + event_id.encode() + b"\n" + person_id.encode()
    number = int.from_bytes(hmac.new(person_key, message, hashlib.sha256).digest()[:8], "big") >> 4
    return "".join(ALPHABET[(number >> (5 * (LENGTH - 1 - i))) & 31] for i in range(LENGTH))


def read_code(text: str) -> str | None:
    """`text` as a code (lower-cased), or None when it cannot be one (any length but 12, any
    character outside the alphabet): not worth a table read."""
    code = text.lower()
    if len(code) != LENGTH or not _ALLOWED.issuperset(code):
        return None
    return code
