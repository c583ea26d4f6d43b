"""`/v1/Workspaces/{ws}/Workers[/{Sid}]` (statistics sub-resources live elsewhere)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api import serializers as ser
from switchboard.api.lookups import activity_names
from switchboard.api.params import Params
from switchboard.api.routes.common import (
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
from switchboard.api.routes.filters import (
    Predicate,
    compile_filter,
    ordering,
    stored_expression,
    worker_context,
)
from switchboard.services import workers as service
from switchboard.services.access import access_worker
from switchboard.store import tables as t

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Workers")
ORDERINGS = {"DateStatusChanged": t.Worker.date_status_changed}


async def _render(ctx: Ctx, workspace_sid: str, worker: t.Worker, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid) as (session, workspace):
        names = await activity_names(session, [worker.activity_sid])
    body = ser.worker(worker, workspace, ctx.base, names)
    return json_response(body, status, version=worker.version)


def _workers_query(workspace_sid: str, p: Params) -> Select[t.Worker]:
    """The filters SQL can apply; expression filters run afterwards in Python."""
    query = select(t.Worker).where(t.Worker.workspace_sid == workspace_sid)
    activity_sid, activity_name = p.sid("ActivitySid", "WA"), p.string("ActivityName")
    available, friendly_name = p.boolean("Available"), p.string("FriendlyName")
    if activity_sid is not None:
        query = query.where(t.Worker.activity_sid == activity_sid)
    if activity_name is not None:
        named = select(t.Activity.sid).where(
            t.Activity.workspace_sid == workspace_sid, t.Activity.friendly_name == activity_name
        )
        query = query.where(t.Worker.activity_sid.in_(named))
    if available is not None:
        query = query.where(t.Worker.available == available)
    if friendly_name is not None:
        query = query.where(t.Worker.name_key == friendly_name.lower())
    default = (t.Worker.date_created.asc(),)
    return query.order_by(*ordering(p.raw("Ordering"), ORDERINGS, default), t.Worker.sid)


async def _predicates(session: AsyncSession, workspace_sid: str, p: Params) -> list[Predicate]:
    """`TargetWorkersExpression`, and queue eligibility (`TaskQueueSid`/`TaskQueueName`)."""
    predicates: list[Predicate] = []
    expression = p.string("TargetWorkersExpression")
    if expression:
        predicates.append(compile_filter("TargetWorkersExpression", expression).evaluate)
    queue_sid, queue_name = p.sid("TaskQueueSid", "WQ"), p.string("TaskQueueName")
    if queue_sid is not None or queue_name is not None:
        query = select(t.TaskQueue.target_workers).where(t.TaskQueue.workspace_sid == workspace_sid)
        if queue_sid is not None:
            query = query.where(t.TaskQueue.sid == queue_sid)
        if queue_name is not None:
            query = query.where(t.TaskQueue.friendly_name == queue_name)
        target = (await session.scalars(query)).first()
        predicates.append(stored_expression(target) if target is not None else lambda _: False)
    return predicates


async def _filtered(
    session: AsyncSession, query: Select[t.Worker], predicates: list[Predicate]
) -> tuple[list[t.Worker], dict[str, str]]:
    workers = (await session.scalars(query)).all()
    names = await activity_names(session, {w.activity_sid for w in workers})
    kept = [
        w
        for w in workers
        if all(match(worker_context(w, names.get(w.activity_sid))) for match in predicates)
    ]
    return kept, names


@router.get("")
async def list_workers(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query = _workers_query(workspace_sid, ctx.params)
    async with ctx.reading(workspace_sid) as (session, workspace):
        predicates = await _predicates(session, workspace.sid, ctx.params)
        if predicates:
            workers, names = await _filtered(session, query, predicates)
            page = page_from_items(ctx, workers)
        else:
            page = await page_from_query(ctx, session, query)
            names = await activity_names(session, {w.activity_sid for w in page.records})
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
    async with ctx.reading(workspace_sid) as (session, workspace):
        worker = await access_worker(session, workspace, sid)
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
