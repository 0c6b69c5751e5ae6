"""Mobile numbers for the morning text (issue 12, first slice): only UK mobiles by default, stored
in E.164, shown masked; premium, landline, freephone, foreign and vanity numbers refused."""

from __future__ import annotations

import pytest

from shared.domain.phones import MAX_TYPED, PhoneRefused, masked, mobile_number


@pytest.mark.parametrize(
    "typed",
    [
        "07400 123456",
        "+44 7400 123456",
        "0044 7400 123456",
        "(07400) 123-456",
        " 07400123456 ",
        "+447400123456",
    ],
)
def test_a_uk_mobile_written_any_usual_way_is_stored_the_same(typed):
    assert mobile_number(typed) == "+447400123456"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "give a mobile number, like 07400 123456"),
        ("020 7946 0000", "is not a mobile number; we can only text mobiles"),  # a London landline
        ("0800 123 4567", "is not a mobile number; we can only text mobiles"),  # freephone
        ("09098 790123", "is not a mobile number; we can only text mobiles"),  # premium rate
        ("07700 900123", "is not a phone number in use; check it and try again"),  # Ofcom's drama range
        ("+33 6 12 34 56 78", "we can only text mobile numbers in the UK"),
        ("07911 123456", "we can only text mobile numbers in the UK"),  # Guernsey: +44, not the UK
        ("0800 FLOWERS", "give only the digits of a mobile number, like 07400 123456"),
        ("07400 123456 ext. 2", "give only the digits of a mobile number, like 07400 123456"),
        ("07400\u200b123456", "give only the digits of a mobile number, like 07400 123456"),
        (
            "\uff10\uff17\uff14\uff10\uff10\uff11\uff12\uff13\uff14\uff15\uff16",
            "give only the digits of a mobile number, like 07400 123456",
        ),  # wide digits
        ("++447400123456", "give only the digits of a mobile number, like 07400 123456"),
        ("1" * (MAX_TYPED + 1), f"is too long; give a mobile number of at most {MAX_TYPED} characters"),
    ],
)
def test_what_cannot_be_texted_is_refused_with_a_reason(typed, reason):
    with pytest.raises(PhoneRefused) as refused:
        mobile_number(typed)
    assert refused.value.reason == reason


def test_other_countries_only_when_listed_and_a_local_number_reads_as_the_first():
    assert mobile_number("+33 6 12 34 56 78", ["GB", "FR"]) == "+33612345678"
    assert mobile_number("06 12 34 56 78", ["FR", "GB"]) == "+33612345678"
    with pytest.raises(PhoneRefused, match="in GB, FR"):
        mobile_number("+1 202 555 0143", ["GB", "FR"])


def test_a_stored_number_is_shown_masked():
    assert masked("+447400123456") == "+44 7*** ***456"
    assert masked("+33612345678") == "+33 6*** **678"


def test_a_country_that_cannot_tell_mobiles_from_landlines_by_number_can_be_listed():
    # libphonenumber cannot tell a US or Canadian mobile from a landline (FIXED_LINE_OR_MOBILE):
    # listing US must not refuse every American number as "not a mobile".
    assert mobile_number("+1 201 555 0123", ["GB", "US"]) == "+12015550123"
    assert mobile_number("(201) 555-0123", ["US"]) == "+12015550123"
    with pytest.raises(PhoneRefused, match="not a mobile"):
        mobile_number("+1 900 555 0123", ["US"])  # premium rate stays refused


def test_uk_in_smscountries_means_the_uk():
    # A tired admin writes SmsCountries=UK (the template's pattern allows any two capitals): not
    # every sign-up with a number refused, but UK mobiles, as GB says.
    assert mobile_number("07400 123456", ["UK"]) == "+447400123456"
    assert mobile_number("+44 7400 123456", ["FR", "UK"]) == "+447400123456"
