"""Resources as the TaskRouter JavaScript SDK reads them from the event bridge.

The SDK (`twilio-taskrouter` v2) does not read the REST rendering: it reads the event
bridge's, where dates are epoch seconds, a reservation embeds its task, a task names
its queue as `queue_sid`/`queue_name`, and versions are numbers. Its descriptors refuse
a payload missing any of the fields below, so every one is always present.
"""

from __future__ import annotations

from typing import Any

from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
    Workspace,
)
from switchboard.kernel.criteria import COUNT, eq, isin
from switchboard.kernel.ports import Unit

JSON = dict[str, Any]
ASSIGNED = ("accepted", "wrapping")


def seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def _dates(row: Any) -> JSON:
    return {"date_created": seconds(row.date_created), "date_updated": seconds(row.date_updated)}


def activity(row: Activity, ws: Workspace) -> JSON:
    return {
        "account_sid": ws.account_sid,
        "available": row.available,
        **_dates(row),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": ws.sid,
    }


def task_queue(row: TaskQueue, ws: Workspace, activity_names: dict[str, str]) -> JSON:
    return {
        "account_sid": ws.account_sid,
        "assignment_activity_name": activity_names.get(row.assignment_activity_sid or ""),
        "assignment_activity_sid": row.assignment_activity_sid,
        **_dates(row),
        "friendly_name": row.friendly_name,
        "lifo_queue": row.task_order == "LIFO",
        "max_reserved_workers": row.max_reserved_workers,
        "reservation_activity_name": activity_names.get(row.reservation_activity_sid or ""),
        "reservation_activity_sid": row.reservation_activity_sid,
        "sid": row.sid,
        "target_workers": row.target_workers,
        "task_order": row.task_order,
        "workspace_sid": ws.sid,
    }


def worker(row: Worker, ws: Workspace, activity_name: str | None) -> JSON:
    return {
        "account_sid": ws.account_sid,
        "activity_name": activity_name,
        "activity_sid": row.activity_sid,
        "attributes": row.attributes,
        "available": row.available,
        **_dates(row),
        "date_status_changed": seconds(row.date_status_changed),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": ws.sid,
        "version": row.version,
    }


def worker_channel(row: WorkerChannel, ws: Workspace, unique_name: str | None, taken: int) -> JSON:
    free = 0 if row.capacity <= 0 else max(0, 100 * (row.capacity - taken) // row.capacity)
    return {
        "account_sid": ws.account_sid,
        "assigned_tasks": taken,
        "available": row.available,
        "available_capacity_percentage": free,
        "configured_capacity": row.capacity,
        **_dates(row),
        "last_reserved_time": row.last_reserved_at or None,  # milliseconds, as the SDK expects
        "sid": row.sid,
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": unique_name,
        "worker_sid": row.worker_sid,
        "workspace_sid": ws.sid,
    }


async def task(unit: Unit, row: Task, ws: Workspace, now: int) -> JSON:
    queue = await unit.get(TaskQueue, row.task_queue_sid) if row.task_queue_sid else None
    flow = await unit.get(Workflow, row.workflow_sid) if row.workflow_sid else None
    channel = await unit.get(TaskChannel, row.task_channel_sid)
    return {
        "account_sid": ws.account_sid,
        "addons": "{}",
        "age": max(0, (now - row.date_created) // 1000),
        "assignment_status": row.assignment_status,
        "attributes": row.attributes,
        **_dates(row),
        "priority": row.priority,
        "queue_name": queue.friendly_name if queue else None,
        "queue_sid": row.task_queue_sid,
        "reason": row.reason,
        "routing_target": row.routing_target,
        "sid": row.sid,
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": channel.unique_name if channel else None,
        "timeout": row.timeout,
        "workflow_name": flow.friendly_name if flow else None,
        "workflow_sid": row.workflow_sid,
        "workspace_sid": ws.sid,
        "version": row.version,
        "virtual_start_time": seconds(row.virtual_start_time),
    }


async def reservation(
    unit: Unit, row: Reservation, ws: Workspace, now: int, *, status: str | None = None
) -> JSON | None:
    """With its task embedded; `status` overrides the stored one (an event's own status)."""
    owned = await unit.get(Task, row.task_sid)
    if owned is None:
        return None
    timeout = None
    if row.status == "pending" and row.timeout_at is not None:
        timeout = max(0, (row.timeout_at - now) // 1000)
    return {
        "account_sid": ws.account_sid,
        **_dates(row),
        "reservation_status": status or row.status,
        "reservation_timeout": timeout,
        "sid": row.sid,
        "task": await task(unit, owned, ws, now),
        "task_sid": row.task_sid,
        "worker_sid": row.worker_sid,
        "workspace_sid": ws.sid,
        "version": row.version,
    }


async def worker_payload(unit: Unit, row: Worker, ws: Workspace) -> JSON:
    current = await unit.get(Activity, row.activity_sid)
    return worker(row, ws, current.friendly_name if current else None)


async def channel_payloads(unit: Unit, ws: Workspace, worker_sid: str) -> list[JSON]:
    rows = await unit.select(WorkerChannel, eq("worker_sid", worker_sid))
    names = {
        c.sid: c.unique_name
        for c in await unit.select(TaskChannel, isin("sid", [r.task_channel_sid for r in rows]))
    }
    counts = await unit.aggregate(
        Reservation,
        ("task_channel_sid",),
        eq("worker_sid", worker_sid),
        isin("status", ASSIGNED),
        n=COUNT,
    )
    taken = {c["task_channel_sid"]: int(c["n"]) for c in counts}
    return [
        worker_channel(r, ws, names.get(r.task_channel_sid), taken.get(r.task_channel_sid, 0))
        for r in rows
    ]
