"""Reservations, from their task (`/Tasks/{wt}/Reservations`) or worker (`/Workers/{wk}/..`)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.lookups import worker_names
from switchboard.distribution.api.routes.common import (
    JSON,
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.distribution.domain.records import Reservation, Workspace
from switchboard.distribution.work import reservations as service
from switchboard.distribution.work.access import access_reservation, access_task, access_worker
from switchboard.kernel.criteria import Criterion, Query, asc, eq, isin
from switchboard.kernel.errors import NotFound
from switchboard.kernel.ports import Unit
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}")
TASK_VIEW = "/Tasks/{task_sid:wt}/Reservations"
WORKER_VIEW = "/Workers/{worker_sid:wk}/Reservations"
RESERVATION_STATUSES = (
    "pending",
    "accepted",
    "rejected",
    "timeout",
    "canceled",
    "rescinded",
    "wrapping",
    "completed",
)
INSTRUCTIONS = ("accept", "reject", "conference", "dequeue", "call", "redirect", "supervise")
CORE_PARAMETERS = frozenset({"ReservationStatus", "WorkerActivitySid", "Instruction"})


async def _records(
    unit: Unit,
    ctx: Ctx,
    workspace: Workspace,
    rows: Sequence[Reservation],
    *,
    via_worker: bool,
) -> list[JSON]:
    names = await worker_names(unit, (row.worker_sid for row in rows))
    return [ser.reservation(row, workspace, ctx.base, names, via_worker=via_worker) for row in rows]


def _reservations_query(
    workspace_sid: str, task_sid: str | None, worker_sid: str | None, statuses: list[str]
) -> Query[Reservation]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    if task_sid is not None:
        where.append(eq("task_sid", task_sid))
    if worker_sid is not None:
        where.append(eq("worker_sid", worker_sid))
    if statuses:
        where.append(isin("status", statuses))
    return Query(Reservation, tuple(where), (asc("date_created"), asc("sid")))


async def _list(
    ctx: Ctx, workspace_sid: str, *, task_sid: str | None, worker_sid: str | None
) -> Response:
    """The task view may filter by `WorkerSid`; the worker view is already one worker's."""
    statuses = ctx.params.enums("ReservationStatus", RESERVATION_STATUSES)
    async with ctx.reading(workspace_sid) as (unit, workspace):
        if task_sid is not None:
            await access_task(unit, workspace, task_sid)
            worker_filter = ctx.params.sid("WorkerSid", "WK")
        else:
            worker_filter = (await access_worker(unit, workspace, worker_sid or "")).sid
        query = _reservations_query(workspace.sid, task_sid, worker_filter, statuses)
        page = await page_from_query(ctx, unit, query)
        records = await _records(unit, ctx, workspace, page.records, via_worker=task_sid is None)
    return list_response(ctx, "reservations", page, records)


async def _render(
    ctx: Ctx, workspace_sid: str, sid: str, *, task_sid: str | None, worker_sid: str | None
) -> Response:
    """One reservation; it must belong to the task or worker of the URL, else 404."""
    async with ctx.reading(workspace_sid, short=True) as (unit, workspace):
        reservation = await access_reservation(unit, workspace, sid)
        if task_sid not in (None, reservation.task_sid) or worker_sid not in (
            None,
            reservation.worker_sid,
        ):
            raise NotFound(f"The requested resource /Reservations/{sid} was not found")
        [record] = await _records(unit, ctx, workspace, [reservation], via_worker=task_sid is None)
    return json_response(record, version=reservation.version)


def _update_params(ctx: Ctx) -> service.ReservationUpdate:
    """The core parameters, validated; all others are the instruction's arguments."""
    p = ctx.params
    return service.ReservationUpdate(
        reservation_status=p.enum("ReservationStatus", RESERVATION_STATUSES),
        worker_activity_sid=p.sid("WorkerActivitySid", "WA"),
        instruction=p.enum("Instruction", INSTRUCTIONS),
        instruction_params={
            key: ",".join(p.values(key)) for key in p if key not in CORE_PARAMETERS
        },
        if_match=ctx.if_match,
    )


async def _update(
    ctx: Ctx, workspace_sid: str, sid: str, *, task_sid: str | None, worker_sid: str | None
) -> Response:
    """Rendered from what the update wrote (the service checked the URL's task or worker),
    not read back; the worker's name too, from the transaction (looked up only after a
    media instruction)."""
    params = _update_params(ctx)
    names: dict[str, str] = {}
    reservation = await service.update_reservation(
        ctx.svc,
        ctx.account_sid,
        workspace_sid,
        sid,
        params,
        task_sid=task_sid,
        worker_sid=worker_sid,
        names=names,
    )
    async with ctx.reading(workspace_sid) as (unit, workspace):
        if reservation.worker_sid not in names:
            names = await worker_names(unit, [reservation.worker_sid])
        via_worker = task_sid is None
        record = ser.reservation(reservation, workspace, ctx.base, names, via_worker=via_worker)
    return json_response(record, version=reservation.version)


@router.get(TASK_VIEW)
async def list_task_reservations(
    workspace_sid: str, task_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _list(ctx, workspace_sid, task_sid=task_sid, worker_sid=None)


@router.get(TASK_VIEW + "/{sid:wr}")
async def fetch_task_reservation(
    workspace_sid: str, task_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _render(ctx, workspace_sid, sid, task_sid=task_sid, worker_sid=None)


@router.post(TASK_VIEW + "/{sid:wr}")
async def update_task_reservation(
    workspace_sid: str, task_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _update(ctx, workspace_sid, sid, task_sid=task_sid, worker_sid=None)


@router.get(WORKER_VIEW)
async def list_worker_reservations(
    workspace_sid: str, worker_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _list(ctx, workspace_sid, task_sid=None, worker_sid=worker_sid)


@router.get(WORKER_VIEW + "/{sid:wr}")
async def fetch_worker_reservation(
    workspace_sid: str, worker_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _render(ctx, workspace_sid, sid, task_sid=None, worker_sid=worker_sid)


@router.post(WORKER_VIEW + "/{sid:wr}")
async def update_worker_reservation(
    workspace_sid: str, worker_sid: str, sid: str, ctx: Ctx = Depends(context)
) -> Response:
    return await _update(ctx, workspace_sid, sid, task_sid=None, worker_sid=worker_sid)
