"""`/v1/Workspaces[/{Sid}]`."""

from __future__ import annotations

from collections.abc import Sequence

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
    page_from_query,
)
from switchboard.distribution.config import workspaces as service
from switchboard.distribution.domain.records import Workspace
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
QUEUE_ORDERS = ("FIFO", "LIFO")


async def _names(unit: Unit, rows: Sequence[Workspace]) -> dict[str, str]:
    sids = [sid for row in rows for sid in (row.default_activity_sid, row.timeout_activity_sid)]
    return await activity_names(unit, sids)


async def _render(ctx: Ctx, workspace_sid: str, status: int = 200) -> Response:
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        names = await _names(unit, [workspace])
    return json_response(ser.workspace(workspace, ctx.base, names), status)


@router.get("/v1/Workspaces")
async def list_workspaces(ctx: Ctx = Depends(context)) -> Response:
    query = service.workspaces_query(ctx.account_sid, ctx.params.string("FriendlyName"))
    async with ctx.svc.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
        names = await _names(unit, page.records)
    records = [ser.workspace(row, ctx.base, names) for row in page.records]
    return list_response(ctx, "workspaces", page, records)


@router.post("/v1/Workspaces")
async def create_workspace(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = service.WorkspaceCreate(
        friendly_name=p.string("FriendlyName", required=True, max_length=NAME_LENGTH),
        event_callback_url=p.url("EventCallbackUrl"),
        events_filter=p.string("EventsFilter"),
        multi_task_enabled=p.boolean("MultiTaskEnabled"),
        template=p.enum("Template", service.TEMPLATES),
        prioritize_queue_order=p.enum("PrioritizeQueueOrder", QUEUE_ORDERS),
    )
    workspace = await service.create_workspace(ctx.svc, ctx.account_sid, params)
    return await _render(ctx, workspace.sid, 201)


@router.get("/v1/Workspaces/{sid:ws}")
async def fetch_workspace(sid: str, ctx: Ctx = Depends(context)) -> Response:
    return await _render(ctx, sid)


def _update_params(p: Params) -> service.WorkspaceUpdate:
    return service.WorkspaceUpdate(
        friendly_name=p.string("FriendlyName", max_length=NAME_LENGTH) or None,
        event_callback_url=p.url("EventCallbackUrl"),
        events_filter=p.string("EventsFilter"),
        multi_task_enabled=p.boolean("MultiTaskEnabled"),
        default_activity_sid=p.sid("DefaultActivitySid", "WA"),
        timeout_activity_sid=p.sid("TimeoutActivitySid", "WA"),
        prioritize_queue_order=p.enum("PrioritizeQueueOrder", QUEUE_ORDERS),
    )


@router.post("/v1/Workspaces/{sid:ws}")
async def update_workspace(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.update_workspace(ctx.svc, ctx.account_sid, sid, _update_params(ctx.params))
    return await _render(ctx, sid)


@router.delete("/v1/Workspaces/{sid:ws}")
async def delete_workspace(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_workspace(ctx.svc, ctx.account_sid, sid)
    return no_content()
