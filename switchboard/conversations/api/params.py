"""Reading the pillar's request parameters (validation before any service runs)."""

from __future__ import annotations

from switchboard.conversations.domain import limits
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.lifecycle import parse_duration_ms
from switchboard.wire.params import Params


def duration(p: Params, name: str) -> int | None:
    value = p.raw(name)
    return None if value is None else parse_duration_ms(name, value)


def name(p: Params, key: str) -> str | None:
    return p.string(key, max_length=limits.MAX_NAME) or None


def attributes(p: Params, key: str = "Attributes") -> str | None:
    return p.json_text(key, max_length=limits.MAX_ATTRIBUTES)


def state(p: Params) -> str | None:
    return p.enum("State", r.STATES)
