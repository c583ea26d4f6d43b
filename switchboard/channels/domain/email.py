"""Inbound email, read from its raw bytes (RFC 5322, MIME) with the standard library:
who wrote, to whom, which thread it belongs to, the text without the quoted history,
and the attachments, bounded so a large or binary message cannot flood a conversation."""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

from switchboard.channels.domain.addresses import email_address
from switchboard.kernel.errors import InvalidParameter

MAX_BODY_CHARS = 20_000
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
_MSGID = re.compile(r"<[^<>\s]+>")
_QUOTE_HEADER = re.compile(r"^\s*On .{3,200} wrote:\s*$")
_TAGS = re.compile(r"<[^>]+>")
_BLOCKS = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    kept: bool  # False: over the size limit, only named


@dataclass(frozen=True)
class InboundEmail:
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    references: tuple[str, ...]  # In-Reply-To first, then References newest first
    attachments: tuple[Attachment, ...] = ()


def message_ids(value: str | None) -> list[str]:
    """Every `<id@host>` in a header, in order."""
    return _MSGID.findall(value or "")


def trim_quoted(text: str) -> str:
    """The new part of a reply: stop at `On ... wrote:` or the first run of `>` lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line) or line.startswith(">"):
            break
        kept.append(line)
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


def html_to_text(markup: str) -> str:
    without = _BLOCKS.sub("", markup)
    spaced = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", without)
    return html.unescape(_TAGS.sub("", spaced)).strip()


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = content if isinstance(content, str) else ""
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return trim_quoted(text)[:MAX_BODY_CHARS]


def _attachments(message: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        name = part.get_filename() or "attachment"
        found.append(
            Attachment(name[:256], part.get_content_type(), size, size <= MAX_ATTACHMENT_BYTES)
        )
    return tuple(found[:MAX_ATTACHMENTS])


def _references(message: EmailMessage) -> tuple[str, ...]:
    ids = message_ids(message.get("In-Reply-To"))
    ids += list(reversed(message_ids(message.get("References"))))
    return tuple(dict.fromkeys(ids))


def header_recipients(raw: bytes) -> list[str]:
    """Who a message fetched from a mailbox was for (no SMTP envelope there): the delivery
    headers first, then To and Cc."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    found: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values = [str(v) for v in message.get_all(name, [])]
        for _display, address in getaddresses(values):
            if "@" in address and address.lower() not in found:
                found.append(address.lower())
    return found


def parse_email(raw: bytes, envelope_recipients: list[str]) -> InboundEmail:
    """The message, or InvalidParameter saying what is missing."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    ids = message_ids(message.get("Message-ID"))
    if not ids:
        raise InvalidParameter("the message has no Message-ID")
    senders = getaddresses([str(message.get("From", ""))])
    if not senders or not senders[0][1]:
        raise InvalidParameter("the message has no From address")
    return InboundEmail(
        message_id=ids[0],
        sender=email_address(senders[0][1]),
        recipients=tuple(email_address(r) for r in envelope_recipients),
        subject=str(message.get("Subject", ""))[:998],
        text=_text_of(message),
        references=_references(message),
        attachments=_attachments(message),
    )


@dataclass(frozen=True)
class OutboundEmail:
    """A reply in a thread: the organization's address, threading headers, plain text."""

    sender: str
    recipient: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
