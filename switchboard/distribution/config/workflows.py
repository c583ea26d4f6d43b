"""Workflows: the routing document that moves each task through filters and queue targets."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.distribution.config.support import (
    OPEN_TASK_STATUSES,
    record_change,
    refuse_if_any,
    required,
)
from switchboard.distribution.domain.records import Task, TaskQueue, Workflow, Workspace
from switchboard.distribution.domain.workflow import parse_configuration
from switchboard.distribution.journal.events import Subject
from switchboard.distribution.work.access import access_workflow, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.placement import reevaluate_workflow
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Query, asc, eq, isin
from switchboard.kernel.ports import Unit

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


def workflows_query(workspace_sid: str, friendly_name: str | None = None) -> Query[Workflow]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    if friendly_name is not None:
        where.append(eq("friendly_name", friendly_name))
    return Query(Workflow, tuple(where), (asc("date_created"), asc("sid")))


async def _validate_configuration(unit: Unit, workspace: Workspace, text: str) -> None:
    """Every queue the document names must exist in this workspace."""
    queue_sids = await unit.values(TaskQueue, "sid", eq("workspace_sid", workspace.sid))
    parse_configuration(text, known_queue_sids=frozenset(queue_sids))


def _record(unit: Unit, svc: Services, workspace: Workspace, workflow: Workflow, kind: str) -> None:
    data = {"workflow_sid": workflow.sid, "workflow_name": workflow.friendly_name}
    subject = Subject("workflow", workflow.sid, workflow_sid=workflow.sid)
    record_change(unit, svc, workspace, f"workflow.{kind}", subject, data)


async def _apply(
    unit: Unit, workspace: Workspace, workflow: Workflow, fields: WorkflowFields
) -> None:
    if fields.configuration is not None:
        await _validate_configuration(unit, workspace, fields.configuration)
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
) -> Workflow:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        now = svc.now()
        workflow = Workflow(
            sid=sids.new_sid(sids.WORKFLOW),
            workspace_sid=workspace.sid,
            friendly_name=required(fields.friendly_name, "FriendlyName"),
            configuration=required(fields.configuration, "Configuration"),
            task_reservation_timeout=DEFAULT_RESERVATION_TIMEOUT,
            date_created=now,
            date_updated=now,
        )
        await _apply(unit, workspace, workflow, fields)
        unit.add(workflow)
        _record(unit, svc, workspace, workflow, "created")
    return workflow


async def update_workflow(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, fields: WorkflowFields
) -> Workflow:
    """Routing runs again after commit; `ReEvaluateTasks` also restarts the waiting tasks."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        workflow = await access_workflow(unit, workspace, sid)
        await _apply(unit, workspace, workflow, fields)
        workflow.date_updated = svc.now()
        _record(unit, svc, workspace, workflow, "updated")
        if fields.re_evaluate_tasks:
            await reevaluate_workflow(unit, svc, workspace, workflow)
    return workflow


async def delete_workflow(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        workflow = await access_workflow(unit, workspace, sid)
        await refuse_if_any(
            unit,
            Task,
            [eq("workflow_sid", workflow.sid), isin("assignment_status", OPEN_TASK_STATUSES)],
            f"Cannot delete Workflow {workflow.sid}: it controls open Tasks",
        )
        _record(unit, svc, workspace, workflow, "deleted")
        await unit.delete(workflow)
