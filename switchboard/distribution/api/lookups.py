"""Batched name lookups for serializers: one query per kind for a whole page, never per record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    Workflow,
)
from switchboard.kernel.criteria import COUNT, eq, isin
from switchboard.kernel.ports import Unit

# configuration kinds looked up one by one (the store keeps copies), up to this many
CONFIGURATION = frozenset({Activity, TaskChannel, TaskQueue, Workflow})
FEW = 20
# reservations in these states occupy a slot of the worker's channel
ASSIGNED_RESERVATION_STATUSES = ("accepted", "wrapping")


async def names(
    unit: Unit, kind: type[Any], name: str, sids: Iterable[str | None]
) -> dict[str, str]:
    """`{sid: name}` for the given sids (Nones and duplicates ignored)."""
    wanted = sorted({sid for sid in sids if sid is not None})
    if not wanted:
        return {}
    if kind in CONFIGURATION and len(wanted) <= FEW:
        # one by key: configuration records are copies the store keeps (no query)
        found = [await unit.get(kind, sid) for sid in wanted]
        return {row.sid: getattr(row, name) for row in found if row is not None}
    return {row.sid: getattr(row, name) for row in await unit.select(kind, isin("sid", wanted))}


async def activity_names(unit: Unit, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(unit, Activity, "friendly_name", sids)


async def worker_names(unit: Unit, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(unit, Worker, "friendly_name", sids)


async def channel_names(unit: Unit, sids: Iterable[str | None]) -> dict[str, str]:
    return await names(unit, TaskChannel, "unique_name", sids)


@dataclass(frozen=True)
class TaskNames:
    """What a Task's JSON shows besides its own record."""

    queues: dict[str, str] = field(default_factory=dict)
    workflows: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)


async def task_names(unit: Unit, tasks: Sequence[Task]) -> TaskNames:
    return TaskNames(
        queues=await names(unit, TaskQueue, "friendly_name", (x.task_queue_sid for x in tasks)),
        workflows=await names(unit, Workflow, "friendly_name", (x.workflow_sid for x in tasks)),
        channels=await channel_names(unit, (x.task_channel_sid for x in tasks)),
    )


async def assigned_counts(unit: Unit, worker_sid: str) -> dict[str, int]:
    """`{task_channel_sid: accepted or wrapping reservations}` for one worker."""
    rows = await unit.aggregate(
        Reservation,
        ("task_channel_sid",),
        eq("worker_sid", worker_sid),
        isin("status", ASSIGNED_RESERVATION_STATUSES),
        n=COUNT,
    )
    return {row["task_channel_sid"]: int(row["n"]) for row in rows}
