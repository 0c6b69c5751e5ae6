"""Reading a sent message's mailboxes as mail clients (and SES) read them, on any Python.

Python's address parser keeps the whitespace between two adjacent RFC 2047 encoded-words in a
display name (cpython gh-128110, fixed after 3.13.0), where RFC 2047 section 6.2 says it is not
text: so a long name that is split over several encoded-words reads back from Python with extra
spaces, as Python's own writer splits it too. `mailbox_as_read` takes the address from Python's
parser and, when the name is more than one encoded-word, decodes it with `email.header`, which
follows the RFC (as mail clients and SES do). Standard library only: the tests that run on the
oldest Python, with the runtime packages alone, use it too."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import EmailMessage


def mailbox_as_read(message: EmailMessage, header: str) -> tuple[str, str]:
    """(display name, address) of the one mailbox in `header`."""
    (mailbox,) = message[header].addresses
    (value,) = [raw for name, raw in message.raw_items() if name == header]
    phrase, _, address = re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip().rpartition(" ")
    if address != f"<{mailbox.addr_spec}>" and not (not phrase and address == mailbox.addr_spec):
        raise ValueError(f"{header} does not end with its one address: {value!r}")
    if not re.search(r"\?=\s+=\?", phrase):
        return str(mailbox.display_name), str(mailbox.addr_spec)
    return str(make_header(decode_header(phrase))), str(mailbox.addr_spec)
