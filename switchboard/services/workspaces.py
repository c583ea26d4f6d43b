"""Workspaces: creation with Twilio's default activities and channels, updates, deletion."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.services import events
from switchboard.services.access import access_workspace
from switchboard.services.config_support import activity_param, record_change
from switchboard.services.context import Services
from switchboard.store import tables as t

# (friendly name, available): the activities every new workspace starts with
DEFAULT_ACTIVITIES = (("Offline", False), ("Available", True), ("Unavailable", False))
# (unique name, friendly name)
DEFAULT_CHANNELS = (
    ("default", "Default"),
    ("voice", "Voice"),
    ("chat", "Chat"),
    ("sms", "SMS"),
    ("video", "Video"),
)
TEMPLATES = ("FIFO", "NONE")


@dataclass(frozen=True)
class WorkspaceCreate:
    friendly_name: str
    event_callback_url: str | None = None
    events_filter: str | None = None
    multi_task_enabled: bool | None = None
    template: str | None = None
    prioritize_queue_order: str | None = None


@dataclass(frozen=True)
class WorkspaceUpdate:
    friendly_name: str | None = None
    event_callback_url: str | None = None
    events_filter: str | None = None
    multi_task_enabled: bool | None = None
    default_activity_sid: str | None = None
    timeout_activity_sid: str | None = None
    prioritize_queue_order: str | None = None


def workspaces_query(account_sid: str, friendly_name: str | None) -> Select[t.Workspace]:
    """The account's workspaces, oldest first (the list endpoint pages it)."""
    query = select(t.Workspace).where(t.Workspace.account_sid == account_sid)
    if friendly_name is not None:
        query = query.where(t.Workspace.friendly_name == friendly_name)
    return query.order_by(t.Workspace.date_created, t.Workspace.sid)


async def _event(session: AsyncSession, svc: Services, workspace: t.Workspace, kind: str) -> None:
    subject = events.Subject("workspace", workspace.sid)
    await record_change(session, svc, workspace, f"workspace.{kind}", subject, {})


async def create_workspace(svc: Services, account_sid: str, params: WorkspaceCreate) -> t.Workspace:
    now = now_ms()
    workspace = t.Workspace(
        sid=sids.new_sid(sids.WORKSPACE),
        account_sid=account_sid,
        friendly_name=params.friendly_name,
        event_callback_url=params.event_callback_url,
        events_filter=params.events_filter,
        multi_task_enabled=True if params.multi_task_enabled is None else params.multi_task_enabled,
        prioritize_queue_order=params.prioritize_queue_order or "FIFO",
        date_created=now,
        date_updated=now,
    )
    async with svc.store.transaction(workspace.sid) as session:
        session.add(workspace)
        await session.flush()
        offline = _add_defaults(session, workspace, now)
        workspace.default_activity_sid = workspace.timeout_activity_sid = offline
        if params.template == "FIFO":
            _add_fifo_template(session, workspace, now)
        await _event(session, svc, workspace, "created")
    return workspace


def _add_defaults(session: AsyncSession, workspace: t.Workspace, now: int) -> str:
    """Add the default activities and task channels; returns the Offline activity's sid."""
    activities = [
        t.Activity(
            sid=sids.new_sid(sids.ACTIVITY),
            workspace_sid=workspace.sid,
            friendly_name=name,
            available=available,
            date_created=now,
            date_updated=now,
        )
        for name, available in DEFAULT_ACTIVITIES
    ]
    channels = [
        t.TaskChannel(
            sid=sids.new_sid(sids.TASK_CHANNEL),
            workspace_sid=workspace.sid,
            unique_name=unique,
            friendly_name=friendly,
            channel_optimized_routing=False,
            date_created=now,
            date_updated=now,
        )
        for unique, friendly in DEFAULT_CHANNELS
    ]
    session.add_all([*activities, *channels])
    return activities[0].sid


def _add_fifo_template(session: AsyncSession, workspace: t.Workspace, now: int) -> None:
    """`Template=FIFO`: one catch-all queue and a workflow that sends every task to it."""
    queue = t.TaskQueue(
        sid=sids.new_sid(sids.TASK_QUEUE),
        workspace_sid=workspace.sid,
        friendly_name="Sample Queue",
        target_workers="1==1",
        max_reserved_workers=1,
        task_order="FIFO",
        date_created=now,
        date_updated=now,
    )
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue.sid}}}
    workflow = t.Workflow(
        sid=sids.new_sid(sids.WORKFLOW),
        workspace_sid=workspace.sid,
        friendly_name="Default Fifo Workflow",
        configuration=json.dumps(routing),
        task_reservation_timeout=120,
        date_created=now,
        date_updated=now,
    )
    session.add_all([queue, workflow])


async def update_workspace(
    svc: Services, account_sid: str, workspace_sid: str, params: WorkspaceUpdate
) -> t.Workspace:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        if params.default_activity_sid is not None:
            await activity_param(
                session, workspace, params.default_activity_sid, "DefaultActivitySid"
            )
            workspace.default_activity_sid = params.default_activity_sid
        if params.timeout_activity_sid is not None:
            await activity_param(
                session, workspace, params.timeout_activity_sid, "TimeoutActivitySid"
            )
            workspace.timeout_activity_sid = params.timeout_activity_sid
        _apply_plain_fields(workspace, params)
        workspace.date_updated = now_ms()
        await _event(session, svc, workspace, "updated")
        svc.poke_after_commit(session, workspace.sid)
    return workspace


def _apply_plain_fields(workspace: t.Workspace, params: WorkspaceUpdate) -> None:
    if params.friendly_name is not None:
        workspace.friendly_name = params.friendly_name
    if params.event_callback_url is not None:
        workspace.event_callback_url = params.event_callback_url or None
    if params.events_filter is not None:
        workspace.events_filter = params.events_filter or None
    if params.multi_task_enabled is not None:
        workspace.multi_task_enabled = params.multi_task_enabled
    if params.prioritize_queue_order is not None:
        workspace.prioritize_queue_order = params.prioritize_queue_order


async def delete_workspace(svc: Services, account_sid: str, workspace_sid: str) -> None:
    """Everything in the workspace goes (ON DELETE CASCADE), its event log included."""
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        # published on the bus after commit, but not kept: the log is deleted with the workspace
        await _event(session, svc, workspace, "deleted")
        await session.flush()
        await session.execute(delete(t.Event).where(t.Event.workspace_sid == workspace_sid))
        await session.execute(delete(t.Workspace).where(t.Workspace.sid == workspace_sid))
