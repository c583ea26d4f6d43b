"""`/v1/Workspaces/{ws}/TaskChannels[/{Sid}]` (a channel is addressed by sid or unique name)."""

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
from switchboard.distribution.config import task_channels as service
from switchboard.distribution.work.access import access_task_channel
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/TaskChannels")


@router.get("")
async def list_task_channels(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        page = await page_from_query(ctx, unit, service.task_channels_query(workspace.sid))
    records = [ser.task_channel(row, workspace, ctx.base) for row in page.records]
    return list_response(ctx, "channels", page, records)


@router.post("")
async def create_task_channel(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    channel = await service.create_task_channel(
        ctx.svc,
        ctx.account_sid,
        workspace_sid,
        friendly_name=p.string("FriendlyName", required=True, max_length=NAME_LENGTH),
        unique_name=p.string("UniqueName", required=True, max_length=NAME_LENGTH),
        channel_optimized_routing=p.boolean("ChannelOptimizedRouting"),
    )
    return json_response(
        ser.task_channel(channel, await ctx.workspace(workspace_sid), ctx.base), 201
    )


@router.get("/{sid}")
async def fetch_task_channel(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        channel = await access_task_channel(unit, workspace, sid)
    return json_response(ser.task_channel(channel, workspace, ctx.base))


@router.post("/{sid}")
async def update_task_channel(
    workspace_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    p = ctx.params
    channel = await service.update_task_channel(
        ctx.svc,
        ctx.account_sid,
        workspace_sid,
        sid,
        friendly_name=p.string("FriendlyName", max_length=NAME_LENGTH) or None,
        channel_optimized_routing=p.boolean("ChannelOptimizedRouting"),
    )
    return json_response(ser.task_channel(channel, await ctx.workspace(workspace_sid), ctx.base))


@router.delete("/{sid}")
async def delete_task_channel(
    workspace_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    await service.delete_task_channel(ctx.svc, ctx.account_sid, workspace_sid, sid)
    return no_content()
