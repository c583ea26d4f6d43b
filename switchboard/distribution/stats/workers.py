"""Cumulative worker statistics: reservations handled and time spent per activity.

Activity time comes from `worker.activity.update` events, each of which says
how long the worker had been in its previous activity; that *stint* is clipped
to the window. The stint a worker is in right now has no event yet, so it is
read from the worker record (`date_status_changed`). Both are aggregated by the
statistics port, per activity (and per worker when only some workers are asked for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from switchboard.distribution.domain import statistics as st
from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.distribution.domain.statistics import EventScope
from switchboard.distribution.stats.cumulative import RESERVATION_FIGURES, reservation_figures
from switchboard.kernel.clock import iso
from switchboard.kernel.ports import Unit

JSON = dict[str, Any]
# a selection this small is counted per worker by key; a larger one per worker, then summed
MAX_IN_LIST = 500


async def activity_durations(
    queries: StatisticsQueries,
    unit: Unit,
    scope: EventScope,
    activities: Sequence[tuple[str, str]],
    workers: Collection[str] | None,
    now: int,
) -> list[JSON]:
    """One entry per activity of the workspace (zeros included), in the given order."""
    found = await queries.ended_stints(unit, scope, workers)
    for activity, figures in (await queries.current_stints(unit, scope, workers, now)).items():
        found[activity] = found.get(activity, st.DurationAggregate()).merge(figures)
    return [
        st.activity_duration(sid, name, found.get(sid, st.DurationAggregate()))
        for sid, name in activities
    ]


async def reservation_counts(
    queries: StatisticsQueries, unit: Unit, scope: EventScope, workers: Collection[str] | None
) -> JSON:
    """Reservations of all workers, or of the selected ones (per-worker rows summed)."""
    types = list(RESERVATION_FIGURES.values())
    if workers is None:
        grouped = await queries.event_counts(unit, replace(scope, keys=None), types)
        return reservation_figures(grouped.get(scope.workspace_sid, {}))
    small = len(workers) <= MAX_IN_LIST
    per_worker = replace(scope, group="worker_sid", keys=tuple(sorted(workers)) if small else None)
    totals: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for worker, counts in (await queries.event_counts(unit, per_worker, types)).items():
        if worker in workers:
            for kind, (n_events, n_tasks) in counts.items():
                before = totals[kind]
                totals[kind] = (before[0] + n_events, before[1] + n_tasks)
    return reservation_figures(totals)


async def workers_cumulative(
    queries: StatisticsQueries,
    unit: Unit,
    scope: EventScope,
    activities: Sequence[tuple[str, str]],
    workers: Collection[str] | None,
    now: int,
) -> JSON:
    """`reservations_*`, `activity_durations`, `start_time`, `end_time`.

    The TaskChannel filter applies to reservations only: activities are not
    per channel.
    """
    return {
        **await reservation_counts(queries, unit, scope, workers),
        "activity_durations": await activity_durations(
            queries, unit, replace(scope, channel_sid=None), activities, workers, now
        ),
        "start_time": iso(scope.window.start),
        "end_time": iso(scope.window.end),
    }
