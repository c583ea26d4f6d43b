"""Loading one workspace's routing snapshot from the store (a handful of queries)."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.expressions import compile_expression, compile_stored
from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskDocument,
    TaskQueue,
    Worker,
    Workflow,
    Workspace,
)
from switchboard.distribution.work.configs import current_step, parse_document, workflow_config
from switchboard.distribution.work.placement import time_context

__all__ = ["time_context"]
from switchboard.distribution.work.worker_states import json_object, load_workers
from switchboard.kernel.criteria import COUNT, any_of, asc, desc, eq, isin
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

DIRECT_QUEUE = "__direct__"
ALL = compile_expression("1==1")


@dataclass
class Loaded:
    """The snapshot plus the rows it was built from (the pass writes back to them)."""

    snapshot: m.Snapshot
    tasks: dict[str, Task]
    workers: dict[str, Worker]
    targets: dict[str, wf.Target | None]
    activities: dict[str, Activity]
    # only the best waiting tasks were loaded (see :func:`load_snapshot`)
    truncated: bool = False
    # the task channels waiting tasks use: free capacity elsewhere cannot serve them
    waiting_channels: frozenset[str] = frozenset()

    def free_capacity(self) -> int:
        """Capacity still free, after planning, on the channels waiting tasks need."""
        return free_for(self.snapshot.workers, self.waiting_channels)


# sids per IN list: databases cap the parameters of one statement
CHUNK = 500


def _chunks(sids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(sids), CHUNK):
        yield sids[start : start + CHUNK]


async def exclusions(unit: Unit, ws_sid: str, tasks: dict[str, Task]) -> dict[str, set[str]]:
    """Workers holding a pending offer of a task, or who declined it in its current step."""
    excluded, _open = await offers_of(unit, ws_sid, tasks)
    return excluded


async def offers_of(
    unit: Unit, ws_sid: str, tasks: dict[str, Task]
) -> tuple[dict[str, set[str]], dict[str, int]]:
    """For these tasks, in one query: the workers each is not offered to again (pending,
    or declined in the current step), and how many pending offers each holds."""
    # a task never reserved (every reservation counts) has no offers: a new task's
    # first pass asks nothing
    offered = sorted(sid for sid, task in tasks.items() if task.assignment_count)
    if not offered:
        return {}, {}
    offers: list[Reservation] = []
    for chunk in _chunks(offered):
        offers += await unit.select(
            Reservation,
            eq("workspace_sid", ws_sid),
            isin("status", ("pending", "rejected", "timeout")),
            isin("task_sid", chunk),
        )
    excluded: dict[str, set[str]] = defaultdict(set)
    pending: dict[str, int] = defaultdict(int)
    for offer in offers:
        task = tasks[offer.task_sid]
        if offer.status == "pending":
            pending[offer.task_sid] += 1
        if offer.status == "pending" or offer.date_created >= (task.step_entered_at or 0):
            excluded[offer.task_sid].add(offer.worker_sid)
    return excluded, pending


async def open_reservations(
    unit: Unit, ws_sid: str, only: set[str] | None = None
) -> dict[str, int]:
    """Pending reservations per task (of every task, or of the `only` ones)."""
    if only is not None and not only:
        return {}
    picked = [] if only is None or len(only) > CHUNK else [isin("task_sid", sorted(only))]
    rows = await unit.aggregate(
        Reservation,
        ("task_sid",),
        eq("workspace_sid", ws_sid),
        eq("status", "pending"),
        *picked,
        n=COUNT,
    )
    return {row["task_sid"]: int(row["n"]) for row in rows}


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


WAITING = ("pending", "reserved")


async def _waiting_channels(unit: Unit, ws_sid: str) -> frozenset[str]:
    channels = await unit.values(
        Task,
        "task_channel_sid",
        eq("workspace_sid", ws_sid),
        isin("assignment_status", WAITING),
        distinct=True,
    )
    return frozenset(channels)


async def _waiting_rows(unit: Unit, ws_sid: str, bound: int | None) -> tuple[list[Task], bool]:
    """Waiting tasks, best first; with a bound only the first `bound` of them (none when
    nobody has capacity), plus every task whose new target still needs its skip_if check
    or that ignores capacity. True when some were left out."""
    waiting = (eq("workspace_sid", ws_sid), isin("assignment_status", WAITING))
    if bound is None:
        return await unit.select(Task, *waiting), False
    # FIFO order of the engine: priority, then virtual start time (the routing index)
    order = (desc("priority"), asc("virtual_start_time"), asc("sid"))
    best = await unit.select(Task, *waiting, order=order, limit=bound) if bound else []
    rows = {row.sid: row for row in best}
    truncated = len(rows) == bound
    if truncated:
        # skip_if is due on entering a target; ignore_capacity tasks need no free slot
        unchecked = any_of(eq("skip_checked", False), eq("ignore_capacity", True))
        for row in await unit.select(Task, *waiting, unchecked):
            rows.setdefault(row.sid, row)
    return list(rows.values()), truncated


async def load_snapshot(
    unit: Unit, workspace: Workspace, now: int, limit: int | None = None
) -> Loaded:
    """The workspace as the engine sees it.

    With `limit`, only the best waiting tasks are loaded (about `limit` plus twice the
    free capacity): when every worker is busy a pass then costs almost nothing, however
    long the queue. `Loaded.truncated` tells the caller to load everything if the
    partial plan left capacity unused.
    """
    mine = eq("workspace_sid", workspace.sid)
    activities = {a.sid: a for a in await unit.select(Activity, mine)}
    workers, worker_rows = await load_workers(unit, workspace, activities)
    queue_rows = await unit.select(TaskQueue, mine)
    queues = {
        q.sid: m.QueueState(
            q.sid,
            compile_stored(q.target_workers or "1==1"),
            q.max_reserved_workers,
            q.task_order == "LIFO",
        )
        for q in queue_rows
    }
    queues[DIRECT_QUEUE] = m.QueueState(DIRECT_QUEUE, ALL, 1)
    fifo_only = not any(q.lifo for q in queues.values())
    channels = await _waiting_channels(unit, workspace.sid)
    free = free_for(workers, channels)
    bound = None if limit is None or not fifo_only else (limit + 2 * free if free else 0)
    task_rows, truncated = await _waiting_rows(unit, workspace.sid, bound)
    workflows: dict[str, Workflow] = {}
    documents: dict[str, TaskDocument] = {}
    excluded: dict[str, set[str]] = {}
    open_counts: dict[str, int] = {}
    if task_rows:  # everybody busy and nothing to check: no per-task lookups
        by_sid = {row.sid: row for row in task_rows}
        workflows = {w.sid: w for w in await unit.select(Workflow, mine)}
        documents = await documents_of(unit, by_sid)
        excluded = await exclusions(unit, workspace.sid, by_sid)
        open_counts = await open_reservations(unit, workspace.sid)
    waiting: list[m.WaitingTask] = []
    targets: dict[str, wf.Target | None] = {}
    for row in task_rows:
        task, target = waiting_task(row, workflows, documents, excluded, open_counts)
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


async def documents_of(unit: Unit, tasks: dict[str, Task]) -> dict[str, TaskDocument]:
    """Routing documents fetched from a workflow's DocumentUrl for the waiting tasks."""
    found: dict[str, TaskDocument] = {}
    for chunk in _chunks(sorted(tasks)):
        for doc in await unit.select(TaskDocument, isin("task_sid", chunk)):
            found[doc.task_sid] = doc
    return found


def _config_of(
    row: Task, workflow: Workflow, documents: dict[str, TaskDocument]
) -> wf.WorkflowConfig:
    """The fetched document the task entered with, else the workflow's stored copy."""
    document = documents.get(row.sid)
    if document is not None and document.workflow_sid == workflow.sid:
        return parse_document(document.configuration)
    return workflow_config(workflow)


NO_ONE: frozenset[str] = frozenset()


def _excluded(offered: set[str] | None, returned_by: str | None) -> frozenset[str]:
    """Workers the task is not offered to; most tasks share the one empty set."""
    if not offered and not returned_by:
        return NO_ONE
    return frozenset(offered or ()) | _returned_by(returned_by)


def _returned_by(text: str | None) -> frozenset[str]:
    """Workers who handed the task back: it is never offered to them again."""
    found = json.loads(text) if text else None
    if not isinstance(found, list):
        return frozenset()
    return frozenset(sid for sid in found if isinstance(sid, str))


def waiting_task(
    row: Task,
    workflows: dict[str, Workflow],
    documents: dict[str, TaskDocument],
    excluded: dict[str, set[str]],
    open_counts: dict[str, int],
) -> tuple[m.WaitingTask | None, wf.Target | None]:
    attributes = json_object(row.attributes)
    task = m.WaitingTask(
        sid=row.sid,
        priority=row.priority,
        virtual_start_time=row.virtual_start_time,
        attributes=attributes,
        # one copy of each queue and channel sid for all tasks (an owner holds many)
        queue_sid=sys.intern(row.task_queue_sid) if row.task_queue_sid else DIRECT_QUEUE,
        channel_sid=sys.intern(row.task_channel_sid),
        ignore_capacity=row.ignore_capacity,
        open_reservations=open_counts.get(row.sid, 0),
        excluded_workers=_excluded(excluded.get(row.sid), row.returned_by),
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
    except (IndexError, InvalidParameter):
        # the workflow was edited under the task, or its stored document no longer
        # parses: the task keeps its queue, without target rules
        return task, None
    task.target_expression = target.expression
    task.order_by = target.order_by
    task.strategy = target.strategy
    _known_worker(task, target, attributes)
    return task, target
