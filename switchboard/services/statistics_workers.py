"""Cumulative worker statistics: reservations handled and time spent per activity.

Activity time comes from `worker.activity.update` events, each of which says
how long the worker had been in its previous activity; that *stint* is clipped
to the window. The stint a worker is in right now has no event yet, so it is
read from the worker row (`date_status_changed`). Both are aggregated in SQL,
per activity (and per worker when only some workers are asked for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import statistics as st
from switchboard.domain.clock import iso
from switchboard.services.statistics_cumulative import (
    RESERVATION_FIGURES,
    event_counts,
    reservation_figures,
)
from switchboard.services.statistics_sql import (
    Column,
    EventScope,
    as_int,
    events,
    json_int,
    json_text,
)
from switchboard.store import tables as t

JSON = dict[str, Any]
# a selection this small is filtered in SQL; a larger one is grouped per worker and summed
MAX_IN_LIST = 500
Aggregates = dict[str, st.DurationAggregate]


def _in_list(column: Column[Any], workers: Collection[str] | None) -> list[Any]:
    if workers is None or len(workers) > MAX_IN_LIST:
        return []
    return [column.in_(sorted(workers))]


def _later(a: Column[int], b: int) -> ColumnElement[int]:
    return case((a > b, a), else_=literal(b, BigInteger))


def _earlier(a: Column[int], b: int) -> ColumnElement[int]:
    return case((a < b, a), else_=literal(b, BigInteger))


def _collect(
    rows: Sequence[Any], workers: Collection[str] | None, merged: Aggregates | None = None
) -> Aggregates:
    """Rows of `(activity, [worker,] count, total, min, max)` merged per activity."""
    found: Aggregates = merged if merged is not None else {}
    for row in rows:
        if workers is not None:
            activity, worker, *figures = row
            if worker not in workers:
                continue
        else:
            activity, *figures = row
        count, total, low, high = (as_int(value) for value in figures)
        current = found.get(activity, st.DurationAggregate())
        found[activity] = current.merge(st.DurationAggregate(count, total, low, high))
    return found


async def _ended_stints(
    session: AsyncSession, scope: EventScope, workers: Collection[str] | None
) -> Aggregates:
    """Stints that an activity change ended, clipped to the window."""
    e, window = events(), scope.window
    activity = json_text(e.event_data, "worker_previous_activity_sid")
    began = e.event_date - json_int(e.event_data, "worker_time_in_previous_activity_ms")
    clipped = _earlier(e.event_date, window.end) - _later(began, window.start)
    keys = [activity] if workers is None else [activity, e.worker_sid]
    query = (
        select(*keys, func.count(), func.sum(clipped), func.min(clipped), func.max(clipped))
        .where(
            e.workspace_sid == scope.workspace_sid,
            e.event_type == "worker.activity.update",
            e.event_date > window.start,
            began < window.end,
            *_in_list(e.worker_sid, workers),
        )
        .group_by(*keys)
    )
    return _collect((await session.execute(query)).all(), workers)


async def _current_stints(
    session: AsyncSession,
    scope: EventScope,
    workers: Collection[str] | None,
    now: int,
    found: Aggregates,
) -> Aggregates:
    """The stint each worker is in now, from its row, clipped to the window."""
    window, w = scope.window, t.Worker
    until = min(now, window.end)
    if until <= window.start:
        return found
    clipped = literal(until, BigInteger) - _later(w.date_status_changed, window.start)
    keys = [w.activity_sid] if workers is None else [w.activity_sid, w.sid]
    query = (
        select(*keys, func.count(), func.sum(clipped), func.min(clipped), func.max(clipped))
        .where(
            w.workspace_sid == scope.workspace_sid,
            w.date_status_changed < until,
            *_in_list(w.sid, workers),
        )
        .group_by(*keys)
    )
    return _collect((await session.execute(query)).all(), workers, found)


async def activity_durations(
    session: AsyncSession,
    scope: EventScope,
    activities: Sequence[tuple[str, str]],
    workers: Collection[str] | None,
    now: int,
) -> list[JSON]:
    """One entry per activity of the workspace (zeros included), in the given order."""
    found = await _ended_stints(session, scope, workers)
    found = await _current_stints(session, scope, workers, now, found)
    return [
        st.activity_duration(sid, name, found.get(sid, st.DurationAggregate()))
        for sid, name in activities
    ]


async def reservation_counts(
    session: AsyncSession, scope: EventScope, workers: Collection[str] | None
) -> JSON:
    """Reservations of all workers, or of the selected ones (per-worker rows summed)."""
    types = list(RESERVATION_FIGURES.values())
    if workers is None:
        grouped = await event_counts(session, replace(scope, keys=None), types)
        return reservation_figures(grouped.get(scope.workspace_sid, {}))
    small = len(workers) <= MAX_IN_LIST
    per_worker = replace(scope, group="worker_sid", keys=tuple(sorted(workers)) if small else None)
    totals: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for worker, counts in (await event_counts(session, per_worker, types)).items():
        if worker in workers:
            for kind, (n_events, n_tasks) in counts.items():
                before = totals[kind]
                totals[kind] = (before[0] + n_events, before[1] + n_tasks)
    return reservation_figures(totals)


async def workers_cumulative(
    session: AsyncSession,
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
        **await reservation_counts(session, scope, workers),
        "activity_durations": await activity_durations(
            session, replace(scope, channel_sid=None), activities, workers, now
        ),
        "start_time": iso(scope.window.start),
        "end_time": iso(scope.window.end),
    }
