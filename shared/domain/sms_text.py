"""The morning text message (issue 12): one GSM-7 segment of at most 160 septets.

A text in GSM-7 (the alphabet every phone reads) holds 160 septets in one segment; a single
character outside it turns the whole message into UCS-2, 70 characters a segment, and a longer
text is billed as several. So every character we send is GSM-7: `to_gsm7` keeps what GSM-7 has,
transliterates the rest (the `anyascii` package: "é" stays, "ç" becomes "c", "中" becomes "Zhong",
curly quotes become straight ones) and writes `?` for what has no GSM-7 spelling. The GSM-7 table
is the `gsm0338` codec's, which also counts septets: the extension-table characters
(`€ [ ] { } ^ ~ \\ |`) take two, an escape and the character.

The text, in the order it gives things up when the segment is full (docs/decisions.md):

    <title, shortened with "..." to fit>
    <when: "Today 2:00pm UK time">
    Reply STOP to end texts.            (only with reply_stop)
    Join: <link>

1. the title is shortened (at a word boundary when one is close), down to its shortest form,
   `MIN_TITLE_CHARACTERS` characters and "...";
2. then the STOP line goes, and the title is as long as fits again;
3. then nothing more can go: ValueError (the link or the time is too long: the caller marks the
   text `unbuildable`).
The link is never changed: a link GSM-7 cannot carry is a ValueError too.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from anyascii import anyascii

from shared.domain.timefmt import time_in_words, zone_in_words

if TYPE_CHECKING:
    from shared.domain.models import Event

CODEC = "gsm03.38"
SEGMENT_SEPTETS = 160
ELLIPSIS = "..."
# The shortest a shortened title gets before the STOP line is dropped: enough to recognise it.
MIN_TITLE_CHARACTERS = 12
# A word boundary this close to the cut is preferred to cutting inside a word.
WORD_BOUNDARY_WITHIN = 10
STOP_LINE = "Reply STOP to end texts."
JOIN_PREFIX = "Join: "
# Used when nothing of the title survives (a title of emoji only).
UNTITLED = "Your conversation"

_SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Marks that only shape their neighbours (joiners, direction overrides, variation selectors,
# combining accents left after composition) and emoji skin-tone modifiers: dropped, not `?`.
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
_SKIN_TONES = range(0x1F3FB, 0x1F400)


def _is_gsm7(text: str) -> bool:
    try:
        text.encode(CODEC)
    except UnicodeEncodeError:
        return False
    return True


def _one_character(character: str) -> str:
    category = unicodedata.category(character)
    if category in ("Cc", "Zl", "Zp", "Zs"):
        return " "  # newlines, tabs, escapes and every other space: one plain space
    if _is_gsm7(character):
        return character
    if category in _DROPPED_CATEGORIES or ord(character) in _SKIN_TONES:
        return ""
    if category in ("Co", "Cn", "Cs"):
        return "?"  # private-use, unassigned, lone surrogates: nothing anyone could read
    # anyascii writes the Arabic ayn and the like as a backtick, which GSM-7 lacks: an apostrophe.
    spelled = anyascii(character).replace("`", "'")
    if len(spelled) > 2 and spelled.startswith(":") and spelled.endswith(":"):
        return ""  # an emoji: anyascii's ":name:" would spend a tenth of the segment on a picture
    if _is_gsm7(spelled):
        return spelled  # possibly nothing: letters anyascii leaves unwritten (the Arabic alef)
    return "?"


def to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 can carry kept, the others transliterated when anyascii's
    spelling is GSM-7, else `?`; control characters and line breaks become spaces; joiners,
    direction marks, variation selectors and emoji are left out."""
    return "".join(_one_character(character) for character in unicodedata.normalize("NFC", text))


def septets(text: str) -> int:
    """The septets `text` takes in GSM-7 (an extension-table character takes two); ValueError
    when GSM-7 cannot carry it."""
    try:
        return len(text.encode(CODEC))
    except UnicodeEncodeError as error:
        raise ValueError(f"character {error.start} cannot be sent in GSM-7") from None


def shortened(title: str, budget: int) -> str | None:
    """`title` whole when it fits in `budget` septets, else its longest prefix that fits with
    "..." (cut at a word boundary when one is within `WORD_BOUNDARY_WITHIN` characters), or None
    when that prefix would be shorter than `MIN_TITLE_CHARACTERS`. Counting whole characters, a
    cut never falls between an extension character's two septets."""
    if septets(title) <= budget:
        return title
    room = budget - len(ELLIPSIS)
    kept, used = 0, 0
    for character in title:
        cost = septets(character)
        if used + cost > room:
            break
        kept, used = kept + 1, used + cost
    prefix = title[:kept]
    space = prefix.rfind(" ")
    if space >= MIN_TITLE_CHARACTERS and kept - space <= WORD_BOUNDARY_WITHIN:
        prefix = prefix[:space]
    prefix = prefix.rstrip(" ,;:-")
    if len(prefix) < MIN_TITLE_CHARACTERS and prefix != title:
        return None
    return prefix + ELLIPSIS


def _lines(title: str, when: str, link: str, stop: bool) -> str:
    return "\n".join([title, when, *([STOP_LINE] if stop else []), JOIN_PREFIX + link])


def morning_text(title: str, when: str, link: str, *, reply_stop: bool) -> str:
    """The morning text: one GSM-7 segment (module docstring for its lines and what gives way).
    ValueError when even the shortest form does not fit, or the link is not GSM-7."""
    if not _is_gsm7(link) or any(character.isspace() for character in link):
        raise ValueError("the join link cannot be sent in GSM-7 unchanged")
    clean_title = " ".join(to_gsm7(title).split()) or UNTITLED
    clean_when = " ".join(to_gsm7(when).split())
    for stop in (True, False) if reply_stop else (False,):
        budget = SEGMENT_SEPTETS - septets(_lines("", clean_when, link, stop))
        fitted = shortened(clean_title, budget)
        if fitted is not None:
            return _lines(fitted, clean_when, link, stop)
    raise ValueError(
        f"the text does not fit in {SEGMENT_SEPTETS} GSM-7 characters even with the title at "
        f"{MIN_TITLE_CHARACTERS} characters: the join link ({len(link)} characters) is too long"
    )


def sms_when(event: Event, now: datetime) -> str:
    """The start for a text, in the event's zone with the zone named: `Today 2:00pm UK time` when
    the text goes on the event's own day there, else `Wed 9 Dec 6:30am UK time`."""
    zone = ZoneInfo(event.timezone)
    start = event.starts_at.astimezone(zone)
    zone_name = zone_in_words(event.timezone, start).split(" (", 1)[0]  # "UK time", not "(GMT)"
    if now.astimezone(zone).date() == start.date():
        day = "Today"
    else:
        day = f"{_SHORT_DAYS[start.weekday()]} {start.day} {_SHORT_MONTHS[start.month - 1]}"
    return f"{day} {time_in_words(start)} {zone_name}"
