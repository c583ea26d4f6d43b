"""The only way to load a tenant-scoped row: one `access_*` function per type.

Each returns the row or raises :class:`NotFound` (404) — also when the sid
belongs to another account, so a tenant never learns that it exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain.errors import NotFound
from switchboard.store import tables as t


def _missing(kind: str, sid: str) -> NotFound:
    return NotFound(f"The requested resource /{kind}/{sid} was not found")


async def access_workspace(session: AsyncSession, account_sid: str, sid: str) -> t.Workspace:
    """The workspace of `account_sid`, or of one of its sub-accounts (a parent manages its
    children with its own credentials); 404 for everyone else's."""
    row = await session.get(t.Workspace, sid)
    if row is None:
        raise _missing("Workspaces", sid)
    if row.account_sid == account_sid:
        return row
    owners_parent = await session.scalar(
        select(t.Account.parent_sid).where(t.Account.sid == row.account_sid)
    )
    if owners_parent != account_sid:
        raise _missing("Workspaces", sid)
    return row


async def access_activity(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.Activity:
    row = await session.get(t.Activity, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Activities", sid)
    return row


async def access_task_queue(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.TaskQueue:
    row = await session.get(t.TaskQueue, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("TaskQueues", sid)
    return row


async def access_workflow(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.Workflow:
    row = await session.get(t.Workflow, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Workflows", sid)
    return row


async def access_worker(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.Worker:
    row = await session.get(t.Worker, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Workers", sid)
    return row


async def access_task(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.Task:
    row = await session.get(t.Task, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Tasks", sid)
    return row


async def access_reservation(
    session: AsyncSession, workspace: t.Workspace, sid: str
) -> t.Reservation:
    row = await session.get(t.Reservation, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Reservations", sid)
    return row


async def access_event(session: AsyncSession, workspace: t.Workspace, sid: str) -> t.Event:
    row = (await session.execute(select(t.Event).where(t.Event.sid == sid))).scalar_one_or_none()
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Events", sid)
    return row


async def access_task_channel(
    session: AsyncSession, workspace: t.Workspace, sid_or_name: str
) -> t.TaskChannel:
    """TaskChannels are addressed by sid or by unique name (`voice`, `chat`, ...)."""
    query = select(t.TaskChannel).where(t.TaskChannel.workspace_sid == workspace.sid)
    if sid_or_name.startswith("TC"):
        query = query.where(t.TaskChannel.sid == sid_or_name)
    else:
        query = query.where(t.TaskChannel.unique_name == sid_or_name)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise _missing("TaskChannels", sid_or_name)
    return row


async def access_worker_channel(
    session: AsyncSession, worker: t.Worker, sid_or_name: str
) -> t.WorkerChannel:
    """A WorkerChannel by its WC sid, or by its TaskChannel's sid or unique name."""
    query = select(t.WorkerChannel).where(t.WorkerChannel.worker_sid == worker.sid)
    if sid_or_name.startswith("WC"):
        query = query.where(t.WorkerChannel.sid == sid_or_name)
    else:
        channel = select(t.TaskChannel.sid).where(
            t.TaskChannel.workspace_sid == worker.workspace_sid,
            (t.TaskChannel.sid == sid_or_name) | (t.TaskChannel.unique_name == sid_or_name),
        )
        query = query.where(t.WorkerChannel.task_channel_sid.in_(channel))
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise _missing("Channels", sid_or_name)
    return row
