"""The short join link's code: 12 characters of an unambiguous alphabet, 60 bits of HMAC with the
person-id key over its own label and the two ids."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from shared.domain import tokens
from shared.domain.join_codes import ALPHABET, LABEL, LENGTH, join_code, read_code
from shared.domain.links import Links

KEY = tokens.person_key("a-person-secret-of-enough-length-0123456789")


def test_a_code_is_twelve_unambiguous_url_safe_characters_and_60_bits():
    code = join_code(KEY, "ev1", "p" * 32)
    assert len(code) == LENGTH == 12
    assert set(code) <= set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 32  # 5 bits each: 60 bits in all
    assert not set("01lo") & set(ALPHABET)
    assert all(c.isascii() and (c.isdigit() or c.islower()) for c in ALPHABET)  # nothing to escape in a URL


def test_the_code_is_the_same_for_the_same_place_and_differs_for_any_other():
    code = join_code(KEY, "ev1", "person-a")
    assert join_code(KEY, "ev1", "person-a") == code
    others = {
        join_code(KEY, "ev2", "person-a"),
        join_code(KEY, "ev1", "person-b"),
        join_code(tokens.person_key("another-person-secret-of-enough-length-0123"), "ev1", "person-a"),
        # the boundary between the ids is part of what is signed
        join_code(KEY, "ev1p", "erson-a"),
    }
    assert code not in others and len(others) == 4


def test_the_code_is_the_top_60_bits_of_its_own_hmac_label_not_a_tokens_or_a_person_ids():
    digest = hmac.new(KEY, LABEL + b"\nev1\nperson-a", hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> 4
    expected = "".join(ALPHABET[(number >> (5 * (11 - i))) & 31] for i in range(12))
    assert join_code(KEY, "ev1", "person-a") == expected
    assert LABEL.decode() not in {p.value for p in tokens.Purpose}
    assert LABEL != b"co-production/person-id/v1"


def test_a_line_break_in_an_id_is_refused():
    with pytest.raises(ValueError):
        join_code(KEY, "ev1\n", "p")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("abcdefghjk23", "abcdefghjk23"),
        ("ABCDEFGHJK23", "abcdefghjk23"),  # typed from the screen in capitals
        ("abcdefghjk2", None),  # too short
        ("abcdefghjk234", None),  # too long
        ("abcdefghjk2" + "3" * 500, None),
        ("abcdefghjk20", None),  # 0 is not in the alphabet
        ("abcdefghjkl3", None),
        ("abcdefghjk2.", None),
        ("abcdefghjk2\u0437", None),
        ("", None),
    ],
)
def test_read_code_takes_only_what_can_be_a_code(typed, read):
    assert read_code(typed) == read


def test_the_short_link_is_the_base_and_the_code():
    links = Links("https://events.example.org/", tokens.Keys.of("x" * 40, '{"1": "' + "k" * 40 + '"}'))
    assert links.short_join("abcdefghjk23") == "https://events.example.org/j/abcdefghjk23"
