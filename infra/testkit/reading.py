"""How hard our own words are to read: Flesch-Kincaid grade and Flesch reading ease (textstat 0.7.8).

Only our own words are measured. What others write or what is data is taken out first, exactly
(never a whole line that also holds our words): web addresses, file names and the values the caller
names (the series name, the event's title and description, its time in words, people's names, Zoom
details). Lines become sentences as a reader sees them:

- in an email's plain text (`email_units`) a line break ends a unit when the line ends a sentence
  (. ! ?) or with a colon, is followed by a blank line, is a heading (a block's short first line
  with no end punctuation, a capital after it) or a labelled value ("Passcode: ..."); any other
  break is wrapping, inside a sentence;
- a page (`page_units`) is cut at its block elements (headings, paragraphs, list items, labels,
  legends, buttons, table cells); what no one sees (style, the page title, `hidden` elements and
  the sign-up form's hidden honeypot field) is left out.

A unit that does not end a sentence (a heading, a label, a greeting) is given a full stop, so a
heading never runs into the sentence under it. docs/plain-words.md has the method and the figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

import textstat

# A block's first line this short, with no end punctuation and a capital after it, is a heading:
# every line of wrapped prose (ours are wrapped at 72 columns or by hand near it) is far longer.
HEADING_MAX = 40
MAX_GRADE = 6.0
MIN_EASE = 70.0

_URL = re.compile(r"https?://\S+")
_LABELLED = re.compile(r"^[A-Z][A-Za-z ]{0,30}: \S")  # "Meeting ID: 987 6543 2100"
_FILE = re.compile(r"\b[\w-]+\.(?:ics|csv|json)\b")
_ENDS_SENTENCE = (".", "!", "?")
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "li", "label", "legend", "button", "td", "th", "div", "header",
    "footer", "main", "form", "fieldset", "ul", "ol", "br", "blockquote", "section",
}  # fmt: skip
_UNSEEN = {"style", "script", "title", "head", "template"}


@dataclass(frozen=True)
class Reading:
    """Our own words, one sentence or heading a line, and their grade and ease."""

    text: str
    grade: float
    ease: float

    def passes(self) -> bool:
        return self.grade <= MAX_GRADE and self.ease >= MIN_EASE

    def figures(self) -> str:
        return f"grade {self.grade:.1f}, ease {self.ease:.1f}"


def email_units(text: str) -> list[str]:
    """The plain-text part's sentences, headings and labelled lines, whole (wrapped lines joined)."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    units: list[str] = []
    current: list[str] = []
    for index, line in enumerate(lines):
        if not line:
            _close(units, current)
            continue
        first_of_block = not current and (index == 0 or not lines[index - 1])
        current.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        heading = (
            first_of_block
            and len(line) <= HEADING_MAX
            and not line.endswith((*_ENDS_SENTENCE, ",", ";"))
            and following[:1].isupper()
        )
        if line.endswith((*_ENDS_SENTENCE, ":")) or not following or heading or _LABELLED.match(line):
            _close(units, current)
    _close(units, current)
    return units


def _close(units: list[str], current: list[str]) -> None:
    if current:
        units.append(" ".join(current))
        current.clear()


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: list[str] = []
        self._current: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, hides what is inside, a block)

    def _hidden(self) -> bool:
        return any(hides for _tag, hides, _block in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        hides = tag in _UNSEEN or "hidden" in found or "honeypot" in classes
        block = tag in _BLOCKS or "tag" in classes  # a status tag reads as a line of its own
        if block:
            self._flush()
        if tag not in {"br", "input", "meta", "link", "img", "hr"}:
            self._stack.append((tag, hides, block))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                if self._stack[index][2]:
                    self._flush()
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self._current.append(data)

    def _flush(self) -> None:
        words = " ".join("".join(self._current).split())
        if words:
            self.units.append(words)
        self._current = []

    def close(self) -> None:
        super().close()
        self._flush()


def page_units(html: str) -> list[str]:
    """A page's visible text, one block element a unit."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    return parser.units


def own_words(units: Iterable[str], remove: Iterable[str]) -> list[str]:
    """The units with web addresses, file names and every value in `remove` taken out exactly
    (across wrapped lines too), each ending a sentence; units left with no words are dropped."""
    # Each value whole, and each of its paragraphs (a blank line ends a unit): longest first.
    pieces = {piece for value in remove if value for piece in [value, *re.split(r"\n\s*\n", value)]}
    values = sorted({" ".join(p.split()) for p in pieces if p.strip()}, key=len, reverse=True)
    patterns = [re.compile(r"\s+".join(re.escape(word) for word in value.split(" "))) for value in values]
    kept = []
    for unit in units:
        for pattern in patterns:
            unit = pattern.sub(" ", unit)
        unit = _FILE.sub(" ", _URL.sub(" ", unit))
        unit = " ".join(unit.split())
        unit = re.sub(r"\s+([.,:;!?)])", r"\1", unit)
        unit = re.sub(r"\(\s*\)|“\s*”|\"\s*\"", "", unit).strip()
        if not re.search(r"[A-Za-z]{2}", unit):
            continue
        unit = unit.rstrip(" ,:;\N{EN DASH}-")
        if not unit.endswith(_ENDS_SENTENCE):
            unit += "."
        kept.append(unit)
    return kept


def measure(units: Iterable[str]) -> Reading:
    text = "\n".join(units)
    return Reading(text, textstat.flesch_kincaid_grade(text), textstat.flesch_reading_ease(text))


def read_email(text: str, remove: Iterable[str]) -> Reading:
    return measure(own_words(email_units(text), remove))


def read_page(html: str, remove: Iterable[str]) -> Reading:
    return measure(own_words(page_units(html), remove))
