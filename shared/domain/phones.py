"""Mobile numbers for the morning text (issue 12): what a person types, checked and stored in
E.164 (`+447400123456`), and shown back masked (`+44 7*** ***456`).

Only mobile numbers in the allowed countries (the `SmsCountries` parameter; the UK by default)
are taken: premium-rate, shared-cost, freephone and foreign numbers invite SMS-pumping fraud, where
a robot signs up numbers that pay someone per text received. Checking is Google's libphonenumber
(the `phonenumberslite` package), imported on first use only: most requests never hold a phone.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_COUNTRIES = ("GB",)
MAX_TYPED = 32  # longer than any way of writing a phone number with spaces and a +44 prefix
# What people put between digits; anything else (letters, a second +, an extension) is refused.
SEPARATORS = " -().\u00a0"


# "UK" is ISO 3166's exceptionally reserved code for GB: what an admin is most likely to write.
_REGION_ALIASES = {"UK": "GB"}


def _region(code: str) -> str:
    code = code.strip().upper()
    return _REGION_ALIASES.get(code, code)


class PhoneRefused(ValueError):
    """The number cannot be texted; `reason` says why, as a sentence for the person who typed it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mobile_number(typed: str, countries: Iterable[str] = DEFAULT_COUNTRIES) -> str:
    """`typed` as an E.164 mobile number in one of `countries` (ISO 3166 codes), or PhoneRefused.
    A number without a country prefix is read as the first country's."""
    allowed = tuple(_region(code) for code in countries if code.strip()) or DEFAULT_COUNTRIES
    text = typed.strip()
    if not text:
        raise PhoneRefused("give a mobile number, like 07400 123456")
    if len(text) > MAX_TYPED:
        raise PhoneRefused(f"is too long; give a mobile number of at most {MAX_TYPED} characters")
    body = text.removeprefix("+")
    if not body or any(not (c.isascii() and c.isdigit()) and c not in SEPARATORS for c in body):
        raise PhoneRefused("give only the digits of a mobile number, like 07400 123456")

    import phonenumbers

    try:
        number = phonenumbers.parse(text, allowed[0])
    except phonenumbers.NumberParseException:
        raise PhoneRefused("is not a phone number; give a mobile number, like 07400 123456") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneRefused("is not a phone number in use; check it and try again")
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed:
        raise PhoneRefused(
            "we can only text mobile numbers in the UK"
            if allowed == DEFAULT_COUNTRIES
            else f"we can only text mobile numbers in {', '.join(allowed)}"
        )
    # FIXED_LINE_OR_MOBILE: where numbering does not tell them apart (the US, Canada: every number
    # there); only met in a country SmsCountries lists besides the UK, whose mobiles are MOBILE.
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if phonenumbers.number_type(number) not in kinds:
        raise PhoneRefused("is not a mobile number; we can only text mobiles")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def masked(e164: str) -> str:
    """A stored number as the confirmation shows it: the country code, the first digit and the
    last three (`+44 7*** ***456`). Enough for the person to recognise, too little to use."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    national = str(number.national_number)
    hidden = "*" * max(len(national) - 4, 0)
    return f"+{number.country_code} {national[0]}{hidden[:3]} {hidden[3:]}{national[-3:]}"
