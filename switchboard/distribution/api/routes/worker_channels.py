"""`/v1/Workspaces/{ws}/Workers/{wk}/Channels[/{Sid}]`: a worker's capacity per TaskChannel."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, Response
from fastapi.responses import JSONResponse

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.lookups import assigned_counts, channel_names
from switchboard.distribution.api.routes.common import (
    JSON,
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.distribution.domain.records import WorkerChannel, Workspace
from switchboard.distribution.work import workers as service
from switchboard.distribution.work.access import access_worker, access_worker_channel
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.ports import Unit
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Workers/{worker_sid:wk}/Channels")
MAX_CAPACITY = 50


async def _records(
    unit: Unit, ctx: Ctx, workspace: Workspace, rows: Sequence[WorkerChannel]
) -> list[JSON]:
    if not rows:
        return []
    names = await channel_names(unit, (row.task_channel_sid for row in rows))
    assigned = await assigned_counts(unit, rows[0].worker_sid)
    return [ser.worker_channel(row, workspace, ctx.base, names, assigned) for row in rows]


@router.get("")
async def list_worker_channels(
    workspace_sid: str, worker_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        worker = await access_worker(unit, workspace, worker_sid)
        query = Query(
            WorkerChannel, (eq("worker_sid", worker.sid),), (asc("date_created"), asc("sid"))
        )
        page = await page_from_query(ctx, unit, query)
        records = await _records(unit, ctx, workspace, page.records)
    return list_response(ctx, "channels", page, records)


async def _render(ctx: Ctx, workspace_sid: str, worker_sid: str, sid: str) -> JSONResponse:
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        worker = await access_worker(unit, workspace, worker_sid)
        channel = await access_worker_channel(unit, worker, sid)
        [record] = await _records(unit, ctx, workspace, [channel])
    return json_response(record)


@router.get("/{sid}")
async def fetch_worker_channel(
    workspace_sid: str, worker_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _render(ctx, workspace_sid, worker_sid, sid)


@router.post("/{sid}")
async def update_worker_channel(
    workspace_sid: str, worker_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    channel = await service.update_worker_channel(
        ctx.svc,
        ctx.account_sid,
        workspace_sid,
        worker_sid,
        sid,
        capacity=ctx.params.integer("Capacity", 0, MAX_CAPACITY),
        available=ctx.params.boolean("Available"),
    )
    return await _render(ctx, workspace_sid, worker_sid, channel.sid)
