"""Interaction state and timers: `active ⇄ inactive → closed`, as Twilio Conversations.

`Timers.Inactive` and `Timers.Closed` are ISO 8601 durations counted from the last
activity (creation, a message, a participant change). The state a reader sees is
computed from them here, so no background job has to run for a timer to take effect;
the next write stores what this function says.
"""

from __future__ import annotations

import re

from switchboard.conversations.domain.records import ACTIVE, CLOSED, INACTIVE
from switchboard.kernel.errors import InvalidParameter

_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")
# Twilio's bounds: inactive at least 1 minute and at most 1 day; closed at least 10 minutes
MIN_INACTIVE_MS = 60_000
MAX_INACTIVE_MS = 86_400_000
MIN_CLOSED_MS = 600_000
ALLOWED = {
    ACTIVE: {ACTIVE, INACTIVE, CLOSED},
    INACTIVE: {ACTIVE, INACTIVE, CLOSED},
    CLOSED: {CLOSED},
}


def parse_duration_ms(name: str, text: str) -> int:
    """`PT5M`, `P1DT2H`, `PT90S` as milliseconds; 400 for anything else."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise InvalidParameter(f"Invalid {name}: {text!r} is not an ISO 8601 duration (PT5M)")
    days, hours, minutes, seconds = (int(match.group(g) or 0) for g in "dhms")
    return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000


def check_timers(inactive_ms: int | None, closed_ms: int | None) -> None:
    if inactive_ms is not None and not MIN_INACTIVE_MS <= inactive_ms <= MAX_INACTIVE_MS:
        raise InvalidParameter("Invalid Timers.Inactive: must be between PT1M and P1D")
    if closed_ms is not None and closed_ms < MIN_CLOSED_MS:
        raise InvalidParameter("Invalid Timers.Closed: must be at least PT10M")


def date_inactive(state: str, last_activity: int, inactive_ms: int | None) -> int | None:
    """When an active interaction turns inactive (None: never, or not active)."""
    if state != ACTIVE or inactive_ms is None:
        return None
    return last_activity + inactive_ms


def date_closed(state: str, last_activity: int, closed_ms: int | None) -> int | None:
    """When an interaction closes by itself (None: never, or already closed)."""
    if state == CLOSED or closed_ms is None:
        return None
    return last_activity + closed_ms


def effective_state(
    state: str, last_activity: int, inactive_ms: int | None, closed_ms: int | None, now: int
) -> str:
    """The state at `now`, the timers applied."""
    closing = date_closed(state, last_activity, closed_ms)
    if closing is not None and now >= closing:
        return CLOSED
    going = date_inactive(state, last_activity, inactive_ms)
    if going is not None and now >= going:
        return INACTIVE
    return state


def check_transition(current: str, wanted: str) -> None:
    """Closed is final: a closed interaction never opens again."""
    if wanted not in ALLOWED[current]:
        raise InvalidParameter(
            f"Invalid State: a {current} conversation cannot become {wanted}", code=50353
        )


def format_duration(ms: int | None) -> str | None:
    """Milliseconds as the ISO 8601 duration Twilio echoes (`PT5M`, `P1DT2H`)."""
    if ms is None:
        return None
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"
