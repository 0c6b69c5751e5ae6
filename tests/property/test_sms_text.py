"""Any title at all makes one GSM-7 segment that starts with the title (or its shortened prefix)
and ends with the link, unchanged."""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the codec the assertions encode with)
from hypothesis import example, given
from hypothesis import strategies as st

from shared.domain.sms_text import ELLIPSIS, STOP_LINE, UNTITLED, morning_text, to_gsm7
from tests.property.strategies import PROFILE

LINK = "https://events.example.org/j/Ab3dEf7hJk"
HOSTILE = st.sampled_from(
    [
        "\U0001f600",
        "\u0645\u0631\u062d\u0628\u0627",
        "\u4e2d\u6587",
        "\u200b",
        "\u202e",
        "\u200d",
        "\ufe0f",
        "\u20ac",
        "[",
        "]",
        "{",
        "~",
        "\\",
        "|",
        "^",
        "\n",
        "\t",
        "\x00",
        " ",
        "\u2026",
        "\u2014",
        "\u201c",
        "\U0001f44d\U0001f3fd",
        "word",
        "Co-production",
    ]
)
TITLES = st.one_of(
    st.text(max_size=500),
    st.lists(HOSTILE, max_size=200).map("".join),
)
WHENS = st.sampled_from(
    ["Today 2:00pm UK time", "Wed 9 Dec 6:30am UK time", "Today midday S\u00e3o Paulo time"]
)
LINKS = st.sampled_from(
    [LINK, "https://" + "a" * 70 + ".org/j/Ab3dEf7hJk", "http://127.0.0.1:3000/j/Ab3dEf7hJk"]
)


@PROFILE
@given(title=TITLES, when=WHENS, link=LINKS, reply_stop=st.booleans())
@example(title="[" * 500, when="Today 2:00pm UK time", link=LINK, reply_stop=True)
@example(title="\u20ac" * 500, when="Today 2:00pm UK time", link=LINK, reply_stop=True)
@example(title="x" * 500, when="Today 2:00pm UK time", link=LINK, reply_stop=True)
def test_any_title_makes_one_segment_with_the_link_intact(title, when, link, reply_stop):
    text = morning_text(title, when, link, reply_stop=reply_stop)
    assert len(text.encode("gsm03.38", errors="strict")) <= 160
    assert text.endswith("\nJoin: " + link)
    first = text.split("\n")[0]
    clean = " ".join(to_gsm7(title).split()) or UNTITLED
    if first != clean:
        assert first.endswith(ELLIPSIS)
        assert clean.startswith(first.removesuffix(ELLIPSIS))
    if reply_stop and len(link) < 60:
        assert STOP_LINE in text  # a link of ordinary length always leaves room for it
    if not reply_stop:
        assert STOP_LINE not in text


@PROFILE
@given(text=st.text(max_size=300))
def test_to_gsm7_always_encodes_strictly_and_has_no_line_breaks(text):
    result = to_gsm7(text)
    result.encode("gsm03.38", errors="strict")
    assert "\n" not in result and "\r" not in result and "\x1b" not in result
