"""Cumulative statistics: what happened in a time window, aggregated from stored events.

Events are the durable record of every state change, so these figures survive
restarts and can be asked for any past window (Twilio keeps 30 days). Every
figure group is one SQL statement that groups by the scope's key column
(workspace, queue, workflow or worker), so a page of 50 queues costs the same
handful of queries as a single queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from switchboard.domain import statistics as st
from switchboard.domain.clock import iso
from switchboard.services.statistics_sql import EventScope, as_int, events, json_int

JSON = dict[str, Any]
RESERVATION_FIGURES = {
    "reservations_created": "reservation.created",
    "reservations_accepted": "reservation.accepted",
    "reservations_rejected": "reservation.rejected",
    "reservations_timed_out": "reservation.timeout",
    "reservations_canceled": "reservation.canceled",
    "reservations_rescinded": "reservation.rescinded",
}
_COMMON_TASK_FIGURES = {
    "tasks_canceled": "task.canceled",
    "tasks_completed": "task.completed",
    "tasks_deleted": "task.deleted",
    "tasks_moved": "task-queue.moved",
}


@dataclass(frozen=True)
class Level:
    """What one kind of cumulative statistics holds (the spec's field matrix)."""

    group: str  # the events column figures are keyed by
    task_figures: Mapping[str, str]  # figure -> event type, counted in distinct tasks
    in_queue_waits: bool = False
    routing: bool = False


WORKSPACE = Level(
    "workspace_sid",
    {
        "tasks_created": "task.created",
        **_COMMON_TASK_FIGURES,
        "tasks_timed_out_in_workflow": "workflow.timeout",
    },
    routing=True,
)
TASK_QUEUE = Level(
    "task_queue_sid",
    {"tasks_entered": "task-queue.entered", **_COMMON_TASK_FIGURES},
    in_queue_waits=True,
)
WORKFLOW = Level(
    "workflow_sid",
    {
        "tasks_entered": "workflow.entered",
        **_COMMON_TASK_FIGURES,
        "tasks_timed_out_in_workflow": "workflow.timeout",
    },
    routing=True,
)


@dataclass
class Waits:
    """One duration figure of one key: its aggregate, percentiles and threshold counts."""

    figures: st.DurationAggregate = field(default_factory=st.DurationAggregate)
    percentiles: dict[int, int] = field(default_factory=dict)
    above: dict[int, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return st.duration_summary(self.figures, self.percentiles)

    def side(self) -> st.SplitSide:
        return st.SplitSide(self.figures.count, self.above)


async def event_counts(
    session: AsyncSession, scope: EventScope, event_types: Sequence[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """`{key: {event_type: (events, distinct tasks)}}` in one grouped query."""
    e = events()
    key = scope.key(e)
    query = (
        select(key, e.event_type, func.count(), func.count(distinct(e.task_sid)))
        .where(*scope.where(e, *event_types))
        .group_by(key, e.event_type)
    )
    counts: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for group, event_type, n_events, n_tasks in (await session.execute(query)).all():
        if group is not None:
            counts[group][event_type] = (int(n_events), int(n_tasks))
    return counts


def _wait_rows(scope: EventScope, kind: str) -> Subquery:
    """`(grp, wait)` per accepted reservation or canceled task in the window.

    Waits start at the task's creation (`task.created`), or for `in_queue` at
    the task's last entry into the reservation's queue before the acceptance.
    """
    a = events()
    event_type = "task.canceled" if kind == "canceled" else "reservation.accepted"
    if kind == "in_queue":
        q = events()
        entered = (
            select(func.max(q.event_date))
            .where(
                q.task_sid == a.task_sid,
                q.event_type == "task-queue.entered",
                q.task_queue_sid == a.task_queue_sid,
                q.seq < a.seq,
            )
            .scalar_subquery()
        )
        query = select(scope.key(a).label("grp"), (a.event_date - entered).label("wait"))
    else:
        c = events()
        created = and_(c.task_sid == a.task_sid, c.event_type == "task.created")
        query = select(scope.key(a).label("grp"), (a.event_date - c.event_date).label("wait")).join(
            c, created
        )
    return query.where(*scope.where(a, event_type)).subquery()


async def wait_durations(
    session: AsyncSession, scope: EventScope, kind: str, thresholds: Sequence[int]
) -> dict[str, Waits]:
    """Aggregates and threshold counts in one query, percentiles in a second one."""
    rows = _wait_rows(scope, kind)
    present = rows.c.wait.is_not(None)
    above = [func.sum(case((rows.c.wait > s * 1000, 1), else_=0)) for s in thresholds]
    query = (
        select(
            rows.c.grp,
            func.count(),
            func.sum(rows.c.wait),
            func.min(rows.c.wait),
            func.max(rows.c.wait),
            *above,
        )
        .where(present)
        .group_by(rows.c.grp)
    )
    found: dict[str, Waits] = {}
    for group, count, total, low, high, *over in (await session.execute(query)).all():
        aggregate = st.DurationAggregate(int(count), as_int(total), as_int(low), as_int(high))
        counts = {s: as_int(n) for s, n in zip(thresholds, over, strict=True)}
        found[group] = Waits(aggregate, above=counts)
    await _add_percentiles(session, rows, present, found)
    return found


async def _add_percentiles(
    session: AsyncSession, rows: Subquery, present: ColumnElement[bool], found: dict[str, Waits]
) -> None:
    """The rows at the nearest ranks of each percentile, found with a window function."""
    if not found:
        return
    ranked = (
        select(
            rows.c.grp,
            rows.c.wait,
            func.row_number().over(partition_by=rows.c.grp, order_by=rows.c.wait).label("rn"),
            func.count().over(partition_by=rows.c.grp).label("n"),
        )
        .where(present)
        .subquery()
    )
    wanted = or_(*(ranked.c.rn == (ranked.c.n * p + 99) // 100 for p in st.PERCENTILES))
    query = select(ranked.c.grp, ranked.c.rn, ranked.c.n, ranked.c.wait).where(wanted)
    at_rank: dict[str, dict[int, int]] = defaultdict(dict)
    for group, rank, _count, wait in (await session.execute(query)).all():
        at_rank[group][int(rank)] = int(wait)
    for group, waits in found.items():
        ranks = at_rank.get(group, {})
        waits.percentiles = {
            p: ranks[st.nearest_rank(p, waits.figures.count)]
            for p in st.PERCENTILES
            if st.nearest_rank(p, waits.figures.count) in ranks
        }


async def routing_counts(session: AsyncSession, scope: EventScope) -> dict[str, dict[str, int]]:
    """Accepted reservations per workflow level, from the step recorded in each event."""
    e = events()
    key = scope.key(e)
    filter_index, target_index = (
        json_int(e.event_data, "filter_index"),
        json_int(e.event_data, "target_index"),
    )
    query = (
        select(key, filter_index, target_index, func.count())
        .where(*scope.where(e, "reservation.accepted"))
        .group_by(key, filter_index, target_index)
    )
    rows: dict[str, list[tuple[int | None, int | None, int]]] = defaultdict(list)
    for group, f_index, t_index, count in (await session.execute(query)).all():
        rows[group].append((f_index, t_index, int(count)))
    return {group: st.routing_success(found) for group, found in rows.items()}


def _window_fields(window: st.Window) -> JSON:
    return {"start_time": iso(window.start), "end_time": iso(window.end)}


def reservation_figures(counts: Mapping[str, tuple[int, int]]) -> JSON:
    return {name: counts.get(kind, (0, 0))[0] for name, kind in RESERVATION_FIGURES.items()}


async def cumulative(
    session: AsyncSession, level: Level, scope: EventScope, thresholds: Sequence[int]
) -> dict[str, JSON]:
    """The figures of every key in `scope.keys` (zeros for keys without events)."""
    scope = replace(scope, group=level.group)
    if not scope.keys:
        return {}
    types = [*RESERVATION_FIGURES.values(), *level.task_figures.values()]
    counts = await event_counts(session, scope, types)
    accepted = await wait_durations(session, scope, "accepted", thresholds)
    canceled = await wait_durations(session, scope, "canceled", thresholds)
    in_queue = await wait_durations(session, scope, "in_queue", ()) if level.in_queue_waits else {}
    routing = await routing_counts(session, scope) if level.routing else {}
    results: dict[str, JSON] = {}
    for key in scope.keys or ():
        accepted_waits, canceled_waits = accepted.get(key, Waits()), canceled.get(key, Waits())
        found = counts.get(key, {})
        body: JSON = {
            "avg_task_acceptance_time": accepted_waits.summary()["avg"],
            **_window_fields(scope.window),
            **reservation_figures(found),
            **{name: found.get(kind, (0, 0))[1] for name, kind in level.task_figures.items()},
            "wait_duration_until_accepted": accepted_waits.summary(),
            "wait_duration_until_canceled": canceled_waits.summary(),
        }
        if level.in_queue_waits:
            body["wait_duration_in_queue_until_accepted"] = in_queue.get(key, Waits()).summary()
        body["split_by_wait_time"] = st.split_by_wait_time(
            thresholds, accepted_waits.side(), canceled_waits.side()
        )
        if level.routing:
            body["routing_success"] = routing.get(key, st.routing_success(()))
        results[key] = body
    return results
