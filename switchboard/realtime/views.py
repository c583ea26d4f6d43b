"""What a worker sees first on (re)connect: itself and its live reservations.

A disconnect never changes reservations, so a reconnecting worker finds its pending
offer here again. Attributes stay JSON text, as in Twilio's REST resources and events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain.clock import iso, now_ms
from switchboard.domain.errors import NotFound
from switchboard.services.context import Services
from switchboard.store import tables as t

SNAPSHOT_STATUSES = ("pending", "accepted", "wrapping")


async def worker_view(session: AsyncSession, worker: t.Worker) -> dict[str, Any]:
    activity = await session.get(t.Activity, worker.activity_sid)
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


def task_view(task: t.Task, channel_name: str | None) -> dict[str, Any]:
    return {
        "sid": task.sid,
        "attributes": task.attributes,
        "assignment_status": task.assignment_status,
        "priority": task.priority,
        "age": max(0, (now_ms() - task.date_created) // 1000),
        "task_queue_sid": task.task_queue_sid,
        "workflow_sid": task.workflow_sid,
        "task_channel_sid": task.task_channel_sid,
        "task_channel_unique_name": channel_name,
    }


def reservation_view(res: t.Reservation, task: t.Task, channel_name: str | None) -> dict[str, Any]:
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
        "task": task_view(task, channel_name),
    }


async def live_reservations(session: AsyncSession, worker_sid: str) -> list[dict[str, Any]]:
    query = (
        select(t.Reservation, t.Task, t.TaskChannel.unique_name)
        .join(t.Task, t.Task.sid == t.Reservation.task_sid)
        .outerjoin(t.TaskChannel, t.TaskChannel.sid == t.Task.task_channel_sid)
        .where(t.Reservation.worker_sid == worker_sid, t.Reservation.status.in_(SNAPSHOT_STATUSES))
        .order_by(t.Reservation.date_created, t.Reservation.sid)
    )
    rows = (await session.execute(query)).all()
    return [reservation_view(res, task, name) for res, task, name in rows]


async def snapshot(svc: Services, workspace_sid: str, worker_sid: str) -> dict[str, Any]:
    """`{"type": "snapshot", "worker": {...}, "reservations": [...]}`."""
    async with svc.store.read() as session:
        worker = await session.get(t.Worker, worker_sid)
        if worker is None or worker.workspace_sid != workspace_sid:
            raise NotFound(f"The requested resource /Workers/{worker_sid} was not found")
        return {
            "type": "snapshot",
            "worker": await worker_view(session, worker),
            "reservations": await live_reservations(session, worker_sid),
        }
