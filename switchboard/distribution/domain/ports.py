"""The distribution pillar's own port: aggregates the statistics need from the store.

Two implementations give the same answers: one computes them in Python from the
records any store returns (:mod:`switchboard.distribution.stats.portable`), the
other in SQL, grouped by the database
(:mod:`switchboard.distribution.persistence.sql_statistics`). The store contract
suite holds them against each other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from switchboard.distribution.domain.statistics import (
    Aggregates,
    EventScope,
    TaskFigures,
    Waits,
)
from switchboard.kernel.ports import Unit

Counts = dict[str, dict[str, tuple[int, int]]]
RoutingRows = dict[str, list[tuple[int | None, int | None, int]]]


class StatisticsQueries(Protocol):
    async def event_counts(
        self, unit: Unit, scope: EventScope, event_types: Sequence[str]
    ) -> Counts:
        """`{key: {event_type: (events, distinct tasks)}}` for the scope's events."""
        ...

    async def wait_durations(
        self, unit: Unit, scope: EventScope, kind: str, thresholds: Sequence[int]
    ) -> dict[str, Waits]:
        """Waits per key until `accepted`, until `canceled`, or `in_queue` until accepted."""
        ...

    async def routing_counts(self, unit: Unit, scope: EventScope) -> RoutingRows:
        """Accepted reservations per key as `(filter_index, target_index, count)` rows."""
        ...

    async def ended_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None
    ) -> Aggregates:
        """Activity stints that a `worker.activity.update` ended, clipped to the window."""
        ...

    async def current_stints(
        self, unit: Unit, scope: EventScope, workers: Collection[str] | None, now: int
    ) -> Aggregates:
        """The stint each worker is in now, from its record, clipped to the window."""
        ...

    async def task_figures(
        self,
        unit: Unit,
        workspace_sid: str,
        group: str,
        keys: Sequence[str] | None,
        channel: str | None,
    ) -> dict[str, TaskFigures]:
        """Live tasks per key of `group` (a task field): by status, by priority, the oldest."""
        ...
