"""TaskQueues: which workers (by TargetWorkers expression) may take the tasks waiting in them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import InvalidParameter
from switchboard.domain.expressions import ExpressionError, compile_expression
from switchboard.domain.workflow import parse_configuration
from switchboard.services.access import access_task_queue, access_workspace
from switchboard.services.config_support import (
    OPEN_TASK_STATUSES,
    activity_param,
    record_change,
    refuse_if_any,
    required,
)
from switchboard.services.context import Services
from switchboard.services.events import Subject
from switchboard.store import tables as t

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
) -> Select[t.TaskQueue]:
    query = select(t.TaskQueue).where(t.TaskQueue.workspace_sid == workspace_sid)
    if friendly_name is not None:
        query = query.where(t.TaskQueue.friendly_name == friendly_name)
    if descending:
        return query.order_by(t.TaskQueue.date_updated.desc(), t.TaskQueue.sid)
    return query.order_by(t.TaskQueue.date_created, t.TaskQueue.sid)


def validate_target_workers(text: str) -> None:
    """A bad expression is a 400 that says where the parser stopped."""
    try:
        compile_expression(text)
    except ExpressionError as exc:
        raise InvalidParameter(f"Invalid TargetWorkers: {exc}") from None


async def _record(
    session: AsyncSession, svc: Services, workspace: t.Workspace, queue: t.TaskQueue, event: str
) -> None:
    data = {
        "task_queue_sid": queue.sid,
        "task_queue_name": queue.friendly_name,
        "task_queue_target_expression": queue.target_workers,
    }
    subject = Subject("task_queue", queue.sid, task_queue_sid=queue.sid)
    await record_change(session, svc, workspace, event, subject, data)


async def _apply(
    session: AsyncSession, workspace: t.Workspace, queue: t.TaskQueue, fields: TaskQueueFields
) -> None:
    if fields.reservation_activity_sid is not None:
        await activity_param(
            session, workspace, fields.reservation_activity_sid, "ReservationActivitySid"
        )
        queue.reservation_activity_sid = fields.reservation_activity_sid
    if fields.assignment_activity_sid is not None:
        await activity_param(
            session, workspace, fields.assignment_activity_sid, "AssignmentActivitySid"
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
) -> t.TaskQueue:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        now = now_ms()
        queue = t.TaskQueue(
            sid=sids.new_sid(sids.TASK_QUEUE),
            workspace_sid=workspace.sid,
            friendly_name=required(fields.friendly_name, "FriendlyName"),
            target_workers=DEFAULT_TARGET_WORKERS,
            max_reserved_workers=1,
            task_order="FIFO",
            date_created=now,
            date_updated=now,
        )
        await _apply(session, workspace, queue, fields)
        session.add(queue)
        await _record(session, svc, workspace, queue, "task-queue.created")
    return queue


async def update_task_queue(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, fields: TaskQueueFields
) -> t.TaskQueue:
    """A new TargetWorkers changes who may take waiting tasks, so routing runs again."""
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        queue = await access_task_queue(session, workspace, sid)
        previous_target = queue.target_workers
        await _apply(session, workspace, queue, fields)
        queue.date_updated = now_ms()
        if queue.target_workers != previous_target:
            await _record(session, svc, workspace, queue, "task-queue.expression.updated")
        svc.poke_after_commit(session, workspace.sid)
    return queue


async def delete_task_queue(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        queue = await access_task_queue(session, workspace, sid)
        await _ensure_unreferenced(session, workspace, queue)
        await _record(session, svc, workspace, queue, "task-queue.deleted")
        await session.delete(queue)


async def _ensure_unreferenced(
    session: AsyncSession, workspace: t.Workspace, queue: t.TaskQueue
) -> None:
    configurations = await session.scalars(
        select(t.Workflow.configuration).where(t.Workflow.workspace_sid == workspace.sid)
    )
    if any(_routes_to(text, queue.sid) for text in configurations):
        raise InvalidParameter(f"Cannot delete TaskQueue {queue.sid}: a Workflow routes to it")
    waiting = select(t.Task.sid).where(
        t.Task.task_queue_sid == queue.sid, t.Task.assignment_status.in_(OPEN_TASK_STATUSES)
    )
    await refuse_if_any(
        session, waiting, f"Cannot delete TaskQueue {queue.sid}: it holds open Tasks"
    )


def _routes_to(configuration: str, queue_sid: str) -> bool:
    try:
        return queue_sid in parse_configuration(configuration).queue_sids()
    except InvalidParameter:
        # a stored document that no longer parses: fall back to a textual search
        return queue_sid in configuration
