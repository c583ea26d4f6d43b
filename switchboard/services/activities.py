"""Activities: what a worker is doing, and whether that makes them available for tasks."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import InvalidParameter
from switchboard.services.access import access_activity, access_workspace
from switchboard.services.config_support import record_change, refuse_if_any
from switchboard.services.context import Services
from switchboard.services.events import Subject
from switchboard.store import tables as t


def activities_query(
    workspace_sid: str, friendly_name: str | None = None, available: bool | None = None
) -> Select[t.Activity]:
    query = select(t.Activity).where(t.Activity.workspace_sid == workspace_sid)
    if friendly_name is not None:
        query = query.where(t.Activity.friendly_name == friendly_name)
    if available is not None:
        query = query.where(t.Activity.available == available)
    return query.order_by(t.Activity.date_created, t.Activity.sid)


async def _record(
    session: AsyncSession, svc: Services, workspace: t.Workspace, activity: t.Activity, kind: str
) -> None:
    data = {
        "activity_sid": activity.sid,
        "activity_name": activity.friendly_name,
        "activity_available": str(activity.available).lower(),
    }
    subject = Subject("activity", activity.sid)
    await record_change(session, svc, workspace, f"activity.{kind}", subject, data)


async def _ensure_unique_name(session: AsyncSession, workspace_sid: str, name: str) -> None:
    """Statistics and the Workers filter go by activity name, so names are unique."""
    taken = activities_query(workspace_sid, friendly_name=name).with_only_columns(t.Activity.sid)
    await refuse_if_any(
        session, taken, f"Invalid FriendlyName: an Activity named {name!r} already exists"
    )


async def create_activity(
    svc: Services, account_sid: str, workspace_sid: str, friendly_name: str, available: bool
) -> t.Activity:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        await _ensure_unique_name(session, workspace.sid, friendly_name)
        now = now_ms()
        activity = t.Activity(
            sid=sids.new_sid(sids.ACTIVITY),
            workspace_sid=workspace.sid,
            friendly_name=friendly_name,
            available=available,
            date_created=now,
            date_updated=now,
        )
        session.add(activity)
        await _record(session, svc, workspace, activity, "created")
    return activity


async def update_activity(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, friendly_name: str | None
) -> t.Activity:
    """Only the name changes: `available` is fixed at creation, as in Twilio."""
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        activity = await access_activity(session, workspace, sid)
        if friendly_name is not None and friendly_name != activity.friendly_name:
            await _ensure_unique_name(session, workspace.sid, friendly_name)
            activity.friendly_name = friendly_name
        activity.date_updated = now_ms()
        await _record(session, svc, workspace, activity, "updated")
    return activity


async def delete_activity(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await access_workspace(session, account_sid, workspace_sid)
        activity = await access_activity(session, workspace, sid)
        await _ensure_unused(session, workspace, activity)
        await _record(session, svc, workspace, activity, "deleted")
        await session.delete(activity)


async def _ensure_unused(
    session: AsyncSession, workspace: t.Workspace, activity: t.Activity
) -> None:
    if activity.sid in (workspace.default_activity_sid, workspace.timeout_activity_sid):
        raise InvalidParameter(
            f"Cannot delete Activity {activity.sid}: "
            "it is the Workspace's default or timeout activity"
        )
    workers = select(t.Worker.sid).where(t.Worker.activity_sid == activity.sid)
    await refuse_if_any(
        session, workers, f"Cannot delete Activity {activity.sid}: Workers are in this activity"
    )
    queues = select(t.TaskQueue.sid).where(
        (t.TaskQueue.reservation_activity_sid == activity.sid)
        | (t.TaskQueue.assignment_activity_sid == activity.sid)
    )
    await refuse_if_any(
        session, queues, f"Cannot delete Activity {activity.sid}: a TaskQueue refers to it"
    )
