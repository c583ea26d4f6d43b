"""Tasks: creation (entering the workflow), updates, cancellation, completion, deletion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import (
    Reservation,
    Task,
    TaskQueue,
    Worker,
    Workflow,
    Workspace,
)
from switchboard.distribution.work import transitions as tr
from switchboard.distribution.work.access import (
    access_task,
    access_workspace,
    task_channel_param,
    task_queue_param,
    worker_param,
    workflow_param,
)
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.documents import DocumentOutcome, document_config
from switchboard.distribution.work.placement import enter_workflow
from switchboard.distribution.work.returns import return_task
from switchboard.distribution.work.validation import attributes_text, check_if_match
from switchboard.kernel import sids
from switchboard.kernel.changes import OPENS_WORK, NewWork
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import InvalidParameter, InvalidTransition, NotFound
from switchboard.kernel.ports import Unit

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


async def _only_workflow(unit: Unit, workspace: Workspace) -> Workflow:
    """Twilio: WorkflowSid is optional when the workspace has exactly one workflow."""
    rows = await unit.select(Workflow, eq("workspace_sid", workspace.sid))  # a kept list
    if len(rows) != 1:
        raise InvalidParameter(
            "Missing required parameter WorkflowSid: the Workspace has "
            f"{'no' if not rows else 'more than one'} Workflow"
        )
    return rows[0]


@dataclass
class _Route:
    workflow: Workflow | None = None
    queue: TaskQueue | None = None
    worker: Worker | None = None


async def _resolve_route(unit: Unit, workspace: Workspace, params: TaskCreate) -> _Route:
    target = params.routing_target
    if target is not None and target.startswith("WK"):
        return _Route(worker=await worker_param(unit, workspace, target, "RoutingTarget"))
    if target is not None and target.startswith("WQ"):
        return _Route(queue=await task_queue_param(unit, workspace, target, "RoutingTarget"))
    if params.task_queue_sid is not None:
        queue = await task_queue_param(unit, workspace, params.task_queue_sid, "TaskQueueSid")
        return _Route(queue=queue)
    if target is not None and not target.startswith("WW"):
        raise InvalidParameter("RoutingTarget must be a Worker, TaskQueue or Workflow sid")
    workflow_sid = target or params.workflow_sid
    if workflow_sid is not None:
        name = "RoutingTarget" if target else "WorkflowSid"
        return _Route(workflow=await workflow_param(unit, workspace, workflow_sid, name))
    return _Route(workflow=await _only_workflow(unit, workspace))


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


async def _enriched(svc: Services, account_sid: str, workspace_sid: str, text: str) -> str:
    """Attributes other pillars add (e.g. marketing attribution), merged before validation."""
    if not svc.enrichers:
        return text
    attributes: dict[str, Any] = json.loads(text)
    extra: dict[str, Any] = {}
    for source in svc.enrichers:
        extra.update(await source.attributes_for(account_sid, workspace_sid, attributes))
    if not extra:
        return text
    return attributes_text(json.dumps({**attributes, **extra}))


async def create_task(
    svc: Services, account_sid: str, workspace_sid: str, params: TaskCreate
) -> Task:
    attributes = attributes_text(params.attributes)
    attributes = await _enriched(svc, account_sid, workspace_sid, attributes)
    task_sid = sids.new_sid(sids.TASK)
    enters, workflow_sid = _document_workflow(params)
    # a remote routing document is fetched before the transaction: no lock during I/O
    document = None
    if enters and svc.documents is not None:
        document = await svc.documents.prefetch(
            account_sid, workspace_sid, task_sid, attributes, workflow_sid
        )
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        route = await _resolve_route(unit, workspace, params)
        channel = await task_channel_param(unit, workspace, params.task_channel or DEFAULT_CHANNEL)
        now = svc.now()
        timeout = params.timeout or DEFAULT_TIMEOUT
        task = Task(
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
        unit.add(task)
        tr.record_task_event(unit, svc, workspace, "task.created", task, f"Task {task.sid} created")
        target = await _place(unit, svc, workspace, task, route, now, document)
        _claim_new_work(unit, task, target)
        return task


def _claim_new_work(unit: Unit, task: Task, target: wf.Target | None) -> None:
    """A new task in a queue (not ignoring capacity, at a target without skip_if or a
    no-agent timeout, which look at who is logged in) can go only to a member of the
    queue with room: while none has any, the routing owner may put its pass off until
    one frees up, or until the task's first deadline."""
    if (
        task.assignment_status != "pending"
        or task.task_queue_sid is None  # routed to a known worker, in or out of a queue
        or task.ignore_capacity
        or not task.skip_checked
        or (target is not None and target.no_agent_timeout is not None)
    ):
        return
    deadlines = [at for at in (task.timeout_at, task.step_deadline) if at is not None]
    due = min(deadlines, default=None)
    unit.claim(OPENS_WORK, NewWork(task.task_queue_sid, task.task_channel_sid, due))


async def _place(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    route: _Route,
    now: int,
    document: DocumentOutcome | None = None,
) -> wf.Target | None:
    """Put a new task in its workflow's first target, or in the queue it names; returns
    the target (None: none, or the task was canceled)."""
    if route.workflow is not None:
        config = await document_config(unit, svc, workspace, task, route.workflow, document)
        return await enter_workflow(
            unit, svc, workspace, task, route.workflow, now, config=config, fresh=True
        )
    if route.queue is not None:
        task.task_queue_sid = route.queue.sid
        task.task_queue_entered_date = now
        tr.record_task_event(
            unit,
            svc,
            workspace,
            "task-queue.entered",
            task,
            f"Task {task.sid} entered TaskQueue {route.queue.friendly_name}",
        )
    return None


async def update_task(
    svc: Services, account_sid: str, workspace_sid: str, task_sid: str, params: TaskUpdate
) -> Task:
    if params.assignment_status is not None and params.attributes is not None:
        raise InvalidParameter(
            "AssignmentStatus and Attributes cannot be updated in the same request"
        )
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        task = await access_task(unit, workspace, task_sid)
        await _update(unit, svc, workspace, task, params)
        return task


async def update_task_of_reservation(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    reservation_sid: str,
    worker_sid: str,
    params: TaskUpdate,
) -> Task:
    """`update_task` of the task a worker's reservation is for (the worker's own command:
    the reservation is looked up in the same transaction)."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        reservation = await unit.get(Reservation, reservation_sid)
        if (
            reservation is None
            or reservation.workspace_sid != workspace.sid
            or reservation.worker_sid != worker_sid
        ):
            raise NotFound(f"No reservation of this worker for {reservation_sid}")
        task = await access_task(unit, workspace, reservation.task_sid)
        await _update(unit, svc, workspace, task, params, reservation)
        return task


async def _update(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    params: TaskUpdate,
    reservation: Reservation | None = None,
) -> None:
    """`reservation`: the worker's own, when a worker's command updates its task."""
    check_if_match(params.if_match, task.version, task.sid)
    now = svc.now()
    if params.assignment_status is not None:
        await _change_status(unit, svc, workspace, task, params, now, reservation)
    else:
        await _change_fields(unit, svc, workspace, task, params, now)


async def _change_status(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    params: TaskUpdate,
    now: int,
    reservation: Reservation | None = None,
) -> None:
    status = params.assignment_status
    if status == task.assignment_status and status in ("canceled", "completed"):
        return
    if status == "canceled":
        await tr.cancel_task(unit, svc, workspace, task, params.reason, now)
    elif status == "wrapping":
        await tr.wrap_up(unit, svc, workspace, task, now, reservation)
    elif status == "completed":
        await tr.complete(unit, svc, workspace, task, params.reason, now, reservation)
    elif status == "pending":
        await return_task(unit, svc, workspace, task, params.reason, now)
    else:
        raise InvalidTransition(
            "AssignmentStatus can be set to canceled, wrapping, completed or (returning an "
            f"assigned task) pending, not {status}"
        )


async def _change_fields(
    unit: Unit, svc: Services, workspace: Workspace, task: Task, params: TaskUpdate, now: int
) -> None:
    if task.assignment_status in ("canceled", "completed"):
        raise InvalidTransition(f"Task {task.sid} is {task.assignment_status} and cannot change")
    if params.priority is not None:
        task.priority = task.base_priority = params.priority
    if params.virtual_start_time is not None:
        task.virtual_start_time = _start_time(params.virtual_start_time, now)
    if params.task_channel is not None:
        task.task_channel_sid = (await task_channel_param(unit, workspace, params.task_channel)).sid
    task.version += 1
    task.date_updated = now
    if params.attributes is not None:
        task.attributes = attributes_text(params.attributes)
    tr.record_task_event(unit, svc, workspace, "task.updated", task, f"Task {task.sid} updated")
    if params.attributes is not None and task.assignment_status == "pending":
        workflow = await unit.get(Workflow, task.workflow_sid) if task.workflow_sid else None
        if workflow is not None:
            await enter_workflow(unit, svc, workspace, task, workflow, now)


async def delete_task(
    svc: Services, account_sid: str, workspace_sid: str, task_sid: str, if_match: str | None
) -> None:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        task = await access_task(unit, workspace, task_sid)
        check_if_match(if_match, task.version, task.sid)
        now = svc.now()
        await tr.cancel_pending_reservations(unit, svc, workspace, task, "task deleted", now)
        tr.record_task_event(unit, svc, workspace, "task.deleted", task, f"Task {task.sid} deleted")
        await unit.delete_where(Reservation, eq("task_sid", task.sid))
        await unit.delete(task)
