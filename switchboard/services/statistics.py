"""Statistics of a workspace, its queues, workflows and workers (TaskRouter's figures).

*Real-time* figures describe the rows as they are now (see
:mod:`~switchboard.services.statistics_realtime`); *cumulative* figures count
the events of a time window (see :mod:`~switchboard.services.statistics_cumulative`
and :mod:`~switchboard.services.statistics_workers`). This module picks the
figures each endpoint shows; the API adds the identity fields and URLs.

Every function reads inside the caller's session and returns JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain.errors import InvalidParameter, NotFound
from switchboard.domain.statistics import Window
from switchboard.services import statistics_cumulative as cum
from switchboard.services.access import access_task_channel
from switchboard.services.statistics_realtime import (
    TaskFigures,
    WorkerPool,
    queue_worker_fields,
    task_figures,
)
from switchboard.services.statistics_sql import EventScope
from switchboard.services.statistics_workers import workers_cumulative
from switchboard.store import tables as t

JSON = dict[str, Any]
BULK_KEYS = (
    "task_queue_sid",
    "longest_task_waiting_age",
    "longest_task_waiting_sid",
    "total_tasks",
    "total_eligible_workers",
    "total_available_workers",
    "tasks_by_status",
    "tasks_by_priority",
    "activity_statistics",
)


@dataclass(frozen=True)
class StatisticsRequest:
    """The window, TaskChannel and SplitByWaitTime thresholds of a request."""

    window: Window
    channel_sid: str | None = None
    thresholds: tuple[int, ...] = ()

    def scope(self, workspace_sid: str, keys: Sequence[str]) -> EventScope:
        return EventScope(
            workspace_sid, self.window, keys=tuple(keys), channel_sid=self.channel_sid
        )


async def resolve_channel(
    session: AsyncSession, workspace: t.Workspace, value: str | None
) -> str | None:
    """`TaskChannel` (a sid or a unique name) as a sid; an unknown one is a bad parameter."""
    if value is None:
        return None
    try:
        return (await access_task_channel(session, workspace, value)).sid
    except NotFound:
        raise InvalidParameter(f"Invalid TaskChannel: no TaskChannel {value!r} here") from None


# --- workspace ---------------------------------------------------------------------------


async def workspace_cumulative(
    session: AsyncSession, workspace: t.Workspace, request: StatisticsRequest
) -> JSON:
    scope = request.scope(workspace.sid, [workspace.sid])
    found = await cum.cumulative(session, cum.WORKSPACE, scope, request.thresholds)
    return found[workspace.sid]


async def workspace_realtime(
    session: AsyncSession, workspace: t.Workspace, pool: WorkerPool, channel: str | None, now: int
) -> JSON:
    tasks = await task_figures(session, workspace.sid, "workspace_sid", None, channel)
    workers = pool.on_channel(channel)
    return {
        "activity_statistics": workers.activity_statistics(workers.workers),
        **tasks[workspace.sid].fields(now),
        "total_workers": len(workers.workers),
    }


# --- task queues -------------------------------------------------------------------------


async def queues_cumulative(
    session: AsyncSession,
    workspace: t.Workspace,
    queue_sids: Sequence[str],
    request: StatisticsRequest,
) -> dict[str, JSON]:
    scope = request.scope(workspace.sid, queue_sids)
    return await cum.cumulative(session, cum.TASK_QUEUE, scope, request.thresholds)


async def queues_realtime(
    session: AsyncSession,
    workspace: t.Workspace,
    queues: Sequence[t.TaskQueue],
    pool: WorkerPool,
    channel: str | None,
    now: int,
) -> dict[str, JSON]:
    """Every queue's live tasks (two grouped queries) and eligible workers."""
    sids = [q.sid for q in queues]
    tasks = await task_figures(session, workspace.sid, "task_queue_sid", sids, channel)
    workers = pool.on_channel(channel)
    return {
        q.sid: {
            **queue_worker_fields(workers, q),
            **tasks[q.sid].fields(now),
            **tasks[q.sid].relative_fields(now),
        }
        for q in queues
    }


# --- workflows ---------------------------------------------------------------------------


async def workflow_cumulative(
    session: AsyncSession, workspace: t.Workspace, workflow_sid: str, request: StatisticsRequest
) -> JSON:
    scope = request.scope(workspace.sid, [workflow_sid])
    found = await cum.cumulative(session, cum.WORKFLOW, scope, request.thresholds)
    return found[workflow_sid]


async def workflow_realtime(
    session: AsyncSession, workspace: t.Workspace, workflow_sid: str, channel: str | None, now: int
) -> JSON:
    tasks = await task_figures(session, workspace.sid, "workflow_sid", [workflow_sid], channel)
    return tasks[workflow_sid].fields(now)


# --- workers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSelection:
    """`/Workers/Statistics` filters: queue eligibility (by sid or name) and worker name."""

    task_queue_sid: str | None = None
    task_queue_name: str | None = None
    friendly_name: str | None = None

    def __bool__(self) -> bool:
        return any(
            v is not None for v in (self.task_queue_sid, self.task_queue_name, self.friendly_name)
        )


async def select_workers(
    session: AsyncSession, workspace: t.Workspace, pool: WorkerPool, selection: WorkerSelection
) -> WorkerPool:
    """The pool narrowed to the selection; a queue that does not exist selects nobody."""
    workers = pool.named(selection.friendly_name) if selection.friendly_name else pool.workers
    if selection.task_queue_sid is None and selection.task_queue_name is None:
        return pool.with_workers(workers)
    query = select(t.TaskQueue.target_workers).where(t.TaskQueue.workspace_sid == workspace.sid)
    if selection.task_queue_sid is not None:
        query = query.where(t.TaskQueue.sid == selection.task_queue_sid)
    if selection.task_queue_name is not None:
        query = query.where(t.TaskQueue.friendly_name == selection.task_queue_name)
    target = (await session.scalars(query)).first()
    if target is None:
        return pool.with_workers([])
    eligible = {w.sid for w in pool.eligible(target)}
    return pool.with_workers([w for w in workers if w.sid in eligible])


async def workers_cumulative_figures(
    session: AsyncSession,
    workspace: t.Workspace,
    request: StatisticsRequest,
    selected: WorkerPool | None,
    now: int,
    activities: Sequence[tuple[str, str]],
) -> JSON:
    """All workers' figures, or a selection's (`selected` None: all, deleted workers too)."""
    scope = EventScope(workspace.sid, request.window, channel_sid=request.channel_sid)
    workers = None if selected is None else {w.sid for w in selected.workers}
    return await workers_cumulative(session, scope, activities, workers, now)


def workers_realtime(pool: WorkerPool, channel: str | None) -> JSON:
    workers = pool.on_channel(channel)
    return {
        "activity_statistics": workers.activity_statistics(workers.workers),
        "total_workers": len(workers.workers),
    }


async def bulk_realtime(
    session: AsyncSession, workspace: t.Workspace, sids: Sequence[str], pool: WorkerPool, now: int
) -> list[JSON]:
    """Bulk items in the order asked; a sid that is not a queue of this workspace is all zeros."""
    rows = await session.scalars(
        select(t.TaskQueue).where(
            t.TaskQueue.workspace_sid == workspace.sid, t.TaskQueue.sid.in_(sids)
        )
    )
    queues = {q.sid: q for q in rows}
    found = await queues_realtime(session, workspace, list(queues.values()), pool, None, now)
    zero = {
        "activity_statistics": pool.activity_statistics([]),
        "total_available_workers": 0,
        "total_eligible_workers": 0,
        **TaskFigures().fields(now),
    }
    items = []
    for sid in sids:
        figures = {**found.get(sid, zero), "task_queue_sid": sid}
        items.append({key: figures[key] for key in BULK_KEYS})
    return items
