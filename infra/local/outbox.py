"""The local outbox: every email the functions sent through SES, read from moto's SES back end.

SES v2 `SendEmail` with `Content.Raw` lands in moto's SES v1 back end as a `RawMessage`
(`id`, `source`, `destinations`, `raw_data`: the MIME text as sent), appended in send order to
`ses_backends[account_id][region].sent_messages`. moto runs in this process (server mode on a
thread), so the list is read directly rather than through an API moto does not have.
"""

from __future__ import annotations

import email
import email.policy
import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutboxMessage:
    message_id: str
    sender: str
    to: list[str]
    subject: str
    raw: str

    @property
    def parsed(self) -> EmailMessage:
        return email.message_from_string(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    def as_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "from": self.sender,
            "to": self.to,
            "subject": self.subject,
            "raw": self.raw,
        }

    def text_part(self) -> str:
        part = self.parsed.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    def html_part(self) -> str | None:
        part = self.parsed.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None  # type: ignore[union-attr]

    def attachments(self) -> list[Attachment]:
        found = []
        for index, part in enumerate(self.parsed.iter_attachments()):
            found.append(
                Attachment(
                    index=index,
                    filename=part.get_filename() or f"attachment-{index}",
                    content_type=part.get_content_type(),
                    content=part.get_payload(decode=True) or b"",  # type: ignore[arg-type]
                )
            )
        return found


def _unique_addresses(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for _name, address in getaddresses(values):
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return list(seen.values())


def _from_moto(sent: Any) -> OutboxMessage | None:
    if hasattr(sent, "raw_data"):
        raw = sent.raw_data
        parsed = email.message_from_string(raw, policy=email.policy.default)
        return OutboxMessage(
            message_id=sent.id,
            sender=str(parsed.get("From") or sent.source or ""),
            to=_unique_addresses(list(sent.destinations)) or _unique_addresses([str(parsed.get("To", ""))]),
            subject=str(parsed.get("Subject") or ""),
            raw=raw,
        )
    if hasattr(sent, "subject") and hasattr(sent, "body"):
        # A "Simple" send (not how our mailer sends, but shown rather than hidden).
        message = EmailMessage()
        message["From"] = sent.source
        recipients = [a for key in ("ToAddresses", "CcAddresses") for a in sent.destinations.get(key, [])]
        message["To"] = ", ".join(recipients)
        message["Subject"] = sent.subject
        message.set_content(sent.body)
        return OutboxMessage(
            sent.id, sent.source, _unique_addresses(recipients), sent.subject, message.as_string()
        )
    return None


class Outbox:
    """The emails SES accepted in this local stack, in send order."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def _sent(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return ses_backends[self.account_id][self.region].sent_messages  # type: ignore[no-any-return]

    def messages(self) -> list[OutboxMessage]:
        return [message for sent in list(self._sent()) if (message := _from_moto(sent)) is not None]

    def find(self, message_id: str) -> OutboxMessage | None:
        return next((m for m in self.messages() if m.message_id == message_id), None)

    def clear(self) -> int:
        sent = self._sent()
        count = len(sent)
        del sent[:count]
        return count

    def as_json(self) -> dict[str, Any]:
        return {"messages": [message.as_json() for message in self.messages()]}


def render_html(messages: list[OutboxMessage]) -> str:
    """A plain, accessible page: one section per email, its text, and links to its files."""
    esc = html.escape
    items = []
    for number, message in enumerate(messages, start=1):
        base = f"/_local/outbox/{quote(message.message_id)}"
        files = [
            f'<li><a href="{base}/attachments/{a.index}" download="{esc(a.filename)}">'
            f"Download {esc(a.filename)}</a> ({esc(a.content_type)}, {len(a.content)} bytes)</li>"
            for a in message.attachments()
        ]
        files.append(f'<li><a href="{base}.eml" download>Download the raw message (.eml)</a></li>')
        if message.html_part() is not None:
            files.append(f'<li><a href="{base}/html">View the HTML version</a></li>')
        items.append(
            f'<li class="message"><article aria-labelledby="message-{number}">'
            f'<h2 id="message-{number}">{esc(message.subject) or "(no subject)"}</h2>'
            "<dl>"
            f"<dt>From</dt><dd>{esc(message.sender)}</dd>"
            f"<dt>To</dt><dd>{esc(', '.join(message.to))}</dd>"
            f"<dt>Message ID</dt><dd><code>{esc(message.message_id)}</code></dd>"
            "</dl>"
            f'<h3 id="text-{number}">Plain text</h3>'
            f'<pre aria-labelledby="text-{number}" tabindex="0">{esc(message.text_part())}</pre>'
            f"<h3>Files</h3><ul>{''.join(files)}</ul>"
            "</article></li>"
        )
    count = len(messages)
    summary = (
        "No emails have been sent yet."
        if not count
        else f"{count} email{'s' if count != 1 else ''}, oldest first."
    )
    body = f'<ol class="messages">{"".join(items)}</ol>' if items else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Outbox - local stack</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;"
        "line-height:1.5;color:#0b0c0c}pre{white-space:pre-wrap;background:#f3f2f1;padding:1rem;"
        "overflow-wrap:anywhere}.messages>li{border-top:2px solid #b1b4b6;margin-top:1.5rem}"
        "a{color:#1d70b8}a:focus,button:focus,pre:focus{outline:3px solid #fd0;outline-offset:0}"
        "dt{font-weight:bold}button{font:inherit;padding:.4rem .8rem}</style></head><body><main>"
        "<h1>Outbox</h1>"
        f'<p role="status">{summary}</p>'
        "<p>Emails the local stack sent through SES (moto). As JSON: <code>curl "
        "http://127.0.0.1:$PORT/_local/outbox</code>.</p>"
        '<form method="post" action="/_local/outbox/clear">'
        '<button type="submit">Empty the outbox</button></form>'
        f"{body}</main></body></html>"
    )
