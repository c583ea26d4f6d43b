"""`/v1/Workspaces/{ws}/Events[/{Sid}]`: the read-only audit log, oldest first."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.api import serializers as ser
from switchboard.api.params import Params
from switchboard.api.routes.common import (
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.domain.clock import now_ms
from switchboard.services.access import access_event
from switchboard.services.event_queries import EventFilters, events_query
from switchboard.store import tables as t

router = APIRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Events")
MAX_MINUTES = 43_200  # Twilio keeps 30 days of events


async def _channel_names(
    session: AsyncSession, workspace_sid: str, value: str | None
) -> tuple[str, ...]:
    """`TaskChannel` may be a sid or a unique name; events may carry either form."""
    if value is None:
        return ()
    row = (
        await session.execute(
            select(t.TaskChannel.sid, t.TaskChannel.unique_name).where(
                t.TaskChannel.workspace_sid == workspace_sid,
                (t.TaskChannel.sid == value) | (t.TaskChannel.unique_name == value),
            )
        )
    ).first()
    return (value,) if row is None else (row.sid, row.unique_name)


def _filters(p: Params) -> EventFilters:
    return EventFilters(
        event_types=tuple(p.strings("EventType")),
        minutes=p.integer("Minutes", 1, MAX_MINUTES),
        start_date=p.datetime_ms("StartDate"),
        end_date=p.datetime_ms("EndDate"),
        reservation_sid=p.sid("ReservationSid", "WR"),
        task_queue_sid=p.sid("TaskQueueSid", "WQ"),
        task_sid=p.sid("TaskSid", "WT"),
        worker_sid=p.sid("WorkerSid", "WK"),
        workflow_sid=p.sid("WorkflowSid", "WW"),
        sid=p.sid("Sid", "EV"),
    )


@router.get("")
async def list_events(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    filters = _filters(ctx.params)
    async with ctx.reading(workspace_sid) as (session, workspace):
        channels = await _channel_names(session, workspace.sid, ctx.params.raw("TaskChannel"))
        query = events_query(workspace.sid, replace(filters, task_channels=channels), now_ms())
        page = await page_from_query(ctx, session, query)
    records = [ser.event(row, workspace, ctx.base) for row in page.records]
    return list_response(ctx, "events", page, records)


@router.get("/{sid:ev}")
async def fetch_event(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (session, workspace):
        event = await access_event(session, workspace, sid)
    return json_response(ser.event(event, workspace, ctx.base))
