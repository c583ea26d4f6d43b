"""`/v1/Workspaces/{ws}/Events[/{Sid}]`: the read-only audit log, oldest first."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.routes.common import (
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.distribution.domain.records import Event, TaskChannel
from switchboard.distribution.journal.queries import EventFilters, events_criteria
from switchboard.distribution.work.access import access_event
from switchboard.kernel.criteria import Query, any_of, asc, eq
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Events")
MAX_MINUTES = 43_200  # Twilio keeps 30 days of events


async def _channel_names(unit: Unit, workspace_sid: str, value: str | None) -> tuple[str, ...]:
    """`TaskChannel` may be a sid or a unique name; events may carry either form."""
    if value is None:
        return ()
    row = await unit.first(
        TaskChannel,
        eq("workspace_sid", workspace_sid),
        any_of(eq("sid", value), eq("unique_name", value)),
    )
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
    async with ctx.reading(workspace_sid) as (unit, workspace):
        channels = await _channel_names(unit, workspace.sid, ctx.params.raw("TaskChannel"))
        where = events_criteria(
            workspace.sid, replace(filters, task_channels=channels), ctx.svc.now()
        )
        page = await page_from_query(ctx, unit, Query(Event, tuple(where), (asc("seq"),)))
    records = [ser.event(row, workspace, ctx.base) for row in page.records]
    return list_response(ctx, "events", page, records)


@router.get("/{sid:ev}")
async def fetch_event(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        event = await access_event(unit, workspace, sid)
    return json_response(ser.event(event, workspace, ctx.base))
