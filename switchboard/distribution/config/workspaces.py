"""Workspaces: creation with Twilio's default activities and channels, updates, deletion."""

from __future__ import annotations

import json
from dataclasses import dataclass

from switchboard.distribution.config.support import activity_param, record_change
from switchboard.distribution.domain.records import (
    Activity,
    Event,
    TaskChannel,
    TaskQueue,
    Workflow,
    Workspace,
)
from switchboard.distribution.journal import events
from switchboard.distribution.journal.schemas import FIELDS as EVENT_TYPES
from switchboard.distribution.work.access import access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Query, asc, eq
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

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


def workspaces_query(account_sid: str, friendly_name: str | None) -> Query[Workspace]:
    """The account's workspaces, oldest first (the list endpoint pages it)."""
    where: list[Criterion] = [eq("account_sid", account_sid)]
    if friendly_name is not None:
        where.append(eq("friendly_name", friendly_name))
    return Query(Workspace, tuple(where), (asc("date_created"), asc("sid")))


def validate_events_filter(text: str | None) -> None:
    """Every type in the comma list must be one Switchboard emits: a typo would otherwise
    silently stop every event callback of the workspace."""
    unknown = sorted(
        {part.strip() for part in (text or "").split(",") if part.strip()} - EVENT_TYPES.keys()
    )
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise InvalidParameter(
            f"Invalid EventsFilter: unknown event type {listed}; the event types are "
            + ", ".join(sorted(EVENT_TYPES))
        )


def _event(unit: Unit, svc: Services, workspace: Workspace, kind: str) -> None:
    subject = events.Subject("workspace", workspace.sid)
    record_change(unit, svc, workspace, f"workspace.{kind}", subject, {})


async def create_workspace(svc: Services, account_sid: str, params: WorkspaceCreate) -> Workspace:
    validate_events_filter(params.events_filter)
    now = svc.now()
    workspace = Workspace(
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
    async with svc.store.transaction(workspace.sid) as unit:
        unit.add(workspace)
        offline = _add_defaults(unit, workspace, now)
        workspace.default_activity_sid = workspace.timeout_activity_sid = offline
        if params.template == "FIFO":
            _add_fifo_template(unit, workspace, now)
        _event(unit, svc, workspace, "created")
    return workspace


def _add_defaults(unit: Unit, workspace: Workspace, now: int) -> str:
    """Add the default activities and task channels; returns the Offline activity's sid."""
    activities = [
        Activity(
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
        TaskChannel(
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
    for record in (*activities, *channels):
        unit.add(record)
    return activities[0].sid


def _add_fifo_template(unit: Unit, workspace: Workspace, now: int) -> None:
    """`Template=FIFO`: one catch-all queue and a workflow that sends every task to it."""
    queue = TaskQueue(
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
    workflow = Workflow(
        sid=sids.new_sid(sids.WORKFLOW),
        workspace_sid=workspace.sid,
        friendly_name="Default Fifo Workflow",
        configuration=json.dumps(routing),
        task_reservation_timeout=120,
        date_created=now,
        date_updated=now,
    )
    unit.add(queue)
    unit.add(workflow)


async def update_workspace(
    svc: Services, account_sid: str, workspace_sid: str, params: WorkspaceUpdate
) -> Workspace:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        if params.default_activity_sid is not None:
            await activity_param(unit, workspace, params.default_activity_sid, "DefaultActivitySid")
            workspace.default_activity_sid = params.default_activity_sid
        if params.timeout_activity_sid is not None:
            await activity_param(unit, workspace, params.timeout_activity_sid, "TimeoutActivitySid")
            workspace.timeout_activity_sid = params.timeout_activity_sid
        _apply_plain_fields(workspace, params)
        workspace.date_updated = svc.now()
        _event(unit, svc, workspace, "updated")
    return workspace


def _apply_plain_fields(workspace: Workspace, params: WorkspaceUpdate) -> None:
    if params.friendly_name is not None:
        workspace.friendly_name = params.friendly_name
    if params.event_callback_url is not None:
        workspace.event_callback_url = params.event_callback_url or None
    if params.events_filter is not None:
        validate_events_filter(params.events_filter)
        workspace.events_filter = params.events_filter or None
    if params.multi_task_enabled is not None:
        workspace.multi_task_enabled = params.multi_task_enabled
    if params.prioritize_queue_order is not None:
        workspace.prioritize_queue_order = params.prioritize_queue_order


async def delete_workspace(svc: Services, account_sid: str, workspace_sid: str) -> None:
    """Everything in the workspace goes (ON DELETE CASCADE), its event log included."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        # published on the bus after commit, but not kept: the log is deleted with the workspace
        _event(unit, svc, workspace, "deleted")
        await unit.delete_where(Event, eq("workspace_sid", workspace_sid))
        await unit.delete(workspace)
