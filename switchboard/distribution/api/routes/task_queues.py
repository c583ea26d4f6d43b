"""`/v1/Workspaces/{ws}/TaskQueues[/{Sid}]` (statistics sub-resources live elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.lookups import activity_names
from switchboard.distribution.api.routes.common import (
    NAME_LENGTH,
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_items,
    page_from_query,
)
from switchboard.distribution.api.routes.filters import (
    json_object,
    stored_expression,
    worker_context,
)
from switchboard.distribution.config import task_queues as service
from switchboard.distribution.domain.records import TaskQueue, Workspace
from switchboard.distribution.work.access import access_task_queue, access_worker
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/TaskQueues")
TASK_ORDERS = ("FIFO", "LIFO")
MAX_RESERVED_WORKERS = 50
QUEUE_ORDERINGS = {"DateUpdated:asc": False, "DateUpdated:desc": True}


async def _names(unit: Unit, rows: Sequence[TaskQueue]) -> dict[str, str]:
    sids = [sid for q in rows for sid in (q.reservation_activity_sid, q.assignment_activity_sid)]
    return await activity_names(unit, sids)


async def _render(ctx: Ctx, workspace_sid: str, queue: TaskQueue, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        names = await _names(unit, [queue])
    return json_response(ser.task_queue(queue, workspace, ctx.base, names), status)


async def _worker_document(unit: Unit, workspace: Workspace, p: Params) -> Mapping[str, Any] | None:
    """What TargetWorkers is matched against: `EvaluateWorkerAttributes` or `WorkerSid`."""
    text = p.json_text("EvaluateWorkerAttributes")
    if text is not None:
        return json_object(text)
    worker_sid = p.sid("WorkerSid", "WK")
    if worker_sid is None:
        return None
    worker = await access_worker(unit, workspace, worker_sid)
    names = await activity_names(unit, [worker.activity_sid])
    return worker_context(worker, names.get(worker.activity_sid))


def _descending(p: Params) -> bool:
    text = p.raw("Ordering")
    if text is None:
        return False
    if text not in QUEUE_ORDERINGS:
        raise InvalidParameter(f"Invalid Ordering: must be one of {', '.join(QUEUE_ORDERINGS)}")
    return QUEUE_ORDERINGS[text]


@router.get("")
async def list_task_queues(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    query = service.task_queues_query(workspace_sid, p.string("FriendlyName"), _descending(p))
    async with ctx.reading(workspace_sid) as (unit, workspace):
        document = await _worker_document(unit, workspace, p)
        if document is None:
            page = await page_from_query(ctx, unit, query)
        else:
            queues = await unit.select(query.kind, *query.where, order=query.order)
            page = page_from_items(
                ctx, [q for q in queues if stored_expression(q.target_workers)(document)]
            )
        names = await _names(unit, page.records)
    records = [ser.task_queue(row, workspace, ctx.base, names) for row in page.records]
    return list_response(ctx, "task_queues", page, records)


def _fields(p: Params, *, creating: bool) -> service.TaskQueueFields:
    return service.TaskQueueFields(
        friendly_name=p.string("FriendlyName", required=creating, max_length=NAME_LENGTH) or None,
        target_workers=p.string("TargetWorkers"),
        max_reserved_workers=p.integer("MaxReservedWorkers", 1, MAX_RESERVED_WORKERS),
        task_order=p.enum("TaskOrder", TASK_ORDERS),
        reservation_activity_sid=p.sid("ReservationActivitySid", "WA"),
        assignment_activity_sid=p.sid("AssignmentActivitySid", "WA"),
    )


@router.post("")
async def create_task_queue(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields = _fields(ctx.params, creating=True)
    queue = await service.create_task_queue(ctx.svc, ctx.account_sid, workspace_sid, fields)
    return await _render(ctx, workspace_sid, queue, 201)


@router.get("/{sid:wq}")
async def fetch_task_queue(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        queue = await access_task_queue(unit, workspace, sid)
    return await _render(ctx, workspace_sid, queue)


@router.post("/{sid:wq}")
async def update_task_queue(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields = _fields(ctx.params, creating=False)
    queue = await service.update_task_queue(ctx.svc, ctx.account_sid, workspace_sid, sid, fields)
    return await _render(ctx, workspace_sid, queue)


@router.delete("/{sid:wq}")
async def delete_task_queue(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_task_queue(ctx.svc, ctx.account_sid, workspace_sid, sid)
    return no_content()
