"""`/v1/Workspaces/{ws}/Tasks[/{Sid}]`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api import serializers as ser
from switchboard.api.lookups import task_names
from switchboard.api.params import Params
from switchboard.api.routes.common import (
    JSON,
    MAX_ATTRIBUTES,
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_items,
    page_from_query,
)
from switchboard.api.routes.filters import compile_filter, json_object, ordering
from switchboard.domain import sids
from switchboard.domain.errors import InvalidParameter
from switchboard.services import tasks as service
from switchboard.services.access import access_task
from switchboard.store import tables as t

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Tasks")
ASSIGNMENT_STATUSES = ("pending", "reserved", "assigned", "canceled", "completed", "wrapping")
MAX_PRIORITY = 2_147_483_647
MAX_TIMEOUT = 1_209_600
ROUTING_TARGET_PREFIXES = ("WK", "WQ", "WW")
ORDERINGS = {
    "DateCreated": t.Task.date_created,
    "Priority": t.Task.priority,
    "VirtualStartTime": t.Task.virtual_start_time,
}


async def _records(
    session: AsyncSession,
    ctx: Ctx,
    workspace: t.Workspace,
    rows: Sequence[t.Task],
    *,
    listing: bool,
) -> list[JSON]:
    names = await task_names(session, rows)
    return [ser.task(row, workspace, ctx.base, names, listing=listing) for row in rows]


async def _render(ctx: Ctx, workspace_sid: str, task: t.Task, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid) as (session, workspace):
        [record] = await _records(session, ctx, workspace, [task], listing=False)
    return json_response(record, status, version=task.version)


def _task_ordering(text: str | None) -> tuple[ColumnElement[Any], ...]:
    """Twilio forbids ordering by both DateCreated and VirtualStartTime."""
    if text is not None and "DateCreated" in text and "VirtualStartTime" in text:
        raise InvalidParameter(
            "Invalid Ordering: DateCreated and VirtualStartTime cannot be combined"
        )
    return ordering(text, ORDERINGS, (t.Task.date_created.asc(),))


def _tasks_query(workspace_sid: str, p: Params) -> Select[t.Task]:
    query = select(t.Task).where(t.Task.workspace_sid == workspace_sid)
    statuses = p.enums("AssignmentStatus", ASSIGNMENT_STATUSES)
    if statuses:
        query = query.where(t.Task.assignment_status.in_(statuses))
    equal = (
        (t.Task.priority, p.integer("Priority")),
        (t.Task.workflow_sid, p.sid("WorkflowSid", "WW")),
        (t.Task.task_queue_sid, p.sid("TaskQueueSid", "WQ")),
        (t.Task.routing_target, p.raw("RoutingTarget")),
    )
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    query = _by_names(query, workspace_sid, p)
    if p.boolean("HasAddons"):
        query = query.where(false())  # no add-ons exist here
    return query.order_by(*_task_ordering(p.raw("Ordering")), t.Task.sid)


def _by_names(query: Select[t.Task], workspace_sid: str, p: Params) -> Select[t.Task]:
    """`WorkflowName` / `TaskQueueName` through the friendly names of the workspace's rows."""
    workflow_name, queue_name = p.string("WorkflowName"), p.string("TaskQueueName")
    if workflow_name is not None:
        query = query.where(
            t.Task.workflow_sid.in_(
                select(t.Workflow.sid).where(
                    t.Workflow.workspace_sid == workspace_sid,
                    t.Workflow.friendly_name == workflow_name,
                )
            )
        )
    if queue_name is not None:
        query = query.where(
            t.Task.task_queue_sid.in_(
                select(t.TaskQueue.sid).where(
                    t.TaskQueue.workspace_sid == workspace_sid,
                    t.TaskQueue.friendly_name == queue_name,
                )
            )
        )
    return query


@router.get("")
async def list_tasks(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query = _tasks_query(workspace_sid, ctx.params)
    text = ctx.params.string("EvaluateTaskAttributes")
    expression = compile_filter("EvaluateTaskAttributes", text) if text else None
    async with ctx.reading(workspace_sid) as (session, workspace):
        if expression is None:
            page = await page_from_query(ctx, session, query)
        else:
            tasks = (await session.scalars(query)).all()
            page = page_from_items(
                ctx, [x for x in tasks if expression.evaluate(json_object(x.attributes))]
            )
        records = await _records(session, ctx, workspace, page.records, listing=True)
    return list_response(ctx, "tasks", page, records)


def _routing_target(p: Params) -> str | None:
    value = p.raw("RoutingTarget")
    if value is not None and not any(sids.is_sid(value, x) for x in ROUTING_TARGET_PREFIXES):
        raise InvalidParameter(
            f"Invalid RoutingTarget: {value!r} is not a Worker, TaskQueue or Workflow sid"
        )
    return value


@router.post("")
async def create_task(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = service.TaskCreate(
        attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
        priority=p.integer("Priority", 0, MAX_PRIORITY),
        timeout=p.integer("Timeout", 1, MAX_TIMEOUT),
        workflow_sid=p.sid("WorkflowSid", "WW"),
        task_channel=p.raw("TaskChannel"),
        virtual_start_time=p.datetime_ms("VirtualStartTime"),
        routing_target=_routing_target(p),
        ignore_capacity=p.boolean("IgnoreCapacity"),
        task_queue_sid=p.sid("TaskQueueSid", "WQ"),
    )
    task = await service.create_task(ctx.svc, ctx.account_sid, workspace_sid, params)
    return await _render(ctx, workspace_sid, task, 201)


@router.get("/{sid:wt}")
async def fetch_task(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (session, workspace):
        task = await access_task(session, workspace, sid)
    return await _render(ctx, workspace_sid, task)


@router.post("/{sid:wt}")
async def update_task(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = service.TaskUpdate(
        attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
        assignment_status=p.enum("AssignmentStatus", ASSIGNMENT_STATUSES),
        reason=p.string("Reason", max_length=MAX_ATTRIBUTES),
        priority=p.integer("Priority", 0, MAX_PRIORITY),
        task_channel=p.raw("TaskChannel"),
        virtual_start_time=p.datetime_ms("VirtualStartTime"),
        if_match=ctx.if_match,
    )
    task = await service.update_task(ctx.svc, ctx.account_sid, workspace_sid, sid, params)
    return await _render(ctx, workspace_sid, task)


@router.delete("/{sid:wt}")
async def delete_task(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_task(ctx.svc, ctx.account_sid, workspace_sid, sid, ctx.if_match)
    return no_content()
