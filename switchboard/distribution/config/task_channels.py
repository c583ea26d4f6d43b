"""TaskChannels: the kinds of work (voice, chat, ...); every worker has a channel for each."""

from __future__ import annotations

from switchboard.distribution.config.support import OPEN_TASK_STATUSES, record_change, refuse_if_any
from switchboard.distribution.domain.records import (
    Task,
    TaskChannel,
    Worker,
    WorkerChannel,
    Workspace,
)
from switchboard.distribution.journal.events import Subject
from switchboard.distribution.work.access import access_task_channel, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq, isin
from switchboard.kernel.ports import Unit


def task_channels_query(workspace_sid: str) -> Query[TaskChannel]:
    return Query(
        TaskChannel, (eq("workspace_sid", workspace_sid),), (asc("date_created"), asc("sid"))
    )


def _record(
    unit: Unit, svc: Services, workspace: Workspace, channel: TaskChannel, kind: str
) -> None:
    data = {
        "task_channel_sid": channel.sid,
        "task_channel_name": channel.friendly_name,
        "task_channel_unique_name": channel.unique_name,
        "task_channel_optimized_routing": str(bool(channel.channel_optimized_routing)).lower(),
    }
    subject = Subject("task_channel", channel.sid, task_channel=channel.unique_name)
    record_change(unit, svc, workspace, f"task-channel.{kind}", subject, data)


async def create_task_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    friendly_name: str,
    unique_name: str,
    channel_optimized_routing: bool | None,
) -> TaskChannel:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        await refuse_if_any(
            unit,
            TaskChannel,
            [eq("workspace_sid", workspace.sid), eq("unique_name", unique_name)],
            f"Invalid UniqueName: a TaskChannel named {unique_name!r} already exists",
        )
        now = svc.now()
        channel = TaskChannel(
            sid=sids.new_sid(sids.TASK_CHANNEL),
            workspace_sid=workspace.sid,
            friendly_name=friendly_name,
            unique_name=unique_name,
            channel_optimized_routing=bool(channel_optimized_routing),
            date_created=now,
            date_updated=now,
        )
        unit.add(channel)
        await _add_worker_channels(unit, channel, now)
        _record(unit, svc, workspace, channel, "created")
    return channel


async def _add_worker_channels(unit: Unit, channel: TaskChannel, now: int) -> None:
    """Every existing worker gets the new channel with capacity 1."""
    for worker_sid in await unit.values(Worker, "sid", eq("workspace_sid", channel.workspace_sid)):
        unit.add(
            WorkerChannel(
                sid=sids.new_sid(sids.WORKER_CHANNEL),
                workspace_sid=channel.workspace_sid,
                worker_sid=worker_sid,
                task_channel_sid=channel.sid,
                capacity=1,
                available=True,
                last_reserved_at=0,
                date_created=now,
                date_updated=now,
            )
        )


async def update_task_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    sid_or_name: str,
    friendly_name: str | None,
    channel_optimized_routing: bool | None,
) -> TaskChannel:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        channel = await access_task_channel(unit, workspace, sid_or_name)
        if friendly_name is not None:
            channel.friendly_name = friendly_name
        if channel_optimized_routing is not None:
            channel.channel_optimized_routing = channel_optimized_routing
        channel.date_updated = svc.now()
        _record(unit, svc, workspace, channel, "updated")
    return channel


async def delete_task_channel(
    svc: Services, account_sid: str, workspace_sid: str, sid_or_name: str
) -> None:
    """Refused while open tasks use the channel; worker channels go with it (cascade)."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        channel = await access_task_channel(unit, workspace, sid_or_name)
        await refuse_if_any(
            unit,
            Task,
            [
                eq("workspace_sid", workspace.sid),
                eq("task_channel_sid", channel.sid),
                isin("assignment_status", OPEN_TASK_STATUSES),
            ],
            f"Cannot delete TaskChannel {channel.sid}: open Tasks use it",
        )
        _record(unit, svc, workspace, channel, "deleted")
        await unit.delete(channel)
