"""Pacing: whether an ad for a skill should invite a call now, and how many impressions
the agents can absorb before the service level breaks.

The answer is `call` or `form`. It flips to `form` as soon as the predicted service
level drops below the target, but back to `call` only once it clears the target by the
rule's hysteresis margin, so a level hovering at the target does not make ads flap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from switchboard.attribution.domain.erlang import offered_load, service_level

CALL = "call"
FORM = "form"
# headroom is searched up to this many extra contacts per interval
_MAX_HEADROOM = 100_000


@dataclass(frozen=True)
class Availability:
    """The skill's agents right now: ready for a contact, and logged in at all."""

    available: int
    staffed: int
    # contacts that arrived for the skill during the last interval
    recent_arrivals: int = 0
    # workers with the skill, whatever their activity (the roster a staffing plan compares)
    roster: int = 0


@dataclass(frozen=True)
class PacingInputs:
    handle_seconds: float
    answer_seconds: float
    target: float
    interval_seconds: float
    contacts_per_impression: float
    forecast_contacts: float
    hysteresis: float


@dataclass(frozen=True)
class Decision:
    show: str
    reason: str
    available: int
    staffed: int
    predicted_service_level: float
    headroom_contacts: int
    impression_budget: int


def expected_contacts(inputs: PacingInputs, now: Availability) -> float:
    """The interval's demand: the forecast, or recent arrivals when they run higher."""
    return max(inputs.forecast_contacts, float(now.recent_arrivals))


def predicted_level(inputs: PacingInputs, agents: int, contacts: float) -> float:
    load = offered_load(contacts, inputs.interval_seconds, inputs.handle_seconds)
    return service_level(agents, load, inputs.handle_seconds, inputs.answer_seconds)


def headroom(inputs: PacingInputs, agents: int, contacts: float, floor: float) -> int:
    """How many more contacts this interval keep the level at or above `floor`
    (a binary search: the level falls as contacts rise)."""
    if predicted_level(inputs, agents, contacts) < floor:
        return 0
    low, high = 0, 1
    while high < _MAX_HEADROOM and predicted_level(inputs, agents, contacts + high) >= floor:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if predicted_level(inputs, agents, contacts + middle) >= floor:
            low = middle
        else:
            high = middle
    return low


def decide(
    inputs: PacingInputs, now: Availability, last_show: str, open_now: bool = True
) -> Decision:
    """`form` outside business hours, without an available skilled agent or below the
    target; else `call`, with the contacts the agents can still take turned into an
    impression budget."""
    contacts = expected_contacts(inputs, now)
    level = predicted_level(inputs, now.staffed, contacts)
    if not open_now:
        return _decision(FORM, "closed", now, level, 0, 0)
    if now.available <= 0:
        return _decision(FORM, "no_available_agent", now, level, 0, 0)
    # hysteresis: leaving `form` needs the target plus the margin
    floor = inputs.target + (inputs.hysteresis if last_show == FORM else 0.0)
    if level < floor:
        reason = "below_target" if level < inputs.target else "recovering"
        return _decision(FORM, reason, now, level, 0, 0)
    room = headroom(inputs, now.staffed, contacts, inputs.target)
    budget = _budget(room, inputs.contacts_per_impression)
    return _decision(CALL, "capacity", now, level, room, budget)


def _budget(contacts: int, per_impression: float) -> int:
    if per_impression <= 0:
        return 0
    return math.floor(contacts / per_impression + 1e-9)


def _decision(
    show: str, reason: str, now: Availability, level: float, room: int, budget: int
) -> Decision:
    return Decision(show, reason, now.available, now.staffed, round(level, 4), room, budget)


@dataclass(frozen=True)
class Block:
    """A weekly ad-schedule block (days 0 = Monday), as ad platforms take them."""

    day: int
    start_minute: int
    end_minute: int

    def as_dict(self) -> dict[str, int | str]:
        """Google Ads' AdScheduleInfo fields (day name, hours and minutes)."""
        return {
            "day_of_week": DAY_NAMES[self.day],
            "start_hour": self.start_minute // 60,
            "start_minute": self.start_minute % 60,
            "end_hour": self.end_minute // 60,
            "end_minute": self.end_minute % 60,
        }


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def ad_schedule(hours: dict[int, tuple[int, int]]) -> list[Block]:
    """Business hours per weekday (minutes from midnight) as ad-schedule blocks."""
    blocks = []
    for day in sorted(hours):
        start, end = hours[day]
        if not 0 <= day <= 6 or not 0 <= start < end <= 1440:
            raise ValueError(f"invalid business hours for day {day}: {start}-{end}")
        blocks.append(Block(day, start, end))
    return blocks


def _minute(text: str) -> int:
    hour, _, minute = text.strip().partition(":")
    if not (hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ValueError(f"{text!r} is not HH:MM")
    return int(hour) * 60 + int(minute)


def business_hours(spec: dict[str, str]) -> dict[int, tuple[int, int]]:
    """`{"mon": "09:00-17:00", ...}` as minutes per weekday (0 = Monday); validated."""
    hours = {}
    for name, span in spec.items():
        if name not in DAYS or not isinstance(span, str) or "-" not in span:
            raise ValueError(f"business hours take mon..sun: 'HH:MM-HH:MM', not {name!r}")
        start, end = (_minute(part) for part in span.split("-", 1))
        hours[DAYS.index(name)] = (start, end)
    ad_schedule(hours)  # the same checks as the export
    return hours


def is_open(hours: dict[int, tuple[int, int]], weekday: int, minute: int) -> bool:
    """No hours at all: always open; else inside the day's span."""
    if not hours:
        return True
    span = hours.get(weekday)
    return span is not None and span[0] <= minute < span[1]
