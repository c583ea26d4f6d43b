"""Moving a worker between activities: availability, idle time and the activity event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.services.context import Services
from switchboard.services.event_data import worker_fields
from switchboard.services.events import Subject, record
from switchboard.store import tables as t


async def activity_name(session: AsyncSession, activity_sid: str | None) -> str | None:
    if activity_sid is None:
        return None
    activity = await session.get(t.Activity, activity_sid)
    return activity.friendly_name if activity is not None else None


async def set_activity(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    worker: t.Worker,
    activity: t.Activity,
    now: int,
    *,
    description: str | None = None,
) -> None:
    """Change the worker's activity; becoming available restarts its idle time."""
    if worker.activity_sid == activity.sid:
        return
    previous_sid, previous_since = worker.activity_sid, worker.date_status_changed
    if activity.available and not worker.available:
        worker.idle_since = now
    worker.activity_sid = activity.sid
    worker.available = activity.available
    worker.date_status_changed = now
    worker.date_updated = now
    worker.version += 1
    in_previous = max(0, now - previous_since)
    await record(
        session,
        svc.bus,
        workspace,
        "worker.activity.update",
        Subject("worker", worker.sid, worker_sid=worker.sid),
        description
        or f"Worker {worker.friendly_name} updated to {activity.friendly_name} Activity",
        {
            **worker_fields(worker, activity.friendly_name),
            "worker_previous_activity_sid": previous_sid,
            "worker_time_in_previous_activity": str(in_previous // 1000),
            "worker_time_in_previous_activity_ms": str(in_previous),
        },
    )
    svc.poke_after_commit(session, workspace.sid)
