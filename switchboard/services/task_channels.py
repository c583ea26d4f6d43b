"""TaskChannels: the kinds of work (voice, chat, ...); every worker has a channel for each."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.services.access import access_task_channel, access_workspace
from switchboard.services.config_support import OPEN_TASK_STATUSES, record_change, refuse_if_any
from switchboard.services.context import Services
from switchboard.services.events import Subject
from switchboard.store import tables as t


def task_channels_query(workspace_sid: str) -> Select[t.TaskChannel]:
    query = select(t.TaskChannel).where(t.TaskChannel.workspace_sid == workspace_sid)
    return query.order_by(t.TaskChannel.date_created, t.TaskChannel.sid)


async def _record(
    session: AsyncSession, svc: Services, workspace: t.Workspace, channel: t.TaskChannel, kind: str
) -> None:
    data = {
        "task_channel_sid": channel.sid,
        "task_channel_name": channel.friendly_name,
        "task_channel_unique_name": channel.unique_name,
        "task_channel_optimized_routing": str(bool(channel.channel_optimized_routing)).lower(),
    }
    subject = Subject("task_channel", channel.sid, task_channel=channel.unique_name)
    await record_change(session, svc, workspace, f"task-channel.{kind}", subject, data)


async def create_task_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    friendly_name: str,
    unique_name: str,
    channel_optimized_routing: bool | None,
) -> t.TaskChannel:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        taken = select(t.TaskChannel.sid).where(
            t.TaskChannel.workspace_sid == workspace.sid, t.TaskChannel.unique_name == unique_name
        )
        await refuse_if_any(
            session,
            taken,
            f"Invalid UniqueName: a TaskChannel named {unique_name!r} already exists",
        )
        now = now_ms()
        channel = t.TaskChannel(
            sid=sids.new_sid(sids.TASK_CHANNEL),
            workspace_sid=workspace.sid,
            friendly_name=friendly_name,
            unique_name=unique_name,
            channel_optimized_routing=bool(channel_optimized_routing),
            date_created=now,
            date_updated=now,
        )
        session.add(channel)
        await session.flush()
        await _add_worker_channels(session, channel, now)
        await _record(session, svc, workspace, channel, "created")
        svc.poke_after_commit(session, workspace.sid)
    return channel


async def _add_worker_channels(session: AsyncSession, channel: t.TaskChannel, now: int) -> None:
    """Every existing worker gets the new channel with capacity 1."""
    workers = await session.scalars(
        select(t.Worker.sid).where(t.Worker.workspace_sid == channel.workspace_sid)
    )
    session.add_all(
        t.WorkerChannel(
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
        for worker_sid in workers
    )


async def update_task_channel(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    sid_or_name: str,
    friendly_name: str | None,
    channel_optimized_routing: bool | None,
) -> t.TaskChannel:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        channel = await access_task_channel(session, workspace, sid_or_name)
        if friendly_name is not None:
            channel.friendly_name = friendly_name
        if channel_optimized_routing is not None:
            channel.channel_optimized_routing = channel_optimized_routing
        channel.date_updated = now_ms()
        await _record(session, svc, workspace, channel, "updated")
    return channel


async def delete_task_channel(
    svc: Services, account_sid: str, workspace_sid: str, sid_or_name: str
) -> None:
    """Refused while open tasks use the channel; worker channels go with it (cascade)."""
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        channel = await access_task_channel(session, workspace, sid_or_name)
        in_use = select(t.Task.sid).where(
            t.Task.workspace_sid == workspace.sid,
            t.Task.task_channel_sid == channel.sid,
            t.Task.assignment_status.in_(OPEN_TASK_STATUSES),
        )
        await refuse_if_any(
            session, in_use, f"Cannot delete TaskChannel {channel.sid}: open Tasks use it"
        )
        await _record(session, svc, workspace, channel, "deleted")
        await session.delete(channel)
