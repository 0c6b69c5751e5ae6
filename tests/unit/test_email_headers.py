"""Names and titles can never add or change a header or the MIME structure, on any Python.

Each email is rendered and sent through our SES transport on a real boto3 SES v2 client; the
request is caught as botocore is about to put it on the wire, and the raw MIME inside it is
parsed as SES would receive it. `make test` runs this file on the newest Python the project
supports (the main venv) and on the oldest, 3.11 (`.tools/py311`, runtime packages and pytest
only, no conftest): 3.11 and 3.12's email package decoded encoded-words in a display name into
headers and an HTML body, which is why these values are written by shared/mail/headers.py."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from infra.testkit.mail import mailbox_as_read
from shared.domain.models import Event
from shared.mail import headers
from shared.mail.items import clean
from shared.mail.messages import Confirmation, Envelope, EventItem, JoinLink, ManageLink
from shared.mail.render import Renderer, as_preview
from shared.mail.transport import SesTransport

BASE = "https://events.example.org"
ADDRESS = "sam@example.com"
SENDER_NAME = "Conversations on Co-production"
SENDER_ADDRESS = "events@example.org"
NOW = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
PAYLOAD = "Ann\r\nBcc: x@evil.example\r\n\r\n<h1>hi</h1>"
B64_PAYLOAD = base64.b64encode(PAYLOAD.encode()).decode()

# What people could type as their name, each aimed at the headers or the MIME structure.
ATTACKS = [
    "=?utf-8?q?Ann=0D=0ABcc:_x@evil.example=0D=0A=0D=0A<h1>hi</h1>?=",
    f"=?utf-8?b?{B64_PAYLOAD}?=",
    f"=?UTF-8?B?{B64_PAYLOAD}?=",
    "=?iso-8859-1?q?Ann=0D=0ABcc:_x@evil.example?=",
    "=?utf-8?q?Ann=0D=0ABcc:_x@evil.example?= =?utf-8?q?=0D=0A=0D=0A<h1>hi</h1>?=",  # split in two
    "=?utf-8?q?Ann=0D=0A?=\r\n =?utf-8?q?Bcc:_x@evil.example?=",  # folded
    "=?utf-8?q?Ann=0D=0ABcc:?= x@evil.example",  # partly encoded
    "=?utf-8?q?Ann=0D=0AContent-Type:_text/html=0D=0A=0D=0A<h1>hi</h1>?=",
    '"=?utf-8?q?Ann=0D=0ABcc:_x@evil.example?="',  # quoted
    "Siân =?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?= O'Néill",
    "Ann\r\nBcc: x@evil.example\r\n\r\n<h1>hi</h1>",  # raw line breaks
    "Ann\u2028Bcc: x@evil.example\x85To: y@evil.example",
    '"Ann" <x@evil.example>, Bob <y@evil.example>',
    "Ann; Bcc: x@evil.example",
    'Ann\\" <x@evil.example>',
    "x@evil.example",
    "Ann (a comment) [x] <x@evil.example>: ;",
    "J. R. O'Brien-Smith",
    "=?",
    "?=",
    "A" * 100,
    "Ådå " * 25,
]

# (kind, the header names in order, the MIME tree as content types, depth first)
KINDS: dict[str, tuple[list[str], list[str]]] = {
    "confirmation": (
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"],
        ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"],
    ),
    "join_link": (
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "MIME-Version",
            "Content-Type",
        ],
        ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"],
    ),
    "manage_link": (
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"],
        ["multipart/alternative", "text/plain", "text/html"],
    ),
}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[SesTransport, list[dict[str, Any]]]]:
    """Our transport on a real SES v2 client; each SendEmail request is caught as it would go on
    the wire (its JSON body, decoded) and answered as SES answers."""
    import boto3
    from botocore.awsrequest import AWSResponse

    requests: list[dict[str, Any]] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        requests.append(json.loads(request.body))
        body = _Body(b'{"MessageId": "wire-1"}')
        return AWSResponse(request.url, 200, {"content-type": "application/json"}, body)

    client = boto3.session.Session().client(
        "sesv2", region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client.meta.events.register("before-send.sesv2.SendEmail", answer)
    transport = SesTransport(lambda: client, sender_name=SENDER_NAME, sender_address=SENDER_ADDRESS)
    yield transport, requests


def event(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "id": "ev1",
        "title": "Co-production in a Digital World",
        "description": "All are welcome.",
        "starts_at": datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 9, 15, 30, tzinfo=UTC),
        "zoom_join_url": "https://us02web.zoom.us/j/12345?pwd=zoompwd",
        "zoom_meeting_id": "123 45",
        "zoom_passcode": "kettle",
        "zoom_dial_in": "+44 20 7946 0000",
        "sequence": 1,
        "updated_at": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    }
    return Event(**{**fields, **changes})


def message_of(kind: str, name: str, **event_changes: Any) -> Any:
    unsubscribe = f"{BASE}/unsubscribe?token=u" if kind == "join_link" else None
    envelope = Envelope(name, ADDRESS, f"{BASE}/manage?token=m", unsubscribe)
    item = EventItem(event(**event_changes), f"{BASE}/events/ev1", f"{BASE}/join/j1")
    builders: dict[str, Callable[[], Any]] = {
        "confirmation": lambda: Confirmation(envelope, [item]),
        "join_link": lambda: JoinLink(envelope, item),
        "manage_link": lambda: ManageLink(envelope),
    }
    return builders[kind]()


def send(
    wire: tuple[SesTransport, list[dict[str, Any]]], message: Any, sender_name: str = SENDER_NAME
) -> tuple[bytes, dict[str, Any]]:
    """Render and send one message; the raw MIME SES received, and the whole request."""
    transport, requests = wire
    renderer = Renderer(sender_name=sender_name, sender_address=SENDER_ADDRESS, uid_domain="example.org")
    assert transport.send(renderer.render(message, NOW)) == "wire-1"
    request = requests[-1]
    return base64.b64decode(request["Content"]["Raw"]["Data"]), request


def header_names(raw: bytes) -> list[str]:
    """The header names in the raw header section, in order (continuation lines skipped)."""
    head = raw.partition(b"\r\n\r\n")[0].decode("ascii")
    return [line.partition(":")[0] for line in head.split("\r\n") if not line[:1].isspace()]


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def tree(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", ATTACKS)
def test_a_hostile_name_stays_one_display_name_in_an_unchanged_message(wire, kind, name):
    # Given a person whose name is written to reach the headers or the MIME structure
    raw, request = send(wire, message_of(kind, name))
    message = parse(raw)
    expected_headers, expected_tree = KINDS[kind]
    # Then SES receives exactly our headers, each once, and exactly our MIME parts
    assert header_names(raw) == expected_headers
    assert len(message.get_all("To")) == 1
    assert message["Bcc"] is None
    assert tree(message) == expected_tree
    assert message.defects == []
    # And the name reads back as the (one-line) text given, on the address it was sent to
    assert mailbox_as_read(message, "To") == (clean(name), ADDRESS)
    assert request["Destination"] == {"ToAddresses": [ADDRESS]}
    # And the greeting shows it as text in both parts
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.splitlines()[0] == f"Hello {clean(name)},"
    assert "<h1>hi</h1>" not in html


@pytest.mark.parametrize("name", ATTACKS[:10])
def test_a_hostile_sender_name_stays_the_from_display_name_in_the_header_and_for_ses(wire, name):
    raw, _request = send(wire, message_of("manage_link", "Sam Jones"), sender_name=name)
    message = parse(raw)
    assert header_names(raw) == KINDS["manage_link"][0]
    assert mailbox_as_read(message, "From") == (clean(name), SENDER_ADDRESS)
    # SES's FromEmailAddress (the transport's own sender) is the same mailbox, written the same way
    transport = SesTransport(lambda: None, sender_name=name, sender_address=SENDER_ADDRESS)
    ses_sender = parse(f"From: {transport.sender}\r\n\r\n".encode())
    assert mailbox_as_read(ses_sender, "From") == (clean(name), SENDER_ADDRESS)


@pytest.mark.parametrize("title", ATTACKS[:12])
def test_a_hostile_title_reads_back_as_the_subject_and_adds_no_header(wire, title):
    raw, _request = send(wire, message_of("confirmation", "Sam Jones", title=title))
    message = parse(raw)
    assert header_names(raw) == KINDS["confirmation"][0]
    assert tree(message) == KINDS["confirmation"][1]
    assert message["Subject"] == f"You're signed up: {clean(title)}"
    # And the admin's preview of it too
    renderer = Renderer(sender_name=SENDER_NAME, sender_address=SENDER_ADDRESS, uid_domain="example.org")
    preview = as_preview(renderer.render(message_of("confirmation", "Sam Jones", title=title), NOW))
    assert header_names(preview.raw) == KINDS["confirmation"][0]
    assert parse(preview.raw)["Subject"] == f"[Preview] You're signed up: {clean(title)}"


def test_any_name_at_all_reads_back_exactly_and_never_changes_the_message(wire):
    # Names drawn from the characters that matter to headers, MIME and encoded-words (seeded)
    alphabet = '=?_qQbB"\\<>,;:@()[]. \t\r\n' + "abcAZ09-'!*+/" + "åÑ€😀\u2028\x00\x85"
    draw = random.Random(2047)
    for _ in range(150):
        name = "".join(draw.choice(alphabet) for _ in range(draw.randint(1, 100)))
        raw, _request = send(wire, message_of("manage_link", name))
        message = parse(raw)
        assert header_names(raw) == KINDS["manage_link"][0], name
        assert tree(message) == KINDS["manage_link"][1], name
        assert mailbox_as_read(message, "To") == (clean(name), ADDRESS), name


def test_header_lines_stay_within_78_characters_apart_from_a_long_address():
    for name in ATTACKS:
        value = headers.folded("To", headers.mailbox(name, ADDRESS))
        lines = f"To: {value}".split("\r\n")
        assert all(len(line) <= headers.LINE for line in lines), name
        assert all(line[:1] == " " for line in lines[1:]), name


def test_plain_names_stay_readable_in_the_raw_header():
    assert headers.folded("To", headers.mailbox("Sam Jones", ADDRESS)) == f"Sam Jones <{ADDRESS}>"
    assert headers.folded("To", headers.mailbox("J. Smith, MBE", ADDRESS)) == f'"J. Smith, MBE" <{ADDRESS}>'
    assert headers.folded("To", headers.mailbox(" \r\n ", ADDRESS)) == ADDRESS


@pytest.mark.parametrize(
    "address",
    [
        "sam@example.com\r\nBcc: x@evil.example",
        "sam@exämple.com",
        "ünï@example.org",
        "a, b@c.d",
        "nobody",
        "a@b@c.d",
        "<a@b.c>",
        "a(comment)@b.c",
        "a..b@c.d",
        '"a b"@c.d',
        "a@[127.0.0.1]",
        "a@-b.c",
    ],
)
def test_an_address_that_is_not_one_ascii_addr_spec_is_refused(address):
    with pytest.raises(ValueError):
        headers.mailbox("Sam", address)


@pytest.mark.parametrize("url", [f"{BASE}/u?t=1\r\nBcc: x@evil.example", f"{BASE}/u?t=a b", f"{BASE}/u>x"])
def test_an_unsubscribe_url_that_could_break_its_header_is_refused(url):
    with pytest.raises(ValueError):
        headers.angle_url(url)
