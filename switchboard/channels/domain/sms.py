"""Twilio's Messaging webhooks, read and checked before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from switchboard.channels.domain.addresses import phone_number
from switchboard.kernel.errors import InvalidParameter

MAX_BODY = 1600  # Twilio's limit for one message
MAX_MEDIA = 10
_MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
# the provider's statuses, and the receipt status each one sets
RECEIPT_STATUS = {
    "accepted": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
}


@dataclass(frozen=True)
class InboundSms:
    """One inbound SMS or MMS as Twilio posts it."""

    message_sid: str
    sender: str
    recipient: str
    body: str
    media: tuple[tuple[str, str], ...] = ()  # (url, content type)


@dataclass(frozen=True)
class StatusReport:
    """A delivery status callback for a message we sent."""

    message_sid: str
    status: str
    error_code: int | None


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidParameter(f"Missing required parameter {name}")
    return value


def _message_sid(form: Mapping[str, str]) -> str:
    sid = _required(form, "MessageSid")
    if not _MESSAGE_SID.match(sid):
        raise InvalidParameter(f"MessageSid {sid!r} is not a Twilio message sid")
    return sid


def _media(form: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    raw = form.get("NumMedia") or "0"
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise InvalidParameter(f"NumMedia must be a whole number up to {MAX_MEDIA}")
    found = []
    for n in range(int(raw)):
        url = _required(form, f"MediaUrl{n}")
        if not url.startswith(("https://", "http://")):
            raise InvalidParameter(f"MediaUrl{n} must be an http(s) URL")
        found.append((url, form.get(f"MediaContentType{n}") or "application/octet-stream"))
    return tuple(found)


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """An inbound message webhook, or InvalidParameter saying what is wrong."""
    body = form.get("Body") or ""
    if len(body) > MAX_BODY:
        raise InvalidParameter(f"Body is longer than {MAX_BODY} characters")
    media = _media(form)
    if not body and not media:
        raise InvalidParameter("Missing required parameter Body (or media)")
    return InboundSms(
        message_sid=_message_sid(form),
        sender=phone_number(_required(form, "From")),
        recipient=phone_number(_required(form, "To")),
        body=body,
        media=media,
    )


def parse_status(form: Mapping[str, str]) -> StatusReport:
    """A status callback (`MessageStatus`, or `SmsStatus` from older accounts)."""
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if status not in RECEIPT_STATUS:
        raise InvalidParameter(f"MessageStatus {status!r} is not a Twilio message status")
    code = form.get("ErrorCode") or None
    if code is not None and not code.isdigit():
        raise InvalidParameter("ErrorCode must be a number")
    return StatusReport(_message_sid(form), status, int(code) if code else None)
