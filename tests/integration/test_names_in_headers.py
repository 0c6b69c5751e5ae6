"""A name written to break the confirmation's headers, signed up through ApiFunction's real handler,
as moto's SES records the raw message: our headers, each once, our MIME parts, and the name read
back as typed. (tests/unit/test_email_headers.py tries many more, on the oldest Python too.)"""

from __future__ import annotations

import base64
from email.utils import getaddresses

import pytest

from infra.testkit.api import outbox, sent_messages
from infra.testkit.mail import mailbox_as_read
from tests.integration.helpers import create_event, sign_up, text_part

PAYLOAD = base64.b64encode(b"Ann\r\nBcc: x@evil.example\r\n\r\n<h1>hi</h1>").decode()
NAMES = [
    "=?utf-8?q?Ann=0D=0ABcc:_x@evil.example=0D=0A=0D=0A<h1>hi</h1>?=",
    f"=?utf-8?b?{PAYLOAD}?=",
    '"Ann" <x@evil.example>, =?utf-8?q?=0D=0ABcc:?= x@evil.example; \\',
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_made_of_encoded_words_reaches_no_header_of_the_confirmation(aws, name):
    event_id = create_event()

    answer = sign_up([event_id], name=name, email="ann@example.org")

    assert answer.status == 201
    (sent,) = sent_messages()
    head = sent.raw_data.partition("\r\n\r\n")[0]
    names = [line.partition(":")[0] for line in head.split("\r\n") if not line[:1].isspace()]
    assert names == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
    # (moto adds every address it finds in the To, Cc and Bcc headers to the ones SES was given)
    assert {address for _name, address in getaddresses(sent.destinations)} == {"ann@example.org"}
    (message,) = outbox()
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert mailbox_as_read(message, "To") == (name, "ann@example.org")
    assert text_part(message).splitlines()[0] == f"Hello {name},"
