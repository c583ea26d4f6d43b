"""Workflows: the routing document that moves each task through filters and queue targets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.workflow import parse_configuration
from switchboard.services.access import access_workflow, access_workspace
from switchboard.services.config_support import (
    OPEN_TASK_STATUSES,
    record_change,
    refuse_if_any,
    required,
)
from switchboard.services.context import Services
from switchboard.services.events import Subject
from switchboard.services.routing import reevaluate_workflow
from switchboard.store import tables as t

DEFAULT_RESERVATION_TIMEOUT = 120


@dataclass(frozen=True)
class WorkflowFields:
    """Create and update share the fields; on update None means "unchanged"."""

    friendly_name: str | None = None
    configuration: str | None = None
    assignment_callback_url: str | None = None
    fallback_assignment_callback_url: str | None = None
    task_reservation_timeout: int | None = None
    re_evaluate_tasks: bool = False


def workflows_query(workspace_sid: str, friendly_name: str | None = None) -> Select[t.Workflow]:
    query = select(t.Workflow).where(t.Workflow.workspace_sid == workspace_sid)
    if friendly_name is not None:
        query = query.where(t.Workflow.friendly_name == friendly_name)
    return query.order_by(t.Workflow.date_created, t.Workflow.sid)


async def _validate_configuration(session: AsyncSession, workspace: t.Workspace, text: str) -> None:
    """Every queue the document names must exist in this workspace."""
    queue_sids = await session.scalars(
        select(t.TaskQueue.sid).where(t.TaskQueue.workspace_sid == workspace.sid)
    )
    parse_configuration(text, known_queue_sids=frozenset(queue_sids))


async def _record(
    session: AsyncSession, svc: Services, workspace: t.Workspace, workflow: t.Workflow, kind: str
) -> None:
    data = {"workflow_sid": workflow.sid, "workflow_name": workflow.friendly_name}
    subject = Subject("workflow", workflow.sid, workflow_sid=workflow.sid)
    await record_change(session, svc, workspace, f"workflow.{kind}", subject, data)


async def _apply(
    session: AsyncSession, workspace: t.Workspace, workflow: t.Workflow, fields: WorkflowFields
) -> None:
    if fields.configuration is not None:
        await _validate_configuration(session, workspace, fields.configuration)
        workflow.configuration = fields.configuration
    if fields.friendly_name is not None:
        workflow.friendly_name = fields.friendly_name
    if fields.assignment_callback_url is not None:
        workflow.assignment_callback_url = fields.assignment_callback_url or None
    if fields.fallback_assignment_callback_url is not None:
        workflow.fallback_assignment_callback_url = fields.fallback_assignment_callback_url or None
    if fields.task_reservation_timeout is not None:
        workflow.task_reservation_timeout = fields.task_reservation_timeout


async def create_workflow(
    svc: Services, account_sid: str, workspace_sid: str, fields: WorkflowFields
) -> t.Workflow:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        now = now_ms()
        workflow = t.Workflow(
            sid=sids.new_sid(sids.WORKFLOW),
            workspace_sid=workspace.sid,
            friendly_name=required(fields.friendly_name, "FriendlyName"),
            configuration=required(fields.configuration, "Configuration"),
            task_reservation_timeout=DEFAULT_RESERVATION_TIMEOUT,
            date_created=now,
            date_updated=now,
        )
        await _apply(session, workspace, workflow, fields)
        session.add(workflow)
        await _record(session, svc, workspace, workflow, "created")
    return workflow


async def update_workflow(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, fields: WorkflowFields
) -> t.Workflow:
    """Routing runs again after commit; `ReEvaluateTasks` also restarts the waiting tasks."""
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        workflow = await access_workflow(session, workspace, sid)
        await _apply(session, workspace, workflow, fields)
        workflow.date_updated = now_ms()
        await _record(session, svc, workspace, workflow, "updated")
        if fields.re_evaluate_tasks:
            await session.flush()
            await reevaluate_workflow(session, svc, workspace, workflow)
        svc.poke_after_commit(session, workspace.sid)
    return workflow


async def delete_workflow(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        workflow = await access_workflow(session, workspace, sid)
        open_tasks = select(t.Task.sid).where(
            t.Task.workflow_sid == workflow.sid, t.Task.assignment_status.in_(OPEN_TASK_STATUSES)
        )
        await refuse_if_any(
            session, open_tasks, f"Cannot delete Workflow {workflow.sid}: it controls open Tasks"
        )
        await _record(session, svc, workspace, workflow, "deleted")
        await session.delete(workflow)
