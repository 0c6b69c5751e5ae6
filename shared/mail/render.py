"""Emails as real MIME messages: a message (shared/mail/messages.py) in, bytes out, the same way
for every kind. Sending is the transport's job, not this module's.

Each message is `multipart/alternative` (a plain-text twin first, then HTML), wrapped in
`multipart/mixed` when it carries calendar files. Templates live in `templates/email/`:
`<kind>.html` is autoescaped, `<kind>.txt` is not (it is never read as HTML). Every template gets
`subject`, `name`, `manage_url`, `unsubscribe_url` and `sender_name`, and its kind's own context.

jinja2 and icalendar are imported on first render, not at import: the API imports this module
on paths that never send a message.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.mail import headers
from shared.mail.items import clean
from shared.mail.messages import Message

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "email"
TEXT_WIDTH = 72
PREVIEW_PREFIX = "[Preview] "


@dataclass(frozen=True)
class RenderedEmail:
    kind: str
    to: str
    subject: str
    raw: bytes
    message_id: str


class Renderer:
    """What every email shares: who it is from, and the domain of its calendar UIDs."""

    def __init__(self, *, sender_name: str, sender_address: str, uid_domain: str) -> None:
        self.sender_name = sender_name
        self.sender_address = sender_address
        self.uid_domain = uid_domain

    def render(self, message: Message, now: datetime) -> RenderedEmail:
        if now.tzinfo is None:
            raise ValueError("now must carry its offset")
        draft = message.draft(self.uid_domain, now)
        envelope = message.envelope
        context = {
            "subject": draft.subject,
            "name": clean(envelope.to_name),
            "manage_url": envelope.manage_url,
            "unsubscribe_url": envelope.unsubscribe_url,
            "texts_to": envelope.texts_to,
            "reply_stop": envelope.reply_stop,
            "sender_name": clean(self.sender_name),
            **draft.context,
        }
        environment = _environment()
        text = environment.get_template(f"{message.kind}.txt").render(context)
        html = environment.get_template(f"{message.kind}.html").render(context)

        # Every header holding anyone's words is written by shared/mail/headers.py, never parsed.
        mime = EmailMessage(policy=headers.POLICY)
        headers.set_header(mime, "From", headers.mailbox(self.sender_name, self.sender_address))
        headers.set_header(mime, "To", headers.mailbox(envelope.to_name, envelope.to_address))
        headers.set_header(mime, "Subject", headers.subject_tokens(draft.subject))
        mime["Date"] = format_datetime(now)
        message_id = make_msgid(domain=headers.addr_spec(self.sender_address).rpartition("@")[2])
        mime["Message-ID"] = message_id
        if envelope.unsubscribe_url:
            headers.set_header(mime, "List-Unsubscribe", [headers.angle_url(envelope.unsubscribe_url)])
            mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mime.set_content(text, subtype="plain", charset="utf-8")
        mime.add_alternative(html, subtype="html", charset="utf-8")
        for filename, data in draft.attachments:
            mime.add_attachment(
                data,
                maintype="text",
                subtype="calendar",
                filename=filename,
                params={"method": "PUBLISH", "charset": "utf-8"},
            )
        return RenderedEmail(message.kind, envelope.to_address, draft.subject, mime.as_bytes(), message_id)


def as_preview(rendered: RenderedEmail) -> RenderedEmail:
    """The same message with its subject prefixed "[Preview] ": for the admin's own inbox.

    Only the Subject header is rewritten (encoded as `render` encodes it); body and attachments
    stay byte for byte what a registrant would get."""
    subject = PREVIEW_PREFIX + rendered.subject
    scratch = EmailMessage(policy=headers.POLICY)
    headers.set_header(scratch, "Subject", headers.subject_tokens(subject))
    header = scratch.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"
    head, _blank, body = rendered.raw.partition(b"\r\n\r\n")
    new_head, replaced = re.subn(
        rb"(?m)^Subject:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", lambda _match: header, head + b"\r\n", count=1
    )
    if replaced != 1:
        raise ValueError("the message has no Subject header")
    return RenderedEmail(
        kind=rendered.kind,
        to=rendered.to,
        subject=subject,
        raw=new_head + b"\r\n" + body,
        message_id=rendered.message_id,
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["wrap"] = _wrap
    environment.filters["paragraphs"] = _paragraphs
    return environment


def _wrap(text: str, width: int = TEXT_WIDTH, indent: str = "") -> str:
    """Short lines for plain-text readers, keeping the writer's line breaks and never breaking a URL."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _paragraphs(text: str) -> Any:
    """Plain text as HTML paragraphs: blank lines part paragraphs, single breaks stay breaks."""
    from markupsafe import Markup, escape

    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("\n").join(
        Markup('<p style="margin:0 0 12px;">{}</p>').format(
            Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        )
        for block in blocks
    )
