"""Time in the core is integer milliseconds since the epoch, always UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Wall-clock time: timers and ages are stored as absolute instants."""
    return time.time_ns() // 1_000_000


def to_datetime(ms: int) -> datetime:
    """Aware UTC datetime for an instant."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def from_datetime(value: datetime) -> int:
    """Instant of an aware datetime (naive ones are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    """Twilio's wire format: `YYYY-MM-DDTHH:MM:SSZ`, no fraction (the SDK parses exactly that)."""
    if ms is None:
        return None
    return to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%SZ")
