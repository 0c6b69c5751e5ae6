"""Headers built from people's words (names, titles): written here, already encoded and folded, so
that nothing in them can add or change a header or the MIME structure, on any Python.

Python's email package parses every header value it is given and folds it again when it writes
the message. On 3.11 and 3.12 that parse decodes RFC 2047 encoded-words, even inside a quoted
display name, and the fold writes out what they decode to, CR LF included: a name typed as
`=?utf-8?q?Ann=0D=0ABcc:_x@evil.example=0D=0A=0D=0A<h1>hi</h1>?=` became a Bcc header and an
HTML body. (3.13 writes it as an encoded-word again, one that decodes to a name holding CR LF,
which its own parser then refuses to read.) So these values never go through that parser: `mailbox`,
`subject_tokens` and `angle_url` write them, `set_header` sets them raw, already folded, and
`POLICY` never refolds a raw value.

A display name is written
- as plain words when it holds only letters, digits and RFC 5322's other atext characters;
- as one quoted-string when it is other printable ASCII without `"`, `\\` and short enough for a line;
- otherwise as RFC 2047 encoded-words (UTF-8, Q encoding with only the characters RFC 2047 5(3)
  allows unencoded in a phrase), each a whole number of characters, folded between words.
Anything holding `=?` is always encoded (some mail clients decode encoded-words wherever they
appear, quoted or not), so a reader gets back exactly the text given, never structure (Python's
parser adds a space between encoded-words, cpython gh-128110: see infra/testkit/mail.py).
"""

from __future__ import annotations

import re
import string
from email.message import EmailMessage
from email.policy import SMTP

from shared.mail.items import clean

# SMTP, except that a value set with `set_header` is written as it is, never parsed and refolded.
POLICY = SMTP.clone(refold_source="none")

LINE = 78  # RFC 5322's recommended line length, CR LF not counted
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_QTEXT = frozenset(chr(code) for code in range(0x20, 0x7F)) - {'"', "\\"}
_Q_PHRASE_SAFE = frozenset(string.ascii_letters + string.digits + "!*+-/")
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})*")
_WORD_MAX = 66  # one encoded-word, so that "Subject: " and it fit on one line
_QUOTED_MAX = 60


def mailbox(name: str, address: str) -> list[str]:
    """`name <address>` as tokens to be joined by whitespace (see `folded`): the display name as
    words, a quoted-string or encoded-words, then the address. The name is cleaned (one line, no
    control characters); an empty name gives the bare address."""
    spec = addr_spec(address)
    text = clean(name)
    if not text:
        return [spec]
    return [*phrase(text), f"<{spec}>"]


def addr_spec(address: str) -> str:
    """The address as it goes in a header: one plain ASCII addr-spec (dot-atom local part, domain
    of letters, digits and hyphens, as IDNA writes it), or ValueError. Nothing is dropped or
    changed: Python's own parser would take `a(b)@c` for `a@c`, and raises five kinds of error."""
    if len(address) > 254 or not _ADDR_SPEC.fullmatch(address):
        raise ValueError("an address in a header must be one plain ASCII addr-spec")
    return address


def phrase(text: str) -> list[str]:
    """A display name as RFC 5322 phrase tokens that decode to exactly `text`."""
    if "=?" not in text and text.isascii():
        words = text.split(" ")
        if all(word and set(word) <= _ATEXT and len(word) <= _WORD_MAX for word in words):
            return words
        if set(text) <= _QTEXT and len(text) <= _QUOTED_MAX:
            return [f'"{text}"']
    return encoded_words(text)


def encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 encoded-words (UTF-8, Q), safe in a phrase, each at most _WORD_MAX long
    and holding whole characters. Whitespace between them is ignored when they are decoded."""
    words: list[str] = []
    current = ""
    room = _WORD_MAX - len(_PREFIX) - len(_SUFFIX)
    for ch in text:
        piece = _q_encode(ch)
        if current and len(current) + len(piece) > room:
            words.append(_PREFIX + current + _SUFFIX)
            current = ""
        current += piece
    if current:
        words.append(_PREFIX + current + _SUFFIX)
    return words


def _q_encode(ch: str) -> str:
    if ch == " ":
        return "_"
    if ch in _Q_PHRASE_SAFE:
        return ch
    return "".join(f"={byte:02X}" for byte in ch.encode("utf-8"))


def folded(name: str, tokens: list[str]) -> str:
    """Tokens joined by spaces, folded (CR LF and a space) before any token that would pass LINE."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return "\r\n".join(lines)[len(name) + 2 :]


def set_header(message: EmailMessage, name: str, tokens: list[str]) -> None:
    """Set header `name` to the tokens, folded, exactly as written (the message must use POLICY)."""
    if message.policy.refold_source != "none":  # type: ignore[attr-defined]
        raise ValueError("headers set raw need a policy that never refolds them")
    message.set_raw(name, folded(name, tokens))


def subject_tokens(subject: str) -> list[str]:
    """A subject as tokens: plain words when it is ASCII without `=?` (read back exactly, folded at
    its spaces), otherwise encoded-words only, spaces inside them, so that every mail client reads
    back exactly `subject`.

    Python's own folder can leave a literal space before a folded encoded-word as well as the
    folding space, so a long subject with an en dash or an accent read back with a doubled space
    (cpython gh-92081, gh-120930, gh-144156); whitespace between adjacent encoded-words is ignored
    on decoding (RFC 2047, section 6.2)."""
    text = clean(subject)
    if "=?" not in text and text.isascii() and all(len(word) <= _WORD_MAX for word in text.split(" ")):
        return text.split(" ")
    return encoded_words(text)


def angle_url(url: str) -> str:
    """`<url>` (List-Unsubscribe): printable ASCII, no spaces or angle brackets, or ValueError."""
    if not url.isascii() or not url.isprintable() or any(ch in url for ch in " <>") or len(url) > 900:
        raise ValueError("a URL in a header must be printable ASCII with no spaces or angle brackets")
    return f"<{url}>"
