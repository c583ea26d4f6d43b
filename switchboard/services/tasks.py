"""Tasks: creation (entering the workflow), updates, cancellation, completion, deletion."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callbacks.documents import DocumentOutcome, document_config, prefetch
from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import InvalidParameter, InvalidTransition
from switchboard.services import transitions as tr
from switchboard.services.access import (
    access_task,
    access_task_channel,
    access_task_queue,
    access_worker,
    access_workflow,
    access_workspace,
)
from switchboard.services.context import Services
from switchboard.services.placement import enter_workflow
from switchboard.services.validation import attributes_text, check_if_match
from switchboard.store import tables as t

DEFAULT_TIMEOUT = 86_400
DEFAULT_CHANNEL = "default"


@dataclass(frozen=True)
class TaskCreate:
    attributes: str | None = None  # JSON text, validated here
    priority: int | None = None
    timeout: int | None = None
    workflow_sid: str | None = None
    task_channel: str | None = None  # sid or unique name
    virtual_start_time: int | None = None  # epoch ms
    routing_target: str | None = None  # WK / WQ / WW sid
    ignore_capacity: bool | None = None
    task_queue_sid: str | None = None


@dataclass(frozen=True)
class TaskUpdate:
    attributes: str | None = None
    assignment_status: str | None = None
    reason: str | None = None
    priority: int | None = None
    task_channel: str | None = None
    virtual_start_time: int | None = None
    if_match: str | None = None  # the raw If-Match header


async def _only_workflow(session: AsyncSession, workspace: t.Workspace) -> t.Workflow:
    """Twilio: WorkflowSid is optional when the workspace has exactly one workflow."""
    rows = list(
        (
            await session.execute(
                select(t.Workflow).where(t.Workflow.workspace_sid == workspace.sid).limit(2)
            )
        ).scalars()
    )
    if len(rows) != 1:
        raise InvalidParameter(
            "Missing required parameter WorkflowSid: the Workspace has "
            f"{'no' if not rows else 'more than one'} Workflow"
        )
    return rows[0]


@dataclass
class _Route:
    workflow: t.Workflow | None = None
    queue: t.TaskQueue | None = None
    worker: t.Worker | None = None


async def _resolve_route(
    session: AsyncSession, workspace: t.Workspace, params: TaskCreate
) -> _Route:
    target = params.routing_target
    if target is not None and target.startswith("WK"):
        return _Route(worker=await access_worker(session, workspace, target))
    if target is not None and target.startswith("WQ"):
        return _Route(queue=await access_task_queue(session, workspace, target))
    if params.task_queue_sid is not None:
        return _Route(queue=await access_task_queue(session, workspace, params.task_queue_sid))
    if target is not None and not target.startswith("WW"):
        raise InvalidParameter("RoutingTarget must be a Worker, TaskQueue or Workflow sid")
    workflow_sid = target or params.workflow_sid
    if workflow_sid is not None:
        return _Route(workflow=await access_workflow(session, workspace, workflow_sid))
    return _Route(workflow=await _only_workflow(session, workspace))


def _start_time(value: int | None, now: int) -> int:
    if value is None:
        return now
    if value > now:
        raise InvalidParameter("VirtualStartTime cannot be in the future")
    if value < -2_208_988_800_000:  # 1900-01-01
        raise InvalidParameter("VirtualStartTime cannot be before 1900")
    return value


def _document_workflow(params: TaskCreate) -> tuple[bool, str | None]:
    """Whether the task will enter a workflow, and which (None: the workspace's only one)."""
    target = params.routing_target or ""
    if target.startswith(("WK", "WQ")) or params.task_queue_sid is not None:
        return False, None
    return True, target or params.workflow_sid


async def create_task(
    svc: Services, account_sid: str, workspace_sid: str, params: TaskCreate
) -> t.Task:
    attributes = attributes_text(params.attributes)
    task_sid = sids.new_sid(sids.TASK)
    enters, workflow_sid = _document_workflow(params)
    # a remote routing document is fetched before the transaction: no lock during I/O
    document = (
        await prefetch(svc, account_sid, workspace_sid, task_sid, attributes, workflow_sid)
        if enters
        else None
    )
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        route = await _resolve_route(session, workspace, params)
        channel = await access_task_channel(
            session, workspace, params.task_channel or DEFAULT_CHANNEL
        )
        now = now_ms()
        timeout = params.timeout or DEFAULT_TIMEOUT
        task = t.Task(
            sid=task_sid,
            workspace_sid=workspace.sid,
            attributes=attributes,
            assignment_status="pending",
            priority=params.priority or 0,
            base_priority=params.priority or 0,
            timeout=timeout,
            workflow_sid=route.workflow.sid if route.workflow else None,
            task_channel_sid=channel.sid,
            routing_target=params.routing_target,
            ignore_capacity=(
                params.ignore_capacity
                if params.ignore_capacity is not None
                else route.worker is not None
            ),
            virtual_start_time=_start_time(params.virtual_start_time, now),
            timeout_at=now + timeout * 1000,
            skip_checked=True,
            assignment_count=0,
            version=0,
            date_created=now,
            date_updated=now,
        )
        session.add(task)
        await session.flush()
        await tr.record_task_event(
            session, svc, workspace, "task.created", task, f"Task {task.sid} created"
        )
        await _place(session, svc, workspace, task, route, now, document)
        return task


async def _place(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    route: _Route,
    now: int,
    document: DocumentOutcome | None = None,
) -> None:
    if route.workflow is not None:
        config = await document_config(session, svc, workspace, task, route.workflow, document)
        await enter_workflow(
            session, svc, workspace, task, route.workflow, now, config=config, fresh=True
        )
        return
    if route.queue is not None:
        task.task_queue_sid = route.queue.sid
        task.task_queue_entered_date = now
        await tr.record_task_event(
            session,
            svc,
            workspace,
            "task-queue.entered",
            task,
            f"Task {task.sid} entered TaskQueue {route.queue.friendly_name}",
        )
    svc.poke_after_commit(session, workspace.sid)


async def update_task(
    svc: Services, account_sid: str, workspace_sid: str, task_sid: str, params: TaskUpdate
) -> t.Task:
    if params.assignment_status is not None and params.attributes is not None:
        raise InvalidParameter(
            "AssignmentStatus and Attributes cannot be updated in the same request"
        )
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        task = await access_task(session, workspace, task_sid)
        check_if_match(params.if_match, task.version, task.sid)
        now = now_ms()
        if params.assignment_status is not None:
            await _change_status(session, svc, workspace, task, params, now)
        else:
            await _change_fields(session, svc, workspace, task, params, now)
        return task


async def _change_status(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    params: TaskUpdate,
    now: int,
) -> None:
    status = params.assignment_status
    if status == task.assignment_status and status in ("canceled", "completed"):
        return
    if status == "canceled":
        await tr.cancel_task(session, svc, workspace, task, params.reason, now)
    elif status == "wrapping":
        await tr.wrap_up(session, svc, workspace, task, now)
    elif status == "completed":
        await tr.complete(session, svc, workspace, task, params.reason, now)
    else:
        raise InvalidTransition(
            f"AssignmentStatus can be set to canceled, wrapping or completed, not {status}"
        )


async def _change_fields(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    params: TaskUpdate,
    now: int,
) -> None:
    if task.assignment_status in ("canceled", "completed"):
        raise InvalidTransition(f"Task {task.sid} is {task.assignment_status} and cannot change")
    if params.priority is not None:
        task.priority = task.base_priority = params.priority
    if params.virtual_start_time is not None:
        task.virtual_start_time = _start_time(params.virtual_start_time, now)
    if params.task_channel is not None:
        task.task_channel_sid = (
            await access_task_channel(session, workspace, params.task_channel)
        ).sid
    task.version += 1
    task.date_updated = now
    if params.attributes is not None:
        task.attributes = attributes_text(params.attributes)
    await tr.record_task_event(
        session, svc, workspace, "task.updated", task, f"Task {task.sid} updated"
    )
    if params.attributes is not None and task.assignment_status == "pending":
        workflow = await session.get(t.Workflow, task.workflow_sid) if task.workflow_sid else None
        if workflow is not None:
            await enter_workflow(session, svc, workspace, task, workflow, now)
    svc.poke_after_commit(session, workspace.sid)


async def delete_task(
    svc: Services, account_sid: str, workspace_sid: str, task_sid: str, if_match: str | None
) -> None:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        task = await access_task(session, workspace, task_sid)
        check_if_match(if_match, task.version, task.sid)
        now = now_ms()
        await tr.cancel_pending_reservations(session, svc, workspace, task, "task deleted", now)
        await tr.record_task_event(
            session, svc, workspace, "task.deleted", task, f"Task {task.sid} deleted"
        )
        await session.flush()
        await session.execute(delete(t.Reservation).where(t.Reservation.task_sid == task.sid))
        await session.delete(task)
        svc.poke_after_commit(session, workspace.sid)
