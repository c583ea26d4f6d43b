"""TaskQueues: which workers (by TargetWorkers expression) may take the tasks waiting in them."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.distribution.config.support import (
    OPEN_TASK_STATUSES,
    activity_param,
    record_change,
    refuse_if_any,
    required,
)
from switchboard.distribution.domain.expressions import ExpressionError, compile_expression
from switchboard.distribution.domain.records import Task, TaskQueue, Workflow, Workspace
from switchboard.distribution.domain.workflow import parse_configuration
from switchboard.distribution.journal.events import Subject
from switchboard.distribution.work.access import access_task_queue, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Query, asc, desc, eq, isin
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

DEFAULT_TARGET_WORKERS = "1==1"


@dataclass(frozen=True)
class TaskQueueFields:
    """Create and update share the fields; on update None means "unchanged"."""

    friendly_name: str | None = None
    target_workers: str | None = None
    max_reserved_workers: int | None = None
    task_order: str | None = None
    reservation_activity_sid: str | None = None
    assignment_activity_sid: str | None = None


def task_queues_query(
    workspace_sid: str, friendly_name: str | None = None, descending: bool = False
) -> Query[TaskQueue]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    if friendly_name is not None:
        where.append(eq("friendly_name", friendly_name))
    if descending:
        return Query(TaskQueue, tuple(where), (desc("date_updated"), asc("sid")))
    return Query(TaskQueue, tuple(where), (asc("date_created"), asc("sid")))


def validate_target_workers(text: str) -> None:
    """A bad expression is a 400 that says where the parser stopped; a `task.` reference
    (which a queue, choosing workers for every task, can never see) is refused too."""
    try:
        expression = compile_expression(text)
    except ExpressionError as exc:
        raise InvalidParameter(f"Invalid TargetWorkers: {exc}") from None
    for reference in sorted(expression.references):
        if reference[0] == "task":
            raise InvalidParameter(
                f"Invalid TargetWorkers: reference '{'.'.join(reference)}' names a task "
                "attribute, which a queue's TargetWorkers never sees (it matches workers' "
                "attributes only): compare task and worker attributes in a workflow target's "
                'expression instead, e.g. "expression": "worker.lang == task.lang"'
            )


def _record(unit: Unit, svc: Services, workspace: Workspace, queue: TaskQueue, event: str) -> None:
    data = {
        "task_queue_sid": queue.sid,
        "task_queue_name": queue.friendly_name,
        "task_queue_target_expression": queue.target_workers,
    }
    subject = Subject("task_queue", queue.sid, task_queue_sid=queue.sid)
    record_change(unit, svc, workspace, event, subject, data)


async def _apply(
    unit: Unit, workspace: Workspace, queue: TaskQueue, fields: TaskQueueFields
) -> None:
    if fields.reservation_activity_sid is not None:
        await activity_param(
            unit, workspace, fields.reservation_activity_sid, "ReservationActivitySid"
        )
        queue.reservation_activity_sid = fields.reservation_activity_sid
    if fields.assignment_activity_sid is not None:
        await activity_param(
            unit, workspace, fields.assignment_activity_sid, "AssignmentActivitySid"
        )
        queue.assignment_activity_sid = fields.assignment_activity_sid
    if fields.target_workers is not None:
        validate_target_workers(fields.target_workers)
        queue.target_workers = fields.target_workers
    if fields.friendly_name is not None:
        queue.friendly_name = fields.friendly_name
    if fields.max_reserved_workers is not None:
        queue.max_reserved_workers = fields.max_reserved_workers
    if fields.task_order is not None:
        queue.task_order = fields.task_order


async def create_task_queue(
    svc: Services, account_sid: str, workspace_sid: str, fields: TaskQueueFields
) -> TaskQueue:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        now = svc.now()
        queue = TaskQueue(
            sid=sids.new_sid(sids.TASK_QUEUE),
            workspace_sid=workspace.sid,
            friendly_name=required(fields.friendly_name, "FriendlyName"),
            target_workers=DEFAULT_TARGET_WORKERS,
            max_reserved_workers=1,
            task_order="FIFO",
            date_created=now,
            date_updated=now,
        )
        await _apply(unit, workspace, queue, fields)
        unit.add(queue)
        _record(unit, svc, workspace, queue, "task-queue.created")
    return queue


async def update_task_queue(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, fields: TaskQueueFields
) -> TaskQueue:
    """A new TargetWorkers changes who may take waiting tasks, so routing runs again."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        queue = await access_task_queue(unit, workspace, sid)
        previous_target = queue.target_workers
        await _apply(unit, workspace, queue, fields)
        queue.date_updated = svc.now()
        if queue.target_workers != previous_target:
            _record(unit, svc, workspace, queue, "task-queue.expression.updated")
    return queue


async def delete_task_queue(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        queue = await access_task_queue(unit, workspace, sid)
        await _ensure_unreferenced(unit, workspace, queue)
        _record(unit, svc, workspace, queue, "task-queue.deleted")
        await unit.delete(queue)


async def _ensure_unreferenced(unit: Unit, workspace: Workspace, queue: TaskQueue) -> None:
    configurations = await unit.values(
        Workflow, "configuration", eq("workspace_sid", workspace.sid)
    )
    if any(_routes_to(text, queue.sid) for text in configurations):
        raise InvalidParameter(f"Cannot delete TaskQueue {queue.sid}: a Workflow routes to it")
    await refuse_if_any(
        unit,
        Task,
        [eq("task_queue_sid", queue.sid), isin("assignment_status", OPEN_TASK_STATUSES)],
        f"Cannot delete TaskQueue {queue.sid}: it holds open Tasks",
    )


def _routes_to(configuration: str, queue_sid: str) -> bool:
    try:
        return queue_sid in parse_configuration(configuration).queue_sids()
    except InvalidParameter:
        # a stored document that no longer parses: fall back to a textual search
        return queue_sid in configuration
