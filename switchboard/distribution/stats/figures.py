"""Statistics of a workspace, its queues, workflows and workers (TaskRouter's figures).

*Real-time* figures describe the records as they are now (see
:mod:`~switchboard.distribution.stats.realtime`); *cumulative* figures count the
events of a time window (see :mod:`~switchboard.distribution.stats.cumulative`
and :mod:`~switchboard.distribution.stats.workers`). This module picks the
figures each endpoint shows; the API adds the identity fields and URLs.

Every function reads inside the caller's unit and returns JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.distribution.domain.records import TaskQueue, Workspace
from switchboard.distribution.domain.statistics import EventScope, TaskFigures, Window
from switchboard.distribution.stats import cumulative as cum
from switchboard.distribution.stats.portable import PortableStatistics
from switchboard.distribution.stats.realtime import WorkerPool, queue_worker_fields
from switchboard.distribution.stats.workers import workers_cumulative
from switchboard.distribution.work.access import task_channel_param
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.ports import Unit

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


def queries_of(svc: Services) -> StatisticsQueries:
    """The database's own aggregates when wired, else Python over the store's records."""
    return svc.statistics if svc.statistics is not None else PortableStatistics()


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


async def resolve_channel(unit: Unit, workspace: Workspace, value: str | None) -> str | None:
    """`TaskChannel` (a sid or a unique name) as a sid; an unknown one is a bad parameter."""
    if value is None:
        return None
    return (await task_channel_param(unit, workspace, value)).sid


# --- workspace ---------------------------------------------------------------------------


async def workspace_cumulative(
    svc: Services, unit: Unit, workspace: Workspace, request: StatisticsRequest
) -> JSON:
    scope = request.scope(workspace.sid, [workspace.sid])
    found = await cum.cumulative(queries_of(svc), unit, cum.WORKSPACE, scope, request.thresholds)
    return found[workspace.sid]


async def workspace_realtime(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    pool: WorkerPool,
    channel: str | None,
    now: int,
) -> JSON:
    tasks = await queries_of(svc).task_figures(unit, workspace.sid, "workspace_sid", None, channel)
    workers = pool.on_channel(channel)
    return {
        "activity_statistics": workers.activity_statistics(workers.workers),
        **tasks.get(workspace.sid, TaskFigures()).fields(now),
        "total_workers": len(workers.workers),
    }


# --- task queues -------------------------------------------------------------------------


async def queues_cumulative(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    queue_sids: Sequence[str],
    request: StatisticsRequest,
) -> dict[str, JSON]:
    scope = request.scope(workspace.sid, queue_sids)
    return await cum.cumulative(queries_of(svc), unit, cum.TASK_QUEUE, scope, request.thresholds)


async def queues_realtime(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    queues: Sequence[TaskQueue],
    pool: WorkerPool,
    channel: str | None,
    now: int,
) -> dict[str, JSON]:
    """Every queue's live tasks (two grouped queries) and eligible workers."""
    sids = [q.sid for q in queues]
    tasks = await queries_of(svc).task_figures(unit, workspace.sid, "task_queue_sid", sids, channel)
    workers = pool.on_channel(channel)
    found = {}
    for q in queues:
        figures = tasks.get(q.sid, TaskFigures())
        found[q.sid] = {
            **queue_worker_fields(workers, q),
            **figures.fields(now),
            **figures.relative_fields(now),
        }
    return found


# --- workflows ---------------------------------------------------------------------------


async def workflow_cumulative(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    workflow_sid: str,
    request: StatisticsRequest,
) -> JSON:
    scope = request.scope(workspace.sid, [workflow_sid])
    found = await cum.cumulative(queries_of(svc), unit, cum.WORKFLOW, scope, request.thresholds)
    return found[workflow_sid]


async def workflow_realtime(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    workflow_sid: str,
    channel: str | None,
    now: int,
) -> JSON:
    tasks = await queries_of(svc).task_figures(
        unit, workspace.sid, "workflow_sid", [workflow_sid], channel
    )
    return tasks.get(workflow_sid, TaskFigures()).fields(now)


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
    unit: Unit, workspace: Workspace, pool: WorkerPool, selection: WorkerSelection
) -> WorkerPool:
    """The pool narrowed to the selection; a queue that does not exist selects nobody."""
    workers = pool.named(selection.friendly_name) if selection.friendly_name else pool.workers
    if selection.task_queue_sid is None and selection.task_queue_name is None:
        return pool.with_workers(workers)
    where = [eq("workspace_sid", workspace.sid)]
    if selection.task_queue_sid is not None:
        where.append(eq("sid", selection.task_queue_sid))
    if selection.task_queue_name is not None:
        where.append(eq("friendly_name", selection.task_queue_name))
    queue = await unit.first(TaskQueue, *where)
    if queue is None:
        return pool.with_workers([])
    eligible = {w.sid for w in pool.eligible(queue.target_workers)}
    return pool.with_workers([w for w in workers if w.sid in eligible])


async def workers_cumulative_figures(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    request: StatisticsRequest,
    selected: WorkerPool | None,
    now: int,
    activities: Sequence[tuple[str, str]],
) -> JSON:
    """All workers' figures, or a selection's (`selected` None: all, deleted workers too)."""
    scope = EventScope(workspace.sid, request.window, channel_sid=request.channel_sid)
    workers = None if selected is None else {w.sid for w in selected.workers}
    return await workers_cumulative(queries_of(svc), unit, scope, activities, workers, now)


def workers_realtime(pool: WorkerPool, channel: str | None) -> JSON:
    workers = pool.on_channel(channel)
    return {
        "activity_statistics": workers.activity_statistics(workers.workers),
        "total_workers": len(workers.workers),
    }


async def bulk_realtime(
    svc: Services,
    unit: Unit,
    workspace: Workspace,
    sids: Sequence[str],
    pool: WorkerPool,
    now: int,
) -> list[JSON]:
    """Bulk items in the order asked; a sid that is not a queue of this workspace is all zeros."""
    rows = await unit.select(TaskQueue, eq("workspace_sid", workspace.sid), isin("sid", sids))
    queues = {q.sid: q for q in rows}
    found = await queues_realtime(svc, unit, workspace, list(queues.values()), pool, None, now)
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
