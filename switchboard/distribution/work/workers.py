"""Workers: creation, activity and attribute changes, channels (capacity), deletion."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    TaskChannel,
    Worker,
    WorkerChannel,
    Workspace,
)
from switchboard.distribution.journal.event_data import worker_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work import transitions as tr
from switchboard.distribution.work.access import (
    access_worker,
    access_worker_channel,
    access_workspace,
    activity_param,
)
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.validation import attributes_text, check_if_match
from switchboard.distribution.work.worker_state import activity_name, set_activity
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.errors import Conflict, InvalidParameter
from switchboard.kernel.ports import Unit

MAX_CAPACITY = 50


@dataclass(frozen=True)
class WorkerCreate:
    friendly_name: str
    activity_sid: str | None = None
    attributes: str | None = None


@dataclass(frozen=True)
class WorkerUpdate:
    friendly_name: str | None = None
    activity_sid: str | None = None
    attributes: str | None = None
    reject_pending_reservations: bool = False
    if_match: str | None = None


async def _worker_event(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    worker: Worker,
    event_type: str,
    description: str,
    **extra: str | None,
) -> None:
    name = await activity_name(unit, worker.activity_sid)
    record(
        unit,
        svc,
        workspace,
        event_type,
        Subject("worker", worker.sid, worker_sid=worker.sid),
        description,
        {**worker_fields(worker, name), **extra},
    )


async def _check_name_free(
    unit: Unit, workspace: Workspace, name: str, own_sid: str | None = None
) -> None:
    """Worker names are unique per workspace, ignoring case (as in Twilio)."""
    existing = await unit.values(
        Worker, "sid", eq("workspace_sid", workspace.sid), eq("name_key", name.lower())
    )
    if any(sid != own_sid for sid in existing):
        raise Conflict(f"A Worker named '{name}' already exists in this Workspace")


async def create_worker(
    svc: Services, account_sid: str, workspace_sid: str, params: WorkerCreate
) -> Worker:
    attributes = attributes_text(params.attributes)
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        await _check_name_free(unit, workspace, params.friendly_name)
        activity_sid = params.activity_sid or workspace.default_activity_sid
        if activity_sid is None:
            raise InvalidParameter("ActivitySid is required: the Workspace has no default Activity")
        activity = await activity_param(unit, workspace, activity_sid, "ActivitySid")
        now = svc.now()
        worker = Worker(
            sid=sids.new_sid(sids.WORKER),
            workspace_sid=workspace.sid,
            friendly_name=params.friendly_name,
            name_key=params.friendly_name.lower(),
            attributes=attributes,
            activity_sid=activity.sid,
            available=activity.available,
            idle_since=now,
            date_status_changed=now,
            version=0,
            date_created=now,
            date_updated=now,
        )
        unit.add(worker)
        await _add_channels(unit, workspace, worker, now)
        await _worker_event(
            unit, svc, workspace, worker, "worker.created", f"Worker {worker.friendly_name} created"
        )
        return worker


async def _add_channels(unit: Unit, workspace: Workspace, worker: Worker, now: int) -> None:
    """One WorkerChannel per TaskChannel of the workspace, capacity 1."""
    for channel_sid in await unit.values(TaskChannel, "sid", eq("workspace_sid", workspace.sid)):
        unit.add(
            WorkerChannel(
                sid=sids.new_sid(sids.WORKER_CHANNEL),
                workspace_sid=workspace.sid,
                worker_sid=worker.sid,
                task_channel_sid=channel_sid,
                capacity=1,
                available=True,
                last_reserved_at=0,
                date_created=now,
                date_updated=now,
            )
        )


async def update_worker(
    svc: Services, account_sid: str, workspace_sid: str, worker_sid: str, params: WorkerUpdate
) -> Worker:
    attributes = attributes_text(params.attributes) if params.attributes is not None else None
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        worker = await access_worker(unit, workspace, worker_sid)
        check_if_match(params.if_match, worker.version, worker.sid)
        now = svc.now()
        if params.friendly_name is not None and params.friendly_name != worker.friendly_name:
            await _check_name_free(unit, workspace, params.friendly_name, worker.sid)
            worker.friendly_name = params.friendly_name
            worker.name_key = params.friendly_name.lower()
        if attributes is not None:
            worker.attributes = attributes
            await _worker_event(
                unit,
                svc,
                workspace,
                worker,
                "worker.attributes.update",
                f"Worker {worker.friendly_name} attributes updated",
            )
        if params.activity_sid is not None:
            activity = await activity_param(unit, workspace, params.activity_sid, "ActivitySid")
            await _change_activity(unit, svc, workspace, worker, activity, params, now)
        worker.version += 1
        worker.date_updated = now
        return worker


async def _change_activity(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    worker: Worker,
    activity: Activity,
    params: WorkerUpdate,
    now: int,
) -> None:
    """Going unavailable with pending offers needs RejectPendingReservations=true."""
    pending = await unit.select(Reservation, eq("worker_sid", worker.sid), eq("status", "pending"))
    if pending and not activity.available:
        if not params.reject_pending_reservations:
            raise InvalidParameter(
                f"Worker {worker.sid} has {len(pending)} pending reservation(s); set "
                "RejectPendingReservations=true to reject them while moving to an unavailable "
                "Activity"
            )
        for reservation in pending:
            reservation.worker_previous_activity_sid = None
            await tr.reject(unit, svc, workspace, reservation, None, now)
    set_activity(unit, svc, workspace, worker, activity, now)


async def delete_worker(
    svc: Services, account_sid: str, workspace_sid: str, worker_sid: str, if_match: str | None
) -> None:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        worker = await access_worker(unit, workspace, worker_sid)
        check_if_match(if_match, worker.version, worker.sid)
        live = await unit.count(
            Reservation, eq("worker_sid", worker.sid), isin("status", tr.LIVE_RESERVATION)
        )
        if live:
            raise InvalidParameter(
                f"Worker {worker.sid} still has {live} pending or assigned reservation(s): "
                "reject or complete them first (or move the worker to an unavailable "
                "Activity with RejectPendingReservations=true), then delete it"
            )
        await _worker_event(
            unit, svc, workspace, worker, "worker.deleted", f"Worker {worker.friendly_name} deleted"
        )
        await unit.delete(worker)


async def update_worker_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    worker_sid: str,
    channel: str,
    *,
    capacity: int | None,
    available: bool | None,
) -> WorkerChannel:
    """`channel` is a WC sid, a TC sid or a TaskChannel unique name."""
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidParameter(f"Capacity must be between 0 and {MAX_CAPACITY}")
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        worker = await access_worker(unit, workspace, worker_sid)
        row = await access_worker_channel(unit, worker, channel)
        now = svc.now()
        if capacity is not None and capacity != row.capacity:
            previous, row.capacity = row.capacity, capacity
            await _worker_event(
                unit,
                svc,
                workspace,
                worker,
                "worker.capacity.update",
                f"Worker {worker.friendly_name} capacity updated",
                task_channel_sid=row.task_channel_sid,
                worker_channel_capacity=str(capacity),
                worker_channel_previous_capacity=str(previous),
            )
        if available is not None and available != row.available:
            row.available = available
            await _worker_event(
                unit,
                svc,
                workspace,
                worker,
                "worker.channel.availability.update",
                f"Worker {worker.friendly_name} channel availability updated",
                task_channel_sid=row.task_channel_sid,
                worker_channel_available=str(available).lower(),
            )
        row.date_updated = now
        return row
