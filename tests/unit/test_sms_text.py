"""The morning text: GSM-7 only, one segment, the title shortened with "...", the link intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import gsm0338  # noqa: F401  (registers the codec the assertions encode with)
import pytest

from shared.domain.models import Event
from shared.domain.sms_text import (
    MIN_TITLE_CHARACTERS,
    STOP_LINE,
    UNTITLED,
    morning_text,
    septets,
    sms_when,
    to_gsm7,
)

LINK = "https://events.example.org/j/Ab3dEf7hJk"
WHEN = "Today 2:00pm UK time"


def strict_septets(text: str) -> int:
    """The codec's own count, strictly: raises if any character is not GSM-7."""
    return len(text.encode("gsm03.38", errors="strict"))


def test_gsm7_characters_are_kept_as_they_are():
    text = "Café @ £5, è é ù ì ò Ç Ø å Æ ß É Ä Ö Ñ Ü § ¿ ¡ à ä ö ñ ü 0-9 _ ! # % & ( ) * + / : ; < = > ?"
    assert to_gsm7(text) == text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("\u201cquoted\u201d \u2018single\u2019", "\"quoted\" 'single'"),
        ("en\u2013dash em\u2014dash", "en-dash em-dash"),
        ("wait\u2026", "wait..."),
        ("fa\u00e7ade na\u00efve", "facade naive"),  # ç and ï are not GSM-7; their spelling is
        ("\u4e2d\u56fd", "ZhongGuo"),
        ("\u0639\u0644\u0645", "'lm"),  # the Arabic ayn comes back as an apostrophe, not a backtick
        ("a\u200bb\u200dc\ufeffd", "abcd"),  # zero-width space, joiner, byte-order mark: gone
        ("\u202eevil\u202c", "evil"),  # a right-to-left override cannot reorder the text
        ("tea \u2615\ufe0f time \U0001f44d\U0001f3fd", "tea  time "),  # emoji, selector, skin tone
        ("line\nbreak\r\ttab\x1bescape\x00nul", "line break  tab escape nul"),
        ("no\u00a0break thin\u2009space", "no break thin space"),
        ("e\u0301", "\u00e9"),  # a decomposed é is composed first, and é is GSM-7
        ("\ue000", "?"),  # private use: nothing to spell
        ("back`tick", "back'tick"),
    ],
)
def test_other_characters_are_spelled_in_gsm7_or_left_out(given, expected):
    result = to_gsm7(given)
    assert result == expected
    strict_septets(result)


def test_extension_characters_take_two_septets():
    assert septets("€[]{}^~\\|") == 18
    assert septets("abc") == 3
    assert septets("£$¥@") == 4
    with pytest.raises(ValueError):
        septets("\u4e2d")


def test_sample_text_reads_as_expected_and_fits_one_segment():
    text = morning_text(
        "Co-production in a Digital World: what works, what doesn\u2019t, and who decides \U0001f600",
        WHEN,
        LINK,
        reply_stop=True,
    )
    assert text == (
        "Co-production in a Digital World: what works, what doesn't, and...\n"
        "Today 2:00pm UK time\n"
        "Reply STOP to end texts.\n"
        "Join: https://events.example.org/j/Ab3dEf7hJk"
    )
    assert strict_septets(text) == 158


def test_a_title_that_fits_is_whole_and_without_dots():
    text = morning_text("Housing and health", WHEN, LINK, reply_stop=False)
    assert text == f"Housing and health\n{WHEN}\nJoin: {LINK}"


def test_the_cut_prefers_a_word_boundary_and_never_splits_an_extension_pair():
    title = "€" * 200
    text = morning_text(title, WHEN, LINK, reply_stop=False)
    first = text.split("\n")[0]
    assert first.endswith("...") and set(first[:-3]) == {"€"}
    assert strict_septets(text) in (159, 160)  # 2 septets a euro: 160 can be out of reach by one

    words = morning_text("word " * 100, WHEN, LINK, reply_stop=False).split("\n")[0]
    assert words.endswith("word...")


def test_a_long_link_costs_the_stop_line_before_the_title_goes_below_its_minimum():
    link = "https://" + "x" * 80 + ".example.org/j/Ab3dEf7hJk"
    text = morning_text("A" * 100, WHEN, link, reply_stop=True)
    assert STOP_LINE not in text
    assert text.endswith(f"Join: {link}") and strict_septets(text) <= 160
    # while the title at its minimum still fits with the STOP line, the STOP line stays
    shorter = "https://" + "x" * 50 + ".example.org/j/Ab3dEf7hJk"
    kept = morning_text("A" * 100, WHEN, shorter, reply_stop=True)
    assert STOP_LINE in kept
    assert len(kept.split("\n")[0]) >= MIN_TITLE_CHARACTERS + 3


def test_a_link_too_long_for_any_form_is_a_value_error():
    with pytest.raises(ValueError, match="too long"):
        morning_text("Title", WHEN, "https://" + "x" * 150 + "/j/Ab3dEf7hJk", reply_stop=False)


def test_a_link_gsm7_cannot_carry_unchanged_is_a_value_error():
    with pytest.raises(ValueError, match="GSM-7"):
        morning_text("Title", WHEN, "https://example.org/j/`code", reply_stop=False)


def test_a_title_of_emoji_only_reads_as_your_conversation():
    text = morning_text("\U0001f600\U0001f389", WHEN, LINK, reply_stop=False)
    assert text.startswith(UNTITLED + "\n")


def _event(starts_at: datetime, timezone: str = "Europe/London") -> Event:
    return Event(
        id="ev1", title="T", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), timezone=timezone
    )


def test_sms_when_says_today_on_the_events_own_day_in_its_zone():
    event = _event(datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    assert sms_when(event, datetime(2026, 12, 9, 7, 0, tzinfo=UTC)) == "Today 2:00pm UK time"


def test_sms_when_names_the_day_when_sent_another_day():
    event = _event(datetime(2026, 12, 9, 6, 30, tzinfo=UTC))
    assert sms_when(event, datetime(2026, 12, 7, 18, 0, tzinfo=UTC)) == "Wed 9 Dec 6:30am UK time"


def test_sms_when_reads_the_day_in_the_events_zone_not_utc():
    # 23:30 UTC on the 8th is 00:30 on the 9th in Paris: the same day there
    event = _event(datetime(2026, 12, 9, 9, 0, tzinfo=UTC), "Europe/Paris")
    assert sms_when(event, datetime(2026, 12, 8, 23, 30, tzinfo=UTC)) == "Today 10:00am Paris time"
    summer = _event(datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
    assert sms_when(summer, datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) == "Today midday UK time"
