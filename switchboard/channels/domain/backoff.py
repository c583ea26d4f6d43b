"""When a reply the provider could not take is tried again."""

from __future__ import annotations


def retry_delay_ms(initial_s: float, max_s: float, attempts_made: int) -> int:
    """Doubling from `initial_s` after each failed attempt, never above `max_s`."""
    delay = initial_s * 2.0 ** max(0, attempts_made - 1)
    return int(min(max_s, delay) * 1000)
