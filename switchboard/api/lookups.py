"""Batched name lookups for serializers: one query per table for a whole page, never per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.store import tables as t

# reservations in these states occupy a slot of the worker's channel
ASSIGNED_RESERVATION_STATUSES = ("accepted", "wrapping")


async def names(
    session: AsyncSession,
    key: InstrumentedAttribute[str],
    name: InstrumentedAttribute[str],
    sids: Iterable[str | None],
) -> dict[str, str]:
    """`{sid: name}` for the given sids (Nones and duplicates ignored)."""
    wanted = {sid for sid in sids if sid is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(key, name).where(key.in_(wanted)))
    return {row[0]: row[1] for row in rows}


async def activity_names(session: AsyncSession, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(session, t.Activity.sid, t.Activity.friendly_name, sids)


async def worker_names(session: AsyncSession, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(session, t.Worker.sid, t.Worker.friendly_name, sids)


async def channel_names(session: AsyncSession, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(session, t.TaskChannel.sid, t.TaskChannel.unique_name, sids)


@dataclass(frozen=True)
class TaskNames:
    """What a Task's JSON shows besides its own row."""

    queues: dict[str, str] = field(default_factory=dict)
    workflows: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)


async def task_names(session: AsyncSession, tasks: Sequence[t.Task]) -> TaskNames:
    return TaskNames(
        queues=await names(
            session, t.TaskQueue.sid, t.TaskQueue.friendly_name, (x.task_queue_sid for x in tasks)
        ),
        workflows=await names(
            session, t.Workflow.sid, t.Workflow.friendly_name, (x.workflow_sid for x in tasks)
        ),
        channels=await channel_names(session, (x.task_channel_sid for x in tasks)),
    )


async def assigned_counts(session: AsyncSession, worker_sid: str) -> dict[str, int]:
    """`{task_channel_sid: accepted or wrapping reservations}` for one worker."""
    rows = await session.execute(
        select(t.Reservation.task_channel_sid, func.count())
        .where(
            t.Reservation.worker_sid == worker_sid,
            t.Reservation.status.in_(ASSIGNED_RESERVATION_STATUSES),
        )
        .group_by(t.Reservation.task_channel_sid)
    )
    return {row[0]: row[1] for row in rows}
