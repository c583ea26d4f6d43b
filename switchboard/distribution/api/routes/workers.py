"""`/v1/Workspaces/{ws}/Workers[/{Sid}]` (statistics sub-resources live elsewhere)."""

from __future__ import annotations

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.lookups import activity_names
from switchboard.distribution.api.routes.common import (
    MAX_ATTRIBUTES,
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
    Predicate,
    compile_filter,
    ordering,
    stored_expression,
    worker_context,
)
from switchboard.distribution.domain.records import Activity, TaskQueue, Worker
from switchboard.distribution.work import workers as service
from switchboard.distribution.work.access import access_worker
from switchboard.kernel.criteria import Criterion, Query, asc, eq, isin
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Workers")
ORDERINGS = {"DateStatusChanged": "date_status_changed"}


async def _render(ctx: Ctx, workspace_sid: str, worker: Worker, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        names = await activity_names(unit, [worker.activity_sid])
    body = ser.worker(worker, workspace, ctx.base, names)
    return json_response(body, status, version=worker.version)


def _workers_query(workspace_sid: str, p: Params) -> tuple[Query[Worker], list[Criterion]]:
    """The filters the store can apply (and, by activity name, the lookup it needs)."""
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    activity_sid, activity_name = p.sid("ActivitySid", "WA"), p.string("ActivityName")
    available, friendly_name = p.boolean("Available"), p.string("FriendlyName")
    if activity_sid is not None:
        where.append(eq("activity_sid", activity_sid))
    if available is not None:
        where.append(eq("available", available))
    if friendly_name is not None:
        where.append(eq("name_key", friendly_name.lower()))
    named: list[Criterion] = []
    if activity_name is not None:
        named = [eq("workspace_sid", workspace_sid), eq("friendly_name", activity_name)]
    order = (*ordering(p.raw("Ordering"), ORDERINGS, (asc("date_created"),)), asc("sid"))
    return Query(Worker, tuple(where), order), named


async def _predicates(unit: Unit, workspace_sid: str, p: Params) -> list[Predicate]:
    """`TargetWorkersExpression`, and queue eligibility (`TaskQueueSid`/`TaskQueueName`)."""
    predicates: list[Predicate] = []
    expression = p.string("TargetWorkersExpression")
    if expression:
        predicates.append(compile_filter("TargetWorkersExpression", expression).evaluate)
    queue_sid, queue_name = p.sid("TaskQueueSid", "WQ"), p.string("TaskQueueName")
    if queue_sid is not None or queue_name is not None:
        where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
        if queue_sid is not None:
            where.append(eq("sid", queue_sid))
        if queue_name is not None:
            where.append(eq("friendly_name", queue_name))
        queue = await unit.first(TaskQueue, *where)
        predicates.append(
            stored_expression(queue.target_workers) if queue is not None else lambda _: False
        )
    return predicates


async def _filtered(
    unit: Unit, query: Query[Worker], predicates: list[Predicate]
) -> tuple[list[Worker], dict[str, str]]:
    workers = await unit.select(query.kind, *query.where, order=query.order)
    names = await activity_names(unit, {w.activity_sid for w in workers})
    kept = [
        w
        for w in workers
        if all(match(worker_context(w, names.get(w.activity_sid))) for match in predicates)
    ]
    return kept, names


@router.get("")
async def list_workers(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query, activity_named = _workers_query(workspace_sid, ctx.params)
    async with ctx.reading(workspace_sid) as (unit, workspace):
        if activity_named:
            query = query.filtered(
                isin("activity_sid", await unit.values(Activity, "sid", *activity_named))
            )
        predicates = await _predicates(unit, workspace.sid, ctx.params)
        if predicates:
            workers, names = await _filtered(unit, query, predicates)
            page = page_from_items(ctx, workers)
        else:
            page = await page_from_query(ctx, unit, query)
            names = await activity_names(unit, {w.activity_sid for w in page.records})
    records = [ser.worker(w, workspace, ctx.base, names, listing=True) for w in page.records]
    return list_response(ctx, "workers", page, records)


@router.post("")
async def create_worker(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = service.WorkerCreate(
        friendly_name=p.string("FriendlyName", required=True, max_length=NAME_LENGTH),
        activity_sid=p.sid("ActivitySid", "WA"),
        attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
    )
    worker = await service.create_worker(ctx.svc, ctx.account_sid, workspace_sid, params)
    return await _render(ctx, workspace_sid, worker, 201)


@router.get("/{sid:wk}")
async def fetch_worker(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        worker = await access_worker(unit, workspace, sid)
    return await _render(ctx, workspace_sid, worker)


@router.post("/{sid:wk}")
async def update_worker(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = service.WorkerUpdate(
        friendly_name=p.string("FriendlyName", max_length=NAME_LENGTH) or None,
        activity_sid=p.sid("ActivitySid", "WA"),
        attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
        reject_pending_reservations=bool(p.boolean("RejectPendingReservations")),
        if_match=ctx.if_match,
    )
    worker = await service.update_worker(ctx.svc, ctx.account_sid, workspace_sid, sid, params)
    return await _render(ctx, workspace_sid, worker)


@router.delete("/{sid:wk}")
async def delete_worker(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_worker(ctx.svc, ctx.account_sid, workspace_sid, sid, ctx.if_match)
    return no_content()
