"""Statistics of the workspace, its TaskQueues, Workflows and Workers (read-only).

Paths such as `/TaskQueues/Statistics` and `/Workers/Statistics` sit beside the
item routes `/TaskQueues/{Sid}` and `/Workers/{Sid}`; those only match typed
sids, and this router is mounted first anyway, so the literals always win.
The figures come from :mod:`switchboard.distribution.stats.figures`; this module
reads the parameters and adds the identity fields and URLs of each schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Response

from switchboard.distribution.api.routes.common import (
    Ctx,
    context,
    json_response,
    list_response,
    page_from_query,
)
from switchboard.distribution.api.serializers import Urls
from switchboard.distribution.config.task_queues import task_queues_query
from switchboard.distribution.domain.records import Workspace
from switchboard.distribution.domain.statistics import MAX_MINUTES, parse_thresholds, resolve_window
from switchboard.distribution.stats import figures as service
from switchboard.distribution.stats.realtime import WorkerPool, load_pool
from switchboard.distribution.work.access import access_task_queue, access_worker, access_workflow
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit
from switchboard.kernel.sids import is_sid
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}")
JSON = dict[str, Any]
MAX_BULK_QUEUES = 50


@dataclass(frozen=True)
class _Read:
    """One statistics request: its unit, workspace, parsed parameters and instant."""

    ctx: Ctx
    unit: Unit
    workspace: Workspace
    request: service.StatisticsRequest
    now: int

    @property
    def channel(self) -> str | None:
        return self.request.channel_sid

    def identity(self, *path: str, **sids: str) -> JSON:
        """`account_sid`, `workspace_sid`, the resource's own sid and its absolute `url`."""
        return {
            "account_sid": self.workspace.account_sid,
            "workspace_sid": self.workspace.sid,
            **sids,
            "url": Urls(self.ctx.base, self.workspace.sid).at(*path),
        }

    async def pool(self) -> WorkerPool:
        return await load_pool(self.unit, self.workspace, self.now)


@asynccontextmanager
async def _reading(ctx: Ctx, workspace_sid: str) -> AsyncIterator[_Read]:
    """Validate `Minutes`, `StartDate`, `EndDate`, `SplitByWaitTime`, `TaskChannel`, then read."""
    p, now = ctx.params, ctx.svc.now()
    window = resolve_window(
        p.integer("Minutes", 1, MAX_MINUTES),
        p.datetime_ms("StartDate"),
        p.datetime_ms("EndDate"),
        now,
    )
    thresholds = parse_thresholds(p.raw("SplitByWaitTime"))
    async with ctx.reading(workspace_sid) as (unit, workspace):
        channel = await service.resolve_channel(unit, workspace, p.raw("TaskChannel"))
        request = service.StatisticsRequest(window, channel, thresholds)
        yield _Read(ctx, unit, workspace, request, now)


# --- workspace ---------------------------------------------------------------------------


@router.get("/Statistics")
async def workspace_statistics(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        cumulative = await service.workspace_cumulative(r.ctx.svc, r.unit, r.workspace, r.request)
        pool = await r.pool()
        realtime = await service.workspace_realtime(
            r.ctx.svc, r.unit, r.workspace, pool, r.channel, r.now
        )
    body = {**r.identity("Statistics"), "cumulative": cumulative, "realtime": realtime}
    return json_response(body)


@router.get("/CumulativeStatistics")
async def workspace_cumulative(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        figures = await service.workspace_cumulative(r.ctx.svc, r.unit, r.workspace, r.request)
    return json_response({**r.identity("CumulativeStatistics"), **figures})


@router.get("/RealTimeStatistics")
async def workspace_realtime(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        pool = await r.pool()
        figures = await service.workspace_realtime(
            r.ctx.svc, r.unit, r.workspace, pool, r.channel, r.now
        )
    return json_response({**r.identity("RealTimeStatistics"), **figures})


# --- task queues -------------------------------------------------------------------------


@router.get("/TaskQueues/Statistics")
async def list_task_queue_statistics(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    """One page of queues (optionally by `FriendlyName`), each with both kinds of figures."""
    async with _reading(ctx, workspace_sid) as r:
        query = task_queues_query(r.workspace.sid, ctx.params.string("FriendlyName"))
        page = await page_from_query(ctx, r.unit, query)
        sids = [q.sid for q in page.records]
        cumulative = await service.queues_cumulative(
            r.ctx.svc, r.unit, r.workspace, sids, r.request
        )
        pool = await r.pool()
        realtime = await service.queues_realtime(
            r.ctx.svc, r.unit, r.workspace, page.records, pool, r.channel, r.now
        )
    records = [
        {
            "account_sid": r.workspace.account_sid,
            "cumulative": cumulative[sid],
            "realtime": realtime[sid],
            "task_queue_sid": sid,
            "workspace_sid": r.workspace.sid,
        }
        for sid in sids
    ]
    return list_response(ctx, "task_queues_statistics", page, records)


def _queue_sids(p: Params) -> list[str]:
    """`QueueSids` (or `queueSids`, as the docs' example spells it): 1 to 50 queue sids."""
    sids = list(dict.fromkeys([*p.strings("QueueSids"), *p.strings("queueSids")]))
    if not 1 <= len(sids) <= MAX_BULK_QUEUES:
        raise InvalidParameter(
            f"Invalid QueueSids: send between 1 and {MAX_BULK_QUEUES} TaskQueue sids, "
            f"not {len(sids)}"
        )
    for sid in sids:
        if not is_sid(sid, "WQ"):
            raise InvalidParameter(f"Invalid QueueSids: {sid!r} is not a TaskQueue sid")
    return sids


@router.post("/TaskQueues/RealTimeStatistics")
async def bulk_task_queue_realtime(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    sids = _queue_sids(ctx.params)
    async with _reading(ctx, workspace_sid) as r:
        pool = await r.pool()
        items = await service.bulk_realtime(r.ctx.svc, r.unit, r.workspace, sids, pool, r.now)
    body = {
        **r.identity("TaskQueues", "RealTimeStatistics"),
        "task_queue_data": items,
        "task_queue_response_count": len(items),
    }
    return json_response(body)


@router.get("/TaskQueues/{task_queue_sid:wq}/Statistics")
async def task_queue_statistics(
    workspace_sid: str, task_queue_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        queue = await access_task_queue(r.unit, r.workspace, task_queue_sid)
        cumulative = await service.queues_cumulative(
            r.ctx.svc, r.unit, r.workspace, [queue.sid], r.request
        )
        pool = await r.pool()
        realtime = await service.queues_realtime(
            r.ctx.svc, r.unit, r.workspace, [queue], pool, r.channel, r.now
        )
    identity = r.identity("TaskQueues", queue.sid, "Statistics", task_queue_sid=queue.sid)
    body = {**identity, "cumulative": cumulative[queue.sid], "realtime": realtime[queue.sid]}
    return json_response(body)


@router.get("/TaskQueues/{task_queue_sid:wq}/CumulativeStatistics")
async def task_queue_cumulative(
    workspace_sid: str, task_queue_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        queue = await access_task_queue(r.unit, r.workspace, task_queue_sid)
        found = await service.queues_cumulative(
            r.ctx.svc, r.unit, r.workspace, [queue.sid], r.request
        )
    path = ("TaskQueues", queue.sid, "CumulativeStatistics")
    return json_response({**r.identity(*path, task_queue_sid=queue.sid), **found[queue.sid]})


@router.get("/TaskQueues/{task_queue_sid:wq}/RealTimeStatistics")
async def task_queue_realtime(
    workspace_sid: str, task_queue_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        queue = await access_task_queue(r.unit, r.workspace, task_queue_sid)
        pool = await r.pool()
        found = await service.queues_realtime(
            r.ctx.svc, r.unit, r.workspace, [queue], pool, r.channel, r.now
        )
    path = ("TaskQueues", queue.sid, "RealTimeStatistics")
    return json_response({**r.identity(*path, task_queue_sid=queue.sid), **found[queue.sid]})


# --- workflows ---------------------------------------------------------------------------


@router.get("/Workflows/{workflow_sid:ww}/Statistics")
async def workflow_statistics(
    workspace_sid: str, workflow_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        workflow = await access_workflow(r.unit, r.workspace, workflow_sid)
        cumulative = await service.workflow_cumulative(
            r.ctx.svc, r.unit, r.workspace, workflow.sid, r.request
        )
        realtime = await service.workflow_realtime(
            r.ctx.svc, r.unit, r.workspace, workflow.sid, r.channel, r.now
        )
    identity = r.identity("Workflows", workflow.sid, "Statistics", workflow_sid=workflow.sid)
    return json_response({**identity, "cumulative": cumulative, "realtime": realtime})


@router.get("/Workflows/{workflow_sid:ww}/CumulativeStatistics")
async def workflow_cumulative(
    workspace_sid: str, workflow_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        workflow = await access_workflow(r.unit, r.workspace, workflow_sid)
        figures = await service.workflow_cumulative(
            r.ctx.svc, r.unit, r.workspace, workflow.sid, r.request
        )
    path = ("Workflows", workflow.sid, "CumulativeStatistics")
    return json_response({**r.identity(*path, workflow_sid=workflow.sid), **figures})


@router.get("/Workflows/{workflow_sid:ww}/RealTimeStatistics")
async def workflow_realtime(
    workspace_sid: str, workflow_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        workflow = await access_workflow(r.unit, r.workspace, workflow_sid)
        figures = await service.workflow_realtime(
            r.ctx.svc, r.unit, r.workspace, workflow.sid, r.channel, r.now
        )
    path = ("Workflows", workflow.sid, "RealTimeStatistics")
    return json_response({**r.identity(*path, workflow_sid=workflow.sid), **figures})


# --- workers -----------------------------------------------------------------------------


def _selection(p: Params) -> service.WorkerSelection:
    return service.WorkerSelection(
        task_queue_sid=p.sid("TaskQueueSid", "WQ"),
        task_queue_name=p.raw("TaskQueueName"),
        friendly_name=p.raw("FriendlyName"),
    )


async def _selected(r: _Read) -> tuple[WorkerPool, WorkerPool | None]:
    """The whole pool, and the selected workers (None: no filter, every worker counts)."""
    pool = await r.pool()
    selection = _selection(r.ctx.params)
    if not selection:
        return pool, None
    return pool, await service.select_workers(r.unit, r.workspace, pool, selection)


async def _workers_cumulative(r: _Read, pool: WorkerPool, selected: WorkerPool | None) -> JSON:
    return await service.workers_cumulative_figures(
        r.ctx.svc, r.unit, r.workspace, r.request, selected, r.now, pool.activities
    )


@router.get("/Workers/Statistics")
async def workers_statistics(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        pool, selected = await _selected(r)
        cumulative = await _workers_cumulative(r, pool, selected)
    realtime = service.workers_realtime(selected or pool, r.channel)
    body = {**r.identity("Workers", "Statistics"), "cumulative": cumulative, "realtime": realtime}
    return json_response(body)


@router.get("/Workers/CumulativeStatistics")
async def workers_cumulative(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        pool, selected = await _selected(r)
        figures = await _workers_cumulative(r, pool, selected)
    return json_response({**r.identity("Workers", "CumulativeStatistics"), **figures})


@router.get("/Workers/RealTimeStatistics")
async def workers_realtime(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        pool, selected = await _selected(r)
    figures = service.workers_realtime(selected or pool, r.channel)
    return json_response({**r.identity("Workers", "RealTimeStatistics"), **figures})


@router.get("/Workers/{worker_sid:wk}/Statistics")
async def worker_statistics(
    workspace_sid: str, worker_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    async with _reading(ctx, workspace_sid) as r:
        worker = await access_worker(r.unit, r.workspace, worker_sid)
        pool = await r.pool()
        one = pool.with_workers([w for w in pool.workers if w.sid == worker.sid])
        cumulative = await _workers_cumulative(r, pool, one)
    identity = r.identity("Workers", worker.sid, "Statistics", worker_sid=worker.sid)
    return json_response({**identity, "cumulative": cumulative})
