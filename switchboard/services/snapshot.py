"""Loading one workspace's routing snapshot from the store (a handful of queries)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import matching as m
from switchboard.domain import workflow as wf
from switchboard.domain.expressions import compile_expression
from switchboard.services.placement import (
    current_step,
    parse_document,
    time_context,
    workflow_config,
)
from switchboard.store import tables as t

DIRECT_QUEUE = "__direct__"
_ALL = compile_expression("1==1")


@dataclass
class Loaded:
    """The snapshot plus the rows it was built from (the pass writes back to them)."""

    snapshot: m.Snapshot
    tasks: dict[str, t.Task]
    workers: dict[str, t.Worker]
    targets: dict[str, wf.Target | None]
    activities: dict[str, t.Activity]
    # only the best waiting tasks were loaded (see :func:`load_snapshot`)
    truncated: bool = False
    # the task channels waiting tasks use: free capacity elsewhere cannot serve them
    waiting_channels: frozenset[str] = frozenset()

    def free_capacity(self) -> int:
        """Capacity still free, after planning, on the channels waiting tasks need."""
        return free_for(self.snapshot.workers, self.waiting_channels)


async def _channel_usage(session: AsyncSession, ws_sid: str) -> dict[tuple[str, str], int]:
    query = (
        select(t.Reservation.worker_sid, t.Reservation.task_channel_sid, func.count())
        .where(
            t.Reservation.workspace_sid == ws_sid,
            t.Reservation.status.in_(("pending", "accepted", "wrapping")),
        )
        .group_by(t.Reservation.worker_sid, t.Reservation.task_channel_sid)
    )
    return {(w, c): n for w, c, n in (await session.execute(query)).all()}


async def load_workers(
    session: AsyncSession, workspace: t.Workspace, activities: dict[str, t.Activity]
) -> tuple[list[m.WorkerState], dict[str, t.Worker]]:
    rows = list(
        (
            await session.execute(select(t.Worker).where(t.Worker.workspace_sid == workspace.sid))
        ).scalars()
    )
    channels: dict[str, dict[str, m.ChannelState]] = defaultdict(dict)
    usage = await _channel_usage(session, workspace.sid)
    for channel in (
        await session.execute(
            select(t.WorkerChannel).where(t.WorkerChannel.workspace_sid == workspace.sid)
        )
    ).scalars():
        channels[channel.worker_sid][channel.task_channel_sid] = m.ChannelState(
            capacity=channel.capacity,
            available=channel.available,
            in_use=usage.get((channel.worker_sid, channel.task_channel_sid), 0),
            last_reserved_at=channel.last_reserved_at,
        )
    states = []
    for row in rows:
        activity = activities.get(row.activity_sid)
        states.append(
            m.WorkerState(
                sid=row.sid,
                friendly_name=row.friendly_name,
                attributes=_object(row.attributes),
                activity_sid=row.activity_sid,
                activity_name=activity.friendly_name if activity else "",
                available=row.available,
                idle_since=row.idle_since,
                channels=channels[row.sid],
                single_task=not workspace.multi_task_enabled,
            )
        )
    return states, {row.sid: row for row in rows}


def _object(text: str | None) -> dict[str, Any]:
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


async def _exclusions(session: AsyncSession, ws_sid: str) -> dict[str, set[str]]:
    """Workers holding a pending offer of a task, or who declined it in its current step."""
    query = (
        select(t.Reservation.task_sid, t.Reservation.worker_sid)
        .join(t.Task, t.Task.sid == t.Reservation.task_sid)
        .where(
            t.Reservation.workspace_sid == ws_sid,
            t.Task.assignment_status.in_(("pending", "reserved")),
            or_(
                t.Reservation.status == "pending",
                and_(
                    t.Reservation.status.in_(("rejected", "timeout")),
                    t.Reservation.date_created >= func.coalesce(t.Task.step_entered_at, 0),
                ),
            ),
        )
    )
    excluded: dict[str, set[str]] = defaultdict(set)
    for task_sid, worker_sid in (await session.execute(query)).all():
        excluded[task_sid].add(worker_sid)
    return excluded


async def _open_reservations(session: AsyncSession, ws_sid: str) -> dict[str, int]:
    query = (
        select(t.Reservation.task_sid, func.count())
        .where(t.Reservation.workspace_sid == ws_sid, t.Reservation.status == "pending")
        .group_by(t.Reservation.task_sid)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(query)).all()}


def _known_worker(task: m.WaitingTask, target: wf.Target, attributes: dict[str, Any]) -> None:
    path = target.known_worker_sid or target.known_worker_friendly_name
    if path is None:
        return
    value: Any = attributes
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    task.requires_known_worker = True
    if isinstance(value, str):
        if target.known_worker_sid is not None:
            task.known_worker_sid = value
        else:
            task.known_worker_name = value


def free_for(workers: Iterable[m.WorkerState], channels: frozenset[str]) -> int:
    return sum(w.free_on(c) for w in workers for c in channels if w.available)


async def _waiting_channels(session: AsyncSession, ws_sid: str) -> frozenset[str]:
    query = (
        select(t.Task.task_channel_sid)
        .distinct()
        .where(
            t.Task.workspace_sid == ws_sid, t.Task.assignment_status.in_(("pending", "reserved"))
        )
    )
    return frozenset((await session.execute(query)).scalars())


async def _waiting_rows(
    session: AsyncSession, ws_sid: str, bound: int | None
) -> tuple[list[t.Task], bool]:
    """Waiting tasks, best first; with a bound only the first `bound` of them (none when
    nobody has capacity), plus every task whose new target still needs its skip_if check
    or that ignores capacity. True when some were left out."""
    waiting = (
        t.Task.workspace_sid == ws_sid,
        t.Task.assignment_status.in_(("pending", "reserved")),
    )
    if bound is None:
        return list((await session.execute(select(t.Task).where(*waiting))).scalars()), False
    # FIFO order of the engine: priority, then virtual start time (the routing index)
    best = (
        select(t.Task)
        .where(*waiting)
        .order_by(t.Task.priority.desc(), t.Task.virtual_start_time, t.Task.sid)
        .limit(bound)
    )
    rows = {row.sid: row for row in (await session.execute(best)).scalars()} if bound else {}
    truncated = len(rows) == bound
    if truncated:
        # skip_if is due on entering a target; ignore_capacity tasks need no free slot
        unchecked = select(t.Task).where(
            *waiting, or_(t.Task.skip_checked.is_(False), t.Task.ignore_capacity.is_(True))
        )
        for row in (await session.execute(unchecked)).scalars():
            rows.setdefault(row.sid, row)
    return list(rows.values()), truncated


async def load_snapshot(
    session: AsyncSession, workspace: t.Workspace, now: int, limit: int | None = None
) -> Loaded:
    """The workspace as the engine sees it.

    With `limit`, only the best waiting tasks are loaded (about `limit` plus twice the
    free capacity): when every worker is busy a pass then costs almost nothing, however
    long the queue. `Loaded.truncated` tells the caller to load everything if the
    partial plan left capacity unused.
    """
    activities = {
        a.sid: a
        for a in (
            await session.execute(
                select(t.Activity).where(t.Activity.workspace_sid == workspace.sid)
            )
        ).scalars()
    }
    workers, worker_rows = await load_workers(session, workspace, activities)
    queue_rows = (
        await session.execute(select(t.TaskQueue).where(t.TaskQueue.workspace_sid == workspace.sid))
    ).scalars()
    queues = {
        q.sid: m.QueueState(
            q.sid,
            compile_expression(q.target_workers or "1==1"),
            q.max_reserved_workers,
            q.task_order == "LIFO",
        )
        for q in queue_rows
    }
    queues[DIRECT_QUEUE] = m.QueueState(DIRECT_QUEUE, _ALL, 1)
    fifo_only = not any(q.lifo for q in queues.values())
    channels = await _waiting_channels(session, workspace.sid)
    free = free_for(workers, channels)
    bound = None if limit is None or not fifo_only else (limit + 2 * free if free else 0)
    task_rows, truncated = await _waiting_rows(session, workspace.sid, bound)
    if not task_rows:  # everybody busy and nothing to check: no per-task lookups
        workflows, documents, excluded, open_counts = {}, {}, {}, {}
    else:
        workflows = {
            w.sid: w
            for w in (
                await session.execute(
                    select(t.Workflow).where(t.Workflow.workspace_sid == workspace.sid)
                )
            ).scalars()
        }
        documents = await _documents(session, workspace.sid)
        excluded = await _exclusions(session, workspace.sid)
        open_counts = await _open_reservations(session, workspace.sid)
    waiting: list[m.WaitingTask] = []
    targets: dict[str, wf.Target | None] = {}
    for row in task_rows:
        task, target = _waiting_task(row, workflows, documents, excluded, open_counts)
        targets[row.sid] = target
        if task is not None:
            waiting.append(task)
    snapshot = m.Snapshot(tuple(workers), queues, tuple(waiting), time_context(now))
    return Loaded(
        snapshot,
        {r.sid: r for r in task_rows},
        worker_rows,
        targets,
        activities,
        truncated,
        channels,
    )


async def _documents(session: AsyncSession, ws_sid: str) -> dict[str, t.TaskDocument]:
    """Routing documents fetched from a workflow's DocumentUrl for the waiting tasks."""
    query = (
        select(t.TaskDocument)
        .join(t.Task, t.Task.sid == t.TaskDocument.task_sid)
        .where(
            t.Task.workspace_sid == ws_sid, t.Task.assignment_status.in_(("pending", "reserved"))
        )
    )
    return {doc.task_sid: doc for doc in (await session.execute(query)).scalars()}


def _config_of(
    row: t.Task, workflow: t.Workflow, documents: dict[str, t.TaskDocument]
) -> wf.WorkflowConfig:
    """The fetched document the task entered with, else the workflow's stored copy."""
    document = documents.get(row.sid)
    if document is not None and document.workflow_sid == workflow.sid:
        return parse_document(document.configuration)
    return workflow_config(workflow)


def _waiting_task(
    row: t.Task,
    workflows: dict[str, t.Workflow],
    documents: dict[str, t.TaskDocument],
    excluded: dict[str, set[str]],
    open_counts: dict[str, int],
) -> tuple[m.WaitingTask | None, wf.Target | None]:
    attributes = _object(row.attributes)
    task = m.WaitingTask(
        sid=row.sid,
        priority=row.priority,
        virtual_start_time=row.virtual_start_time,
        attributes=attributes,
        queue_sid=row.task_queue_sid or DIRECT_QUEUE,
        channel_sid=row.task_channel_sid,
        ignore_capacity=row.ignore_capacity,
        open_reservations=open_counts.get(row.sid, 0),
        excluded_workers=frozenset(excluded.get(row.sid, ())),
    )
    if row.routing_target and row.routing_target.startswith("WK"):
        task.requires_known_worker = True
        task.known_worker_sid = row.routing_target
        return task, None
    workflow = workflows.get(row.workflow_sid or "")
    step = current_step(row)
    if workflow is None or step is None:
        return (task if row.task_queue_sid else None), None
    try:
        target = wf.target_at(_config_of(row, workflow, documents), step)
    except IndexError:  # the workflow was edited under the task: keep its queue, no target rules
        return task, None
    task.target_expression = target.expression
    task.order_by = target.order_by
    _known_worker(task, target, attributes)
    return task, target
