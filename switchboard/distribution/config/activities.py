"""Activities: what a worker is doing, and whether that makes them available for tasks."""

from __future__ import annotations

from switchboard.distribution.config.support import record_change, refuse_if_any
from switchboard.distribution.domain.records import Activity, TaskQueue, Worker, Workspace
from switchboard.distribution.journal.events import Subject
from switchboard.distribution.work.access import access_activity, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Query, any_of, asc, eq
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit


def activities_query(
    workspace_sid: str, friendly_name: str | None = None, available: bool | None = None
) -> Query[Activity]:
    where: list[Criterion] = [eq("workspace_sid", workspace_sid)]
    if friendly_name is not None:
        where.append(eq("friendly_name", friendly_name))
    if available is not None:
        where.append(eq("available", available))
    return Query(Activity, tuple(where), (asc("date_created"), asc("sid")))


def _record(unit: Unit, svc: Services, workspace: Workspace, activity: Activity, kind: str) -> None:
    data = {
        "activity_sid": activity.sid,
        "activity_name": activity.friendly_name,
        "activity_available": str(activity.available).lower(),
    }
    subject = Subject("activity", activity.sid)
    record_change(unit, svc, workspace, f"activity.{kind}", subject, data)


async def _ensure_unique_name(unit: Unit, workspace_sid: str, name: str) -> None:
    """Statistics and the Workers filter go by activity name, so names are unique."""
    taken = activities_query(workspace_sid, friendly_name=name)
    await refuse_if_any(
        unit,
        Activity,
        list(taken.where),
        f"Invalid FriendlyName: an Activity named {name!r} already exists",
    )


async def create_activity(
    svc: Services, account_sid: str, workspace_sid: str, friendly_name: str, available: bool
) -> Activity:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        await _ensure_unique_name(unit, workspace.sid, friendly_name)
        now = svc.now()
        activity = Activity(
            sid=sids.new_sid(sids.ACTIVITY),
            workspace_sid=workspace.sid,
            friendly_name=friendly_name,
            available=available,
            date_created=now,
            date_updated=now,
        )
        unit.add(activity)
        _record(unit, svc, workspace, activity, "created")
    return activity


async def update_activity(
    svc: Services, account_sid: str, workspace_sid: str, sid: str, friendly_name: str | None
) -> Activity:
    """Only the name changes: `available` is fixed at creation, as in Twilio."""
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        activity = await access_activity(unit, workspace, sid)
        if friendly_name is not None and friendly_name != activity.friendly_name:
            await _ensure_unique_name(unit, workspace.sid, friendly_name)
            activity.friendly_name = friendly_name
        activity.date_updated = svc.now()
        _record(unit, svc, workspace, activity, "updated")
    return activity


async def delete_activity(svc: Services, account_sid: str, workspace_sid: str, sid: str) -> None:
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        activity = await access_activity(unit, workspace, sid)
        await _ensure_unused(unit, workspace, activity)
        _record(unit, svc, workspace, activity, "deleted")
        await unit.delete(activity)


async def _ensure_unused(unit: Unit, workspace: Workspace, activity: Activity) -> None:
    if activity.sid in (workspace.default_activity_sid, workspace.timeout_activity_sid):
        raise InvalidParameter(
            f"Cannot delete Activity {activity.sid}: "
            "it is the Workspace's default or timeout activity"
        )
    await refuse_if_any(
        unit,
        Worker,
        [eq("activity_sid", activity.sid)],
        f"Cannot delete Activity {activity.sid}: Workers are in this activity",
    )
    await refuse_if_any(
        unit,
        TaskQueue,
        [
            any_of(
                eq("reservation_activity_sid", activity.sid),
                eq("assignment_activity_sid", activity.sid),
            )
        ],
        f"Cannot delete Activity {activity.sid}: a TaskQueue refers to it",
    )
