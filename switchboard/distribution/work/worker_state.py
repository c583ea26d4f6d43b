"""Moving a worker between activities: availability, idle time and the activity event."""

from __future__ import annotations

from switchboard.distribution.domain.records import Activity, Worker, Workspace
from switchboard.distribution.journal.event_data import worker_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work.context import Services
from switchboard.kernel.ports import Unit


async def activity_name(unit: Unit, activity_sid: str | None) -> str | None:
    if activity_sid is None:
        return None
    activity = await unit.get(Activity, activity_sid)
    return activity.friendly_name if activity is not None else None


def set_activity(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    worker: Worker,
    activity: Activity,
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
    record(
        unit,
        svc,
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
