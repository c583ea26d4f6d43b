"""What a worker sees first on (re)connect: itself and its live reservations.

A disconnect never changes reservations, so a reconnecting worker finds its pending
offer here again. Attributes stay JSON text, as in Twilio's REST resources and events.
"""

from __future__ import annotations

from typing import Any

from switchboard.distribution.domain.records import Activity, Reservation, Task, TaskChannel, Worker
from switchboard.distribution.work.context import Services
from switchboard.kernel.clock import iso
from switchboard.kernel.criteria import asc, eq, isin
from switchboard.kernel.errors import NotFound
from switchboard.kernel.ports import Unit

SNAPSHOT_STATUSES = ("pending", "accepted", "wrapping")


async def worker_view(unit: Unit, worker: Worker) -> dict[str, Any]:
    activity = await unit.get(Activity, worker.activity_sid)
    return {
        "sid": worker.sid,
        "workspace_sid": worker.workspace_sid,
        "friendly_name": worker.friendly_name,
        "attributes": worker.attributes,
        "activity_sid": worker.activity_sid,
        "activity_name": activity.friendly_name if activity else None,
        "available": worker.available,
        "version": worker.version,
        "date_status_changed": iso(worker.date_status_changed),
    }


def task_view(task: Task, channel_name: str | None, now: int) -> dict[str, Any]:
    return {
        "sid": task.sid,
        "attributes": task.attributes,
        "assignment_status": task.assignment_status,
        "priority": task.priority,
        "age": max(0, (now - task.date_created) // 1000),
        "task_queue_sid": task.task_queue_sid,
        "workflow_sid": task.workflow_sid,
        "task_channel_sid": task.task_channel_sid,
        "task_channel_unique_name": channel_name,
    }


def reservation_view(
    res: Reservation, task: Task, channel_name: str | None, now: int
) -> dict[str, Any]:
    return {
        "sid": res.sid,
        "reservation_status": res.status,
        "task_sid": res.task_sid,
        "worker_sid": res.worker_sid,
        "task_queue_sid": res.task_queue_sid,
        "workflow_sid": res.workflow_sid,
        "timeout_date": iso(res.timeout_at) if res.status == "pending" else None,
        "date_created": iso(res.date_created),
        "date_updated": iso(res.date_updated),
        "task": task_view(task, channel_name, now),
    }


async def live_reservations(unit: Unit, worker_sid: str, now: int) -> list[dict[str, Any]]:
    offers = await unit.select(
        Reservation,
        eq("worker_sid", worker_sid),
        isin("status", SNAPSHOT_STATUSES),
        order=[asc("date_created"), asc("sid")],
    )
    tasks = {t.sid: t for t in await unit.select(Task, isin("sid", [r.task_sid for r in offers]))}
    channels = await unit.select(
        TaskChannel, isin("sid", sorted({t.task_channel_sid for t in tasks.values()}))
    )
    names = {c.sid: c.unique_name for c in channels}
    return [
        reservation_view(
            res, tasks[res.task_sid], names.get(tasks[res.task_sid].task_channel_sid), now
        )
        for res in offers
        if res.task_sid in tasks
    ]


async def snapshot(svc: Services, workspace_sid: str, worker_sid: str) -> dict[str, Any]:
    """`{"type": "snapshot", "worker": {...}, "reservations": [...]}`."""
    async with svc.store.read(short=True) as unit:  # one worker and its few offers
        worker = await unit.get(Worker, worker_sid)
        if worker is None or worker.workspace_sid != workspace_sid:
            raise NotFound(f"The requested resource /Workers/{worker_sid} was not found")
        return {
            "type": "snapshot",
            "worker": await worker_view(unit, worker),
            "reservations": await live_reservations(unit, worker_sid, svc.now()),
        }
