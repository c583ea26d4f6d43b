"""Statistics arithmetic with no I/O: windows, duration summaries, percentiles, splits.

The services aggregate in SQL (counts, sums, minima, maxima and the rows found
at given ranks) so that no request loops over an event table in Python; this
module turns those aggregates into Twilio's JSON shapes, so one set of rules
applies whichever database did the counting. Each rule the SQL side mirrors
has a list-based twin here (:func:`aggregate`, :func:`percentiles_of`,
:func:`count_above`) that the tests hold the database's answers against.

Conventions (documented in ``docs/reference/statistics.md``):

* durations are measured in milliseconds and shown in whole seconds, rounded
  half up (``avg`` is rounded once, from the exact total);
* percentiles use the nearest-rank method: the p-th percentile of ``n`` sorted
  values is the value at rank ``ceil(p * n / 100)`` (1-based);
* a wait is *above* a SplitByWaitTime threshold of ``t`` seconds when it lasted
  strictly longer than ``t`` seconds, otherwise *below* ("answered within t").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.kernel.errors import InvalidParameter

PERCENTILES = (50, 90, 99)
DEFAULT_MINUTES = 15
MAX_MINUTES = 43_200  # Twilio keeps 30 days of history
MAX_THRESHOLDS = 20
ROUTING_LEVELS = ("preferred", "secondary", "last_resort")
DEFAULT_FILTER = -1  # the workflow step index of the default filter
_MINUTE_MS = 60_000
_SECOND_MS = 1000


@dataclass(frozen=True)
class Window:
    """The closed interval `[start, end]` (epoch ms) that cumulative figures cover."""

    start: int
    end: int


def resolve_window(
    minutes: int | None, start_date: int | None, end_date: int | None, now: int
) -> Window:
    """`StartDate` wins over `Minutes`; `Minutes` (15 by default) counts back from `EndDate` or now.

    These are the rules of the /Events list, so a dashboard that shows both
    agrees on what "the last 15 minutes" means.
    """
    end = now if end_date is None else end_date
    if start_date is not None:
        start = start_date
    else:
        start = end - (DEFAULT_MINUTES if minutes is None else minutes) * _MINUTE_MS
    if start > end:
        raise InvalidParameter("Invalid StartDate: it must not be after EndDate (or now)")
    return Window(start, end)


def parse_thresholds(text: str | None) -> tuple[int, ...]:
    """`SplitByWaitTime=5,30` as sorted, distinct whole seconds; junk is a 400, not a guess."""
    if text is None:
        return ()
    found: set[int] = set()
    for part in text.split(","):
        value = part.strip()
        if not value:
            continue
        # ASCII digits only ('¹' is a digit to str.isdigit, not to int); at most 9 of them
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            raise InvalidParameter(
                f"Invalid SplitByWaitTime: {value!r} is not a whole number of seconds"
            )
        found.add(int(value))
    if len(found) > MAX_THRESHOLDS:
        raise InvalidParameter(f"Invalid SplitByWaitTime: at most {MAX_THRESHOLDS} thresholds")
    return tuple(sorted(found))


def seconds(ms: int) -> int:
    """Milliseconds as whole seconds, rounded half up (durations are never negative)."""
    return (ms + _SECOND_MS // 2) // _SECOND_MS


def average_seconds(total_ms: int, count: int) -> int:
    """`total / count` in whole seconds, rounded half up with exact integer arithmetic."""
    if count <= 0:
        return 0
    return (2 * total_ms + count * _SECOND_MS) // (2 * count * _SECOND_MS)


def nearest_rank(percent: int, count: int) -> int:
    """1-based rank of the `percent`-th percentile among `count` values: ceil(p·n/100).

    The SQL side selects rows with `rn = (p * n + 99) / 100` in integer
    arithmetic, which is the same number.
    """
    return max(1, (percent * count + 99) // 100)


@dataclass(frozen=True)
class DurationAggregate:
    """What SQL's COUNT/SUM/MIN/MAX say about a set of durations (ms)."""

    count: int = 0
    total_ms: int = 0
    min_ms: int = 0
    max_ms: int = 0

    def merge(self, other: DurationAggregate) -> DurationAggregate:
        """Both sets together (per-worker rows summed into a selection of workers)."""
        if not self.count:
            return other
        if not other.count:
            return self
        return DurationAggregate(
            self.count + other.count,
            self.total_ms + other.total_ms,
            min(self.min_ms, other.min_ms),
            max(self.max_ms, other.max_ms),
        )


def aggregate(values: Iterable[int]) -> DurationAggregate:
    """List twin of the SQL aggregate."""
    items = list(values)
    if not items:
        return DurationAggregate()
    return DurationAggregate(len(items), sum(items), min(items), max(items))


def percentiles_of(values: Iterable[int]) -> dict[int, int]:
    """List twin of the SQL rank query: `{50: ms, 90: ms, 99: ms}` ({} when empty)."""
    ordered = sorted(values)
    if not ordered:
        return {}
    return {p: ordered[nearest_rank(p, len(ordered)) - 1] for p in PERCENTILES}


def count_above(values: Iterable[int], threshold: int) -> int:
    """How many waits (ms) lasted strictly longer than `threshold` seconds."""
    limit = threshold * _SECOND_MS
    return sum(1 for value in values if value > limit)


def duration_summary(
    figures: DurationAggregate, percentiles: Mapping[int, int] | None = None
) -> dict[str, int]:
    """Twilio's `{avg, min, max, total}` in seconds, plus our `p50`, `p90`, `p99`."""
    summary = {
        "avg": average_seconds(figures.total_ms, figures.count),
        "min": seconds(figures.min_ms),
        "max": seconds(figures.max_ms),
        "total": seconds(figures.total_ms),
    }
    ranks = percentiles or {}
    for p in PERCENTILES:
        summary[f"p{p}"] = seconds(ranks.get(p, 0))
    return summary


@dataclass(frozen=True)
class SplitSide:
    """The waits of one kind (accepted reservations or canceled tasks) around thresholds."""

    count: int = 0
    above: Mapping[int, int] | None = None  # threshold -> waits longer than it

    def above_of(self, threshold: int) -> int:
        return (self.above or {}).get(threshold, 0)


def split_by_wait_time(
    thresholds: Sequence[int], accepted: SplitSide, canceled: SplitSide
) -> dict[str, Any]:
    """`{"<t>": {"above": {...}, "below": {...}}}`: canceled tasks and accepted reservations."""
    split: dict[str, Any] = {}
    for threshold in thresholds:
        accepted_above, canceled_above = accepted.above_of(threshold), canceled.above_of(threshold)
        split[str(threshold)] = {
            "above": {"tasks_canceled": canceled_above, "reservations_accepted": accepted_above},
            "below": {
                "tasks_canceled": canceled.count - canceled_above,
                "reservations_accepted": accepted.count - accepted_above,
            },
        }
    return split


def routing_level(filter_index: int | None, target_index: int | None) -> str | None:
    """Which level of its workflow a task was accepted at; None when not workflow-routed.

    The default filter is the last resort; the first target of a matching
    filter is the preferred one; any later target of it is secondary.
    """
    if filter_index is None or target_index is None:
        return None
    if filter_index == DEFAULT_FILTER:
        return "last_resort"
    return "preferred" if target_index == 0 else "secondary"


def routing_success(rows: Iterable[tuple[int | None, int | None, int]]) -> dict[str, int]:
    """Accepted reservations per level from `(filter_index, target_index, count)` rows."""
    success = dict.fromkeys(ROUTING_LEVELS, 0)
    for filter_index, target_index, count in rows:
        level = routing_level(filter_index, target_index)
        if level is not None:
            success[level] += count
    return success


def activity_duration(sid: str, friendly_name: str, figures: DurationAggregate) -> dict[str, Any]:
    """One `activity_durations` entry: time spent in one activity, per stint, in seconds."""
    return {
        "sid": sid,
        "friendly_name": friendly_name,
        "avg": average_seconds(figures.total_ms, figures.count),
        "min": seconds(figures.min_ms),
        "max": seconds(figures.max_ms),
        "total": seconds(figures.total_ms),
    }


def clipped_stint(start: int, end: int, window: Window) -> int | None:
    """The part of `[start, end]` inside the window, in ms; None when they do not overlap.

    List twin of the SQL that clips activity stints to the window.
    """
    if end <= window.start or start >= window.end:
        return None
    return min(end, window.end) - max(start, window.start)


# --- what the statistics queries return (the database's answers, before JSON) ---------

LIVE_TASK_STATUSES = ("pending", "reserved", "assigned", "wrapping")
# a task waits until a worker accepts it
WAITING_TASK_STATUSES = ("pending", "reserved")
Aggregates = dict[str, DurationAggregate]


@dataclass(frozen=True)
class EventScope:
    """Which events a cumulative figure reads.

    `group` names the events field the results are keyed by (`workspace_sid`,
    `task_queue_sid`, `workflow_sid` or `worker_sid`); `keys`, when given,
    restricts that field to those values; `channel_sid` keeps the events of
    tasks on one TaskChannel (recorded in each task and reservation event).
    """

    workspace_sid: str
    window: Window
    group: str = "workspace_sid"
    keys: tuple[str, ...] | None = None
    channel_sid: str | None = None


@dataclass
class Waits:
    """One duration figure of one key: its aggregate, percentiles and threshold counts."""

    figures: DurationAggregate = field(default_factory=DurationAggregate)
    percentiles: dict[int, int] = field(default_factory=dict)
    above: dict[int, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return duration_summary(self.figures, self.percentiles)

    def side(self) -> SplitSide:
        return SplitSide(self.figures.count, self.above)


def waits_of(values: Sequence[int], thresholds: Sequence[int]) -> Waits:
    """List twin of the SQL wait query: aggregate, percentiles and counts above thresholds."""
    return Waits(
        aggregate(values),
        percentiles_of(values),
        {threshold: count_above(values, threshold) for threshold in thresholds},
    )


def _age(now: int, since: int | None) -> int:
    return 0 if since is None else max(0, (now - since) // _SECOND_MS)


@dataclass
class TaskFigures:
    """The live tasks of one scope key."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIVE_TASK_STATUSES, 0))
    by_priority: dict[str, int] = field(default_factory=dict)
    oldest: tuple[int, str] | None = None  # (date_created, sid) of the longest-waiting task
    oldest_in_queue: tuple[int, str] | None = None  # by time of entering the queue

    def count(self, status: str, priority: int, n: int) -> None:
        self.by_status[status] += n
        self.by_priority[str(priority)] = self.by_priority.get(str(priority), 0) + n

    def fields(self, now: int) -> dict[str, Any]:
        """Ages are whole seconds, floored, like a Task's `age`."""
        since, sid = self.oldest or (None, None)
        return {
            "longest_task_waiting_age": _age(now, since),
            "longest_task_waiting_sid": sid,
            "tasks_by_priority": dict(self.by_priority),
            "tasks_by_status": dict(self.by_status),
            "total_tasks": sum(self.by_status.values()),
        }

    def relative_fields(self, now: int) -> dict[str, Any]:
        since, sid = self.oldest_in_queue or (None, None)
        return {
            "longest_relative_task_age_in_queue": _age(now, since),
            "longest_relative_task_sid_in_queue": sid,
        }
