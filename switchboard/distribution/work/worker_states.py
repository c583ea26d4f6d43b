"""The workspace's workers as the matching engine sees them: attributes, activity, channels.

Shared by the routing pass and the real-time statistics, so both see the same
capacity (reservations that are pending, accepted or wrapping use a slot).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain.lifecycle import LIVE_RESERVATION_STATUSES
from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Worker,
    WorkerChannel,
    Workspace,
)
from switchboard.kernel import limits
from switchboard.kernel.criteria import COUNT, Criterion, counted, eq, ge, isin, total
from switchboard.kernel.ports import Unit


def json_object(text: str | None) -> dict[str, Any]:
    """Stored attributes; a row that is not a bounded JSON object reads as `{}`."""
    return limits.stored_object(text)


async def channel_usage(
    unit: Unit, workspace_sid: str, only: Collection[str] | None = None
) -> dict[tuple[str, str], int]:
    """Slots in use per (worker, task channel), of every worker or of the `only` ones."""
    rows = await unit.aggregate(
        Reservation,
        ("worker_sid", "task_channel_sid"),
        eq("workspace_sid", workspace_sid),
        isin("status", LIVE_RESERVATION_STATUSES),
        *_only(only),
        n=COUNT,
    )
    return {(row["worker_sid"], row["task_channel_sid"]): int(row["n"]) for row in rows}


def _only(sids: Collection[str] | None) -> list[Criterion]:
    return [] if sids is None else [isin("worker_sid", sorted(sids))]


DAY_MS = 86_400_000


@dataclass(frozen=True)
class Today:
    """One worker's work today (UTC): what the queue strategies compare."""

    handled: int = 0
    talk_ms: int = 0
    average_handling_ms: float | None = None


async def work_today(
    unit: Unit, workspace_sid: str, now: int, only: Collection[str] | None = None
) -> dict[str, Today]:
    """Tasks accepted today, their talk time, and the average handling time of those
    completed, per worker (of every worker, or of the `only` ones)."""
    rows = await unit.aggregate(
        Reservation,
        ("worker_sid",),
        eq("workspace_sid", workspace_sid),
        ge("accepted_at", now - now % DAY_MS),
        *_only(only),
        handled=COUNT,
        talk=total("talk_ms"),
        handling=total("handling_ms"),
        done=counted("handling_ms"),
    )
    return {
        row["worker_sid"]: Today(
            int(row["handled"]),
            int(row["talk"] or 0),
            int(row["handling"]) / int(row["done"]) if row["done"] else None,
        )
        for row in rows
    }


async def load_workers(
    unit: Unit,
    workspace: Workspace,
    activities: dict[str, Activity],
    only: Collection[str] | None = None,
    now: int | None = None,
) -> tuple[list[m.WorkerState], dict[str, Worker]]:
    """Every worker of the workspace as the engine sees it, or just the `only` ones;
    with `now`, also their work today (for the queue strategies)."""
    mine = eq("workspace_sid", workspace.sid)
    picked = [] if only is None else [isin("sid", sorted(only))]
    rows = await unit.select(Worker, mine, *picked)
    channels: dict[str, dict[str, m.ChannelState]] = defaultdict(dict)
    usage = await channel_usage(unit, workspace.sid, only)
    for channel in await unit.select(WorkerChannel, mine, *_only(only)):
        channels[channel.worker_sid][channel.task_channel_sid] = m.ChannelState(
            capacity=channel.capacity,
            available=channel.available,
            in_use=usage.get((channel.worker_sid, channel.task_channel_sid), 0),
            last_reserved_at=channel.last_reserved_at,
        )
    today = {} if now is None else await work_today(unit, workspace.sid, now, only)
    states = [
        worker_state(row, workspace, activities, channels[row.sid], today.get(row.sid, NOTHING))
        for row in rows
    ]
    return states, {row.sid: row for row in rows}


def worker_state(
    row: Worker,
    workspace: Workspace,
    activities: dict[str, Activity],
    channels: dict[str, m.ChannelState],
    work: Today | None = None,
) -> m.WorkerState:
    """A worker as the engine sees it, from its row, its channels and its work today."""
    activity = activities.get(row.activity_sid)
    work = work or NOTHING
    return m.WorkerState(
        sid=row.sid,
        friendly_name=row.friendly_name,
        attributes=json_object(row.attributes),
        activity_sid=row.activity_sid,
        activity_name=activity.friendly_name if activity else "",
        available=row.available,
        idle_since=row.idle_since,
        channels=channels,
        single_task=not workspace.multi_task_enabled,
        rank=(row.date_created, row.sid),
        handled_today=work.handled,
        talk_ms_today=work.talk_ms,
        average_handling_ms=work.average_handling_ms,
    )


NOTHING = Today()
