"""`/v1/Workspaces/{ws}/Tasks[/{Sid}]`."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.lookups import task_names
from switchboard.distribution.api.routes.common import (
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
from switchboard.distribution.api.routes.filters import compile_filter, json_object, ordering
from switchboard.distribution.domain.records import Task, TaskQueue, Workflow, Workspace
from switchboard.distribution.work import tasks as service
from switchboard.distribution.work.access import access_task
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Order, Query, asc, eq, isin
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Tasks")
ASSIGNMENT_STATUSES = ("pending", "reserved", "assigned", "canceled", "completed", "wrapping")
MAX_PRIORITY = 2_147_483_647
MAX_TIMEOUT = 1_209_600
ROUTING_TARGET_PREFIXES = ("WK", "WQ", "WW")
ORDERINGS = {
    "DateCreated": "date_created",
    "Priority": "priority",
    "VirtualStartTime": "virtual_start_time",
}


async def _records(
    unit: Unit,
    ctx: Ctx,
    workspace: Workspace,
    rows: Sequence[Task],
    *,
    listing: bool,
) -> list[JSON]:
    names = await task_names(unit, rows)
    now = ctx.svc.now()
    return [ser.task(row, workspace, ctx.base, names, now, listing=listing) for row in rows]


async def _render(ctx: Ctx, workspace_sid: str, task: Task, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        [record] = await _records(unit, ctx, workspace, [task], listing=False)
    return json_response(record, status, version=task.version)


def _task_ordering(text: str | None) -> tuple[Order, ...]:
    """Twilio forbids ordering by both DateCreated and VirtualStartTime."""
    if text is not None and "DateCreated" in text and "VirtualStartTime" in text:
        raise InvalidParameter(
            "Invalid Ordering: DateCreated and VirtualStartTime cannot be combined"
        )
    return ordering(text, ORDERINGS, (asc("date_created"),))


def _tasks_query(workspace_sid: str, p: Params) -> Query[Task]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    statuses = p.enums("AssignmentStatus", ASSIGNMENT_STATUSES)
    if statuses:
        where.append(isin("assignment_status", statuses))
    equal = (
        ("priority", p.integer("Priority")),
        ("workflow_sid", p.sid("WorkflowSid", "WW")),
        ("task_queue_sid", p.sid("TaskQueueSid", "WQ")),
        ("routing_target", p.raw("RoutingTarget")),
    )
    where += [eq(field, value) for field, value in equal if value is not None]
    if p.boolean("HasAddons"):
        where.append(isin("sid", ()))  # no add-ons exist here
    return Query(Task, tuple(where), (*_task_ordering(p.raw("Ordering")), asc("sid")))


async def _by_names(unit: Unit, query: Query[Task], workspace_sid: str, p: Params) -> Query[Task]:
    """`WorkflowName` / `TaskQueueName` through the friendly names of the workspace's records."""
    workflow_name, queue_name = p.string("WorkflowName"), p.string("TaskQueueName")
    mine = eq("workspace_sid", workspace_sid)
    if workflow_name is not None:
        named = await unit.values(Workflow, "sid", mine, eq("friendly_name", workflow_name))
        query = query.filtered(isin("workflow_sid", named))
    if queue_name is not None:
        named = await unit.values(TaskQueue, "sid", mine, eq("friendly_name", queue_name))
        query = query.filtered(isin("task_queue_sid", named))
    return query


@router.get("")
async def list_tasks(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query = _tasks_query(workspace_sid, ctx.params)
    text = ctx.params.string("EvaluateTaskAttributes")
    expression = compile_filter("EvaluateTaskAttributes", text) if text else None
    async with ctx.reading(workspace_sid) as (unit, workspace):
        query = await _by_names(unit, query, workspace.sid, ctx.params)
        if expression is None:
            page = await page_from_query(ctx, unit, query)
        else:
            tasks = await unit.select(query.kind, *query.where, order=query.order)
            page = page_from_items(
                ctx, [x for x in tasks if expression.evaluate(json_object(x.attributes))]
            )
        records = await _records(unit, ctx, workspace, page.records, listing=True)
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
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        task = await access_task(unit, workspace, sid)
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
