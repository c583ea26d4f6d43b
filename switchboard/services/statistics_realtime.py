"""Real-time statistics: the state right now, read from the current task and worker rows.

Task figures are grouped in SQL by the scope's column (workspace, queue or
workflow), so a page of queues costs two queries. Worker figures need each
queue's TargetWorkers expression, which only the expression engine can
evaluate: the workspace's workers are loaded once (as the router does) and
every queue of the request is matched against that one list.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import matching as m
from switchboard.domain.expressions import ExpressionError, compile_expression
from switchboard.services.placement import time_context
from switchboard.services.snapshot import load_workers
from switchboard.store import tables as t

JSON = dict[str, Any]
LIVE_STATUSES = ("pending", "reserved", "assigned", "wrapping")
# a task waits until a worker accepts it
WAITING_STATUSES = ("pending", "reserved")


def _age(now: int, since: int | None) -> int:
    return 0 if since is None else max(0, (now - since) // 1000)


@dataclass
class TaskFigures:
    """The live tasks of one scope key."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIVE_STATUSES, 0))
    by_priority: dict[str, int] = field(default_factory=dict)
    oldest: tuple[int, str] | None = None  # (date_created, sid) of the longest-waiting task
    oldest_in_queue: tuple[int, str] | None = None  # by time of entering the queue

    def fields(self, now: int) -> JSON:
        """Ages are whole seconds, floored, like a Task's `age`."""
        since, sid = self.oldest or (None, None)
        return {
            "longest_task_waiting_age": _age(now, since),
            "longest_task_waiting_sid": sid,
            "tasks_by_priority": dict(self.by_priority),
            "tasks_by_status": dict(self.by_status),
            "total_tasks": sum(self.by_status.values()),
        }

    def relative_fields(self, now: int) -> JSON:
        since, sid = self.oldest_in_queue or (None, None)
        return {
            "longest_relative_task_age_in_queue": _age(now, since),
            "longest_relative_task_sid_in_queue": sid,
        }


def _task_scope(
    workspace_sid: str, column: ColumnElement[str], keys: Sequence[str] | None, channel: str | None
) -> list[ColumnElement[bool]]:
    clauses = [t.Task.workspace_sid == workspace_sid]
    if keys is not None:
        clauses.append(column.in_(keys))
    if channel is not None:
        clauses.append(t.Task.task_channel_sid == channel)
    return clauses


async def task_figures(
    session: AsyncSession,
    workspace_sid: str,
    group: str,
    keys: Sequence[str] | None,
    channel: str | None,
) -> dict[str, TaskFigures]:
    """Live tasks per key of `group` (a tasks column): by status, by priority, the oldest."""
    column: ColumnElement[str] = getattr(t.Task, group)
    scope = _task_scope(workspace_sid, column, keys, channel)
    figures: dict[str, TaskFigures] = defaultdict(TaskFigures)
    counted = (
        select(column, t.Task.assignment_status, t.Task.priority, func.count())
        .where(*scope, t.Task.assignment_status.in_(LIVE_STATUSES))
        .group_by(column, t.Task.assignment_status, t.Task.priority)
    )
    for key, status, priority, count in (await session.execute(counted)).all():
        found = figures[key]
        found.by_status[status] += int(count)
        found.by_priority[str(priority)] = found.by_priority.get(str(priority), 0) + int(count)
    await _add_oldest(session, column, scope, figures)
    return figures


async def _add_oldest(
    session: AsyncSession,
    column: ColumnElement[str],
    scope: list[ColumnElement[bool]],
    figures: dict[str, TaskFigures],
) -> None:
    """The longest-waiting task per key, by creation and by queue entry (a window function)."""
    by_age = func.row_number().over(partition_by=column, order_by=(t.Task.date_created, t.Task.sid))
    by_entry = func.row_number().over(
        partition_by=column, order_by=(t.Task.task_queue_entered_date, t.Task.sid)
    )
    ranked = (
        select(
            column.label("grp"),
            t.Task.sid,
            t.Task.date_created,
            t.Task.task_queue_entered_date,
            by_age.label("r_age"),
            by_entry.label("r_entry"),
        )
        .where(*scope, t.Task.assignment_status.in_(WAITING_STATUSES))
        .subquery()
    )
    query = select(ranked).where(or_(ranked.c.r_age == 1, ranked.c.r_entry == 1))
    for key, sid, created, entered, r_age, r_entry in (await session.execute(query)).all():
        if r_age == 1:
            figures[key].oldest = (created, sid)
        if r_entry == 1 and entered is not None:
            figures[key].oldest_in_queue = (entered, sid)


@dataclass(frozen=True)
class WorkerPool:
    """The workspace's workers (on the requested channel), loaded once per request."""

    workers: list[m.WorkerState]
    activities: list[tuple[str, str]]  # (sid, friendly_name), oldest activity first
    channel: str | None
    extra: dict[str, Any]  # time of day, for TargetWorkers using `taskrouter.*`

    def available(self, worker: m.WorkerState) -> bool:
        """An available activity (and, per channel, the channel switched on)."""
        if not worker.available:
            return False
        return self.channel is None or worker.channels[self.channel].available

    def eligible(self, target_workers: str) -> list[m.WorkerState]:
        """Workers that TargetWorkers selects, whatever their activity (as the router sees)."""
        try:
            expression = compile_expression(target_workers or "1==1")
        except ExpressionError:
            return []
        if expression.matches_all():
            return list(self.workers)
        return [w for w in self.workers if expression.evaluate({**self.extra, **w.context})]

    def on_channel(self, channel: str | None) -> WorkerPool:
        """Only workers with capacity on the channel: the ones that can take its tasks."""
        if channel is None:
            return self
        workers = [
            w for w in self.workers if channel in w.channels and w.channels[channel].capacity > 0
        ]
        return replace(self, workers=workers, channel=channel)

    def with_workers(self, workers: Sequence[m.WorkerState]) -> WorkerPool:
        return replace(self, workers=list(workers))

    def named(self, friendly_name: str) -> list[m.WorkerState]:
        """Worker names are unique case-insensitively, so is this filter."""
        key = friendly_name.lower()
        return [w for w in self.workers if w.friendly_name.lower() == key]

    def activity_statistics(self, workers: Sequence[m.WorkerState]) -> list[JSON]:
        """One entry per activity of the workspace, zeros included."""
        counts = Counter(w.activity_sid for w in workers)
        return [
            {"friendly_name": name, "sid": sid, "workers": counts.get(sid, 0)}
            for sid, name in self.activities
        ]


async def load_pool(session: AsyncSession, workspace: t.Workspace, now: int) -> WorkerPool:
    """Every worker of the workspace with its channels, and the activities in creation order."""
    rows = (
        await session.execute(
            select(t.Activity)
            .where(t.Activity.workspace_sid == workspace.sid)
            .order_by(t.Activity.date_created, t.Activity.sid)
        )
    ).scalars()
    activities = {a.sid: a for a in rows}
    states, _rows = await load_workers(session, workspace, activities)
    names = [(a.sid, a.friendly_name) for a in activities.values()]
    return WorkerPool(states, names, None, time_context(now))


def queue_worker_fields(pool: WorkerPool, queue: t.TaskQueue) -> JSON:
    members = pool.eligible(queue.target_workers)
    return {
        "activity_statistics": pool.activity_statistics(members),
        "total_available_workers": sum(1 for w in members if pool.available(w)),
        "total_eligible_workers": len(members),
    }
