"""`/v1/Workspaces/{ws}/Activities[/{Sid}]`."""

from __future__ import annotations

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.routes.common import (
    NAME_LENGTH,
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_query,
)
from switchboard.distribution.config import activities as service
from switchboard.distribution.work.access import access_activity
from switchboard.kernel.errors import InvalidParameter
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Activities")


@router.get("")
async def list_activities(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query = service.activities_query(
        workspace_sid, ctx.params.string("FriendlyName"), ctx.params.boolean("Available")
    )
    async with ctx.reading(workspace_sid) as (unit, workspace):
        page = await page_from_query(ctx, unit, query)
    records = [ser.activity(row, workspace, ctx.base) for row in page.records]
    return list_response(ctx, "activities", page, records)


@router.post("")
async def create_activity(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    name = ctx.params.string("FriendlyName", required=True, max_length=NAME_LENGTH)
    available = bool(ctx.params.boolean("Available"))
    activity = await service.create_activity(
        ctx.svc, ctx.account_sid, workspace_sid, name, available
    )
    return json_response(ser.activity(activity, await ctx.workspace(workspace_sid), ctx.base), 201)


@router.get("/{sid:wa}")
async def fetch_activity(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        activity = await access_activity(unit, workspace, sid)
    return json_response(ser.activity(activity, workspace, ctx.base))


@router.post("/{sid:wa}")
async def update_activity(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    if "Available" in ctx.params:
        raise InvalidParameter("Invalid Available: an Activity's availability cannot be changed")
    name = ctx.params.string("FriendlyName", max_length=NAME_LENGTH) or None
    activity = await service.update_activity(ctx.svc, ctx.account_sid, workspace_sid, sid, name)
    return json_response(ser.activity(activity, await ctx.workspace(workspace_sid), ctx.base))


@router.delete("/{sid:wa}")
async def delete_activity(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_activity(ctx.svc, ctx.account_sid, workspace_sid, sid)
    return no_content()
