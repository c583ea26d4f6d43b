"""Business hours of an organization or team: a weekly schedule in an IANA time zone,
with holidays. Pure: times in and out are epoch milliseconds UTC.

Local opening times are turned into instants day by day through `zoneinfo`, so a
schedule keeps its wall-clock meaning across daylight-saving changes (09:00 in Paris is
07:00Z in summer and 08:00Z in winter, and the 23-hour day has 23 hours).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from switchboard.kernel.errors import InvalidParameter

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
MAX_LOOKAHEAD_DAYS = 400  # a schedule closed for longer than this never opens
Interval = tuple[int, int]


def _minutes(text: Any, where: str) -> int:
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidParameter(f"Invalid {where}: {text!r} is not a time HH:MM (00:00-24:00)")
    return int(match.group(1)) * 60 + int(match.group(2))


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidParameter(f"Invalid TimeZone: {name!r} is not an IANA time zone") from error


def _day(spans: Any, where: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(spans, list):
        raise InvalidParameter(f"Invalid {where}: a list of [open, close] pairs")
    parsed = []
    for span in spans:
        if not isinstance(span, list) or len(span) != 2:
            raise InvalidParameter(f"Invalid {where}: a list of [open, close] pairs")
        start, end = _minutes(span[0], where), _minutes(span[1], where)
        if start >= end:
            raise InvalidParameter(f"Invalid {where}: {span[0]} is not before {span[1]}")
        parsed.append((start, end))
    return tuple(sorted(parsed))


def _holiday(text: Any) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as error:
        raise InvalidParameter(f"Invalid Holidays: {text!r} is not a date YYYY-MM-DD") from error


@dataclass(frozen=True)
class Hours:
    """When a team answers: spans (minutes from local midnight) per weekday, minus holidays."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]  # Monday first
    holidays: frozenset[date]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Hours:
        """`{"time_zone": "Europe/Paris", "week": {"mon": [["09:00", "17:00"]]},
        "holidays": ["2026-12-25"]}`; a day not named is closed."""
        week_raw = raw.get("week", {})
        if not isinstance(week_raw, dict) or set(week_raw) - set(DAYS):
            raise InvalidParameter(f"Invalid Hours: week names days among {', '.join(DAYS)}")
        week = tuple(_day(week_raw.get(day, []), f"Hours.week.{day}") for day in DAYS)
        holidays = raw.get("holidays", [])
        if not isinstance(holidays, list):
            raise InvalidParameter("Invalid Hours: holidays is a list of dates")
        zone = _zone(raw.get("time_zone", "UTC"))
        return cls(zone, week, frozenset(_holiday(day) for day in holidays))

    def _instant(self, day: date, minutes: int) -> int:
        local = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return int(local.replace(tzinfo=self.zone).timestamp() * 1000)

    def _local_date(self, at_ms: int) -> date:
        return datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(self.zone).date()

    def intervals(self, start: date, days: int) -> Iterator[Interval]:
        """The open intervals of `days` local days from `start`, in order."""
        for offset in range(days):
            day = start + timedelta(days=offset)
            if day in self.holidays:
                continue
            for begin, end in self.week[day.weekday()]:
                yield self._instant(day, begin), self._instant(day, end)

    def is_open(self, at_ms: int) -> bool:
        day = self._local_date(at_ms) - timedelta(days=1)
        return any(begin <= at_ms < end for begin, end in self.intervals(day, 3))

    def next_opening(self, at_ms: int) -> int | None:
        """`at_ms` itself when open, else the next opening instant (None: never)."""
        day = self._local_date(at_ms) - timedelta(days=1)
        for begin, end in self.intervals(day, MAX_LOOKAHEAD_DAYS):
            if end > at_ms:
                return max(begin, at_ms)
        return None

    def open_ms_between(self, start_ms: int, end_ms: int) -> int:
        """How much of [start, end) falls in business hours (SLA clocks run only then)."""
        if end_ms <= start_ms:
            return 0
        first = self._local_date(start_ms) - timedelta(days=1)
        days = (end_ms - start_ms) // 86_400_000 + 3
        total = 0
        for begin, end in self.intervals(first, days):
            total += max(0, min(end, end_ms) - max(begin, start_ms))
        return total

    def local_text(self, at_ms: int) -> str:
        """An instant as the customer's message shows it (the team's local time)."""
        local = datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(self.zone)
        return local.strftime("%A %d %B %H:%M %Z")


ALWAYS = Hours(ZoneInfo("UTC"), tuple(((0, 1440),) for _ in DAYS), frozenset())
