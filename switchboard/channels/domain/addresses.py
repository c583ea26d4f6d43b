"""Carrier identifiers in one canonical form, so `+1 (555) 010-0001` and `+15550100001`
name the same number and `Support@Example.com` the same mailbox."""

from __future__ import annotations

import re

from switchboard.channels.domain.records import CHANNELS, EMAIL, SMS, VOICE
from switchboard.kernel.errors import InvalidParameter

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")
_EMAIL = re.compile(r"^[^@\s<>]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,253})$")
_WIDGET = re.compile(r"^[A-Za-z0-9_\-]{3,64}$")


def check_channel(channel: str | None) -> str:
    if channel is None:
        raise InvalidParameter("Missing required parameter Channel")
    if channel not in CHANNELS:
        raise InvalidParameter(f"Channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    return channel


def phone_number(value: str) -> str:
    """E.164 (`+` and up to 15 digits); spaces, dots, dashes and parentheses are dropped."""
    number = _PHONE_PUNCTUATION.sub("", value)
    if not _E164.match(number):
        raise InvalidParameter(f"{value!r} is not a phone number in E.164 form (+15550100001)")
    return number


def email_address(value: str) -> str:
    """Lower-case `local@domain` (a display name such as `Desk <desk@x.org>` is dropped)."""
    text = value.strip()
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1 : -1]
    if not _EMAIL.match(text) or ".." in text:
        raise InvalidParameter(f"{value!r} is not an email address")
    return text.lower()


def normalise(channel: str, value: str | None) -> str:
    """The canonical form of `value` on `channel` (raises InvalidParameter when malformed)."""
    if value is None or not value.strip():
        raise InvalidParameter("Missing required parameter Address")
    if channel in (SMS, VOICE):
        return phone_number(value)
    if channel == EMAIL:
        return email_address(value)
    if not _WIDGET.match(value):
        raise InvalidParameter(f"{value!r} is not a widget id (3-64 letters, digits, - or _)")
    return value
