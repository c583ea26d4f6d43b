"""Twilio-style resource identifiers: two letters and 32 lowercase hex digits."""

from __future__ import annotations

import re
import secrets

ACCOUNT = "AC"
WORKSPACE = "WS"
ACTIVITY = "WA"
TASK_CHANNEL = "TC"
TASK_QUEUE = "WQ"
WORKFLOW = "WW"
WORKER = "WK"
WORKER_CHANNEL = "WC"
TASK = "WT"
RESERVATION = "WR"
EVENT = "EV"

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def new_sid(prefix: str) -> str:
    """Random, so sids reveal nothing about order or volume."""
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str | None = None) -> bool:
    """True when `value` is well formed (and has `prefix`, if given)."""
    if not _SID.match(value):
        return False
    return prefix is None or value.startswith(prefix)
