"""Workers: creation, activity and attribute changes, channels (capacity), deletion."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import Conflict, InvalidParameter
from switchboard.services import transitions as tr
from switchboard.services.access import (
    access_activity,
    access_worker,
    access_worker_channel,
    access_workspace,
)
from switchboard.services.context import Services
from switchboard.services.event_data import worker_fields
from switchboard.services.events import Subject, record
from switchboard.services.validation import attributes_text, check_if_match
from switchboard.services.worker_state import activity_name, set_activity
from switchboard.store import tables as t

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
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    worker: t.Worker,
    event_type: str,
    description: str,
    **extra: str | None,
) -> None:
    name = await activity_name(session, worker.activity_sid)
    await record(
        session,
        svc.bus,
        workspace,
        event_type,
        Subject("worker", worker.sid, worker_sid=worker.sid),
        description,
        {**worker_fields(worker, name), **extra},
    )


async def _check_name_free(
    session: AsyncSession, workspace: t.Workspace, name: str, own_sid: str | None = None
) -> None:
    """Worker names are unique per workspace, ignoring case (as in Twilio)."""
    query = select(t.Worker.sid).where(
        t.Worker.workspace_sid == workspace.sid, t.Worker.name_key == name.lower()
    )
    existing = await session.scalar(query)
    if existing is not None and existing != own_sid:
        raise Conflict(f"A Worker named '{name}' already exists in this Workspace")


async def create_worker(
    svc: Services, account_sid: str, workspace_sid: str, params: WorkerCreate
) -> t.Worker:
    attributes = attributes_text(params.attributes)
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        await _check_name_free(session, workspace, params.friendly_name)
        activity_sid = params.activity_sid or workspace.default_activity_sid
        if activity_sid is None:
            raise InvalidParameter("ActivitySid is required: the Workspace has no default Activity")
        activity = await access_activity(session, workspace, activity_sid)
        now = now_ms()
        worker = t.Worker(
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
        session.add(worker)
        await session.flush()
        await _add_channels(session, workspace, worker, now)
        await _worker_event(
            session,
            svc,
            workspace,
            worker,
            "worker.created",
            f"Worker {worker.friendly_name} created",
        )
        svc.poke_after_commit(session, workspace.sid)
        return worker


async def _add_channels(
    session: AsyncSession, workspace: t.Workspace, worker: t.Worker, now: int
) -> None:
    """One WorkerChannel per TaskChannel of the workspace, capacity 1."""
    channels = await session.execute(
        select(t.TaskChannel.sid).where(t.TaskChannel.workspace_sid == workspace.sid)
    )
    for (channel_sid,) in channels.all():
        session.add(
            t.WorkerChannel(
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
) -> t.Worker:
    attributes = attributes_text(params.attributes) if params.attributes is not None else None
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        worker = await access_worker(session, workspace, worker_sid)
        check_if_match(params.if_match, worker.version, worker.sid)
        now = now_ms()
        if params.friendly_name is not None and params.friendly_name != worker.friendly_name:
            await _check_name_free(session, workspace, params.friendly_name, worker.sid)
            worker.friendly_name = params.friendly_name
            worker.name_key = params.friendly_name.lower()
        if attributes is not None:
            worker.attributes = attributes
            await _worker_event(
                session,
                svc,
                workspace,
                worker,
                "worker.attributes.update",
                f"Worker {worker.friendly_name} attributes updated",
            )
        if params.activity_sid is not None:
            activity = await access_activity(session, workspace, params.activity_sid)
            await _change_activity(session, svc, workspace, worker, activity, params, now)
        worker.version += 1
        worker.date_updated = now
        svc.poke_after_commit(session, workspace.sid)
        return worker


async def _change_activity(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    worker: t.Worker,
    activity: t.Activity,
    params: WorkerUpdate,
    now: int,
) -> None:
    """Going unavailable with pending offers needs RejectPendingReservations=true."""
    pending = list(
        (
            await session.execute(
                select(t.Reservation).where(
                    t.Reservation.worker_sid == worker.sid, t.Reservation.status == "pending"
                )
            )
        ).scalars()
    )
    if pending and not activity.available:
        if not params.reject_pending_reservations:
            raise InvalidParameter(
                f"Worker {worker.sid} has {len(pending)} pending reservation(s); set "
                "RejectPendingReservations=true to reject them while moving to an unavailable "
                "Activity"
            )
        for reservation in pending:
            reservation.worker_previous_activity_sid = None
            await tr.reject(session, svc, workspace, reservation, None, now)
    await set_activity(session, svc, workspace, worker, activity, now)


async def delete_worker(
    svc: Services, account_sid: str, workspace_sid: str, worker_sid: str, if_match: str | None
) -> None:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        worker = await access_worker(session, workspace, worker_sid)
        check_if_match(if_match, worker.version, worker.sid)
        live = await session.scalar(
            select(func.count()).where(
                t.Reservation.worker_sid == worker.sid,
                t.Reservation.status.in_(tr.LIVE_RESERVATION),
            )
        )
        if live:
            raise InvalidParameter(
                f"Worker {worker.sid} still has {live} pending or assigned reservation(s)"
            )
        await _worker_event(
            session,
            svc,
            workspace,
            worker,
            "worker.deleted",
            f"Worker {worker.friendly_name} deleted",
        )
        await session.delete(worker)


async def update_worker_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    worker_sid: str,
    channel: str,
    *,
    capacity: int | None,
    available: bool | None,
) -> t.WorkerChannel:
    """`channel` is a WC sid, a TC sid or a TaskChannel unique name."""
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidParameter(f"Capacity must be between 0 and {MAX_CAPACITY}")
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        worker = await access_worker(session, workspace, worker_sid)
        row = await access_worker_channel(session, worker, channel)
        now = now_ms()
        if capacity is not None and capacity != row.capacity:
            previous, row.capacity = row.capacity, capacity
            await _worker_event(
                session,
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
                session,
                svc,
                workspace,
                worker,
                "worker.channel.availability.update",
                f"Worker {worker.friendly_name} channel availability updated",
                task_channel_sid=row.task_channel_sid,
                worker_channel_available=str(available).lower(),
            )
        row.date_updated = now
        svc.poke_after_commit(session, workspace.sid)
        return row
