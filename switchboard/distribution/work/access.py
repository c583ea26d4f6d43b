"""The only way to load a tenant-scoped record: one `access_*` function per type.

Each returns the record or raises :class:`NotFound` (404) — also when the sid
belongs to another account, so a tenant never learns that it exists.
"""

from __future__ import annotations

from switchboard.distribution.domain.records import (
    Activity,
    Event,
    Reservation,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
    Workspace,
)
from switchboard.distribution.journal.queries import event_sid_is
from switchboard.kernel.criteria import any_of, eq, isin
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.kernel.ports import Unit
from switchboard.tenancy.domain.records import Account


def _missing(kind: str, sid: str) -> NotFound:
    return NotFound(f"The requested resource /{kind}/{sid} was not found")


async def access_workspace(unit: Unit, account_sid: str, sid: str) -> Workspace:
    """The workspace of `account_sid`, or of one of its sub-accounts (a parent manages its
    children with its own credentials); 404 for everyone else's."""
    row = await unit.get(Workspace, sid)
    if row is None:
        raise _missing("Workspaces", sid)
    if row.account_sid == account_sid:
        return row
    owner = await unit.get(Account, row.account_sid)
    if owner is None or owner.parent_sid != account_sid:
        raise _missing("Workspaces", sid)
    return row


async def access_activity(unit: Unit, workspace: Workspace, sid: str) -> Activity:
    row = await unit.get(Activity, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Activities", sid)
    return row


async def access_task_queue(unit: Unit, workspace: Workspace, sid: str) -> TaskQueue:
    row = await unit.get(TaskQueue, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("TaskQueues", sid)
    return row


async def access_workflow(unit: Unit, workspace: Workspace, sid: str) -> Workflow:
    row = await unit.get(Workflow, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Workflows", sid)
    return row


async def access_worker(unit: Unit, workspace: Workspace, sid: str) -> Worker:
    row = await unit.get(Worker, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Workers", sid)
    return row


async def access_task(unit: Unit, workspace: Workspace, sid: str) -> Task:
    row = await unit.get(Task, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Tasks", sid)
    return row


async def access_reservation(unit: Unit, workspace: Workspace, sid: str) -> Reservation:
    row = await unit.get(Reservation, sid)
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Reservations", sid)
    return row


async def access_event(unit: Unit, workspace: Workspace, sid: str) -> Event:
    row = await unit.first(Event, event_sid_is(sid))
    if row is None or row.workspace_sid != workspace.sid:
        raise _missing("Events", sid)
    return row


async def access_task_channel(unit: Unit, workspace: Workspace, sid_or_name: str) -> TaskChannel:
    """TaskChannels are addressed by sid or by unique name (`voice`, `chat`, ...)."""
    field = "sid" if sid_or_name.startswith("TC") else "unique_name"
    # the whole (short) list: stores keep copies of it, so this costs no query
    for row in await unit.select(TaskChannel, eq("workspace_sid", workspace.sid)):
        if getattr(row, field) == sid_or_name:
            return row
    raise _missing("TaskChannels", sid_or_name)


async def access_worker_channel(unit: Unit, worker: Worker, sid_or_name: str) -> WorkerChannel:
    """A WorkerChannel by its WC sid, or by its TaskChannel's sid or unique name."""
    mine = eq("worker_sid", worker.sid)
    if sid_or_name.startswith("WC"):
        row = await unit.first(WorkerChannel, mine, eq("sid", sid_or_name))
    else:
        named = any_of(eq("sid", sid_or_name), eq("unique_name", sid_or_name))
        channels = await unit.values(
            TaskChannel, "sid", eq("workspace_sid", worker.workspace_sid), named
        )
        row = await unit.first(WorkerChannel, mine, isin("task_channel_sid", channels))
    if row is None:
        raise _missing("Channels", sid_or_name)
    return row


# --- references in request parameters ------------------------------------------------
# A resource named in the URL that does not exist is a 404; one named by a parameter of
# a request on an existing resource is a bad parameter: 400 / 20001 with the parameter's
# name, the same for every parameter and every route (issue 11).


def _bad_reference(name: str, value: str, kind: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid {name}: {value} is not a {kind} of this Workspace")


async def activity_param(unit: Unit, workspace: Workspace, sid: str, name: str) -> Activity:
    """An Activity named by the parameter `name`."""
    try:
        return await access_activity(unit, workspace, sid)
    except NotFound:
        raise _bad_reference(name, sid, "Activity") from None


async def task_channel_param(
    unit: Unit, workspace: Workspace, sid_or_name: str, name: str = "TaskChannel"
) -> TaskChannel:
    """A TaskChannel (sid or unique name) named by the parameter `name`."""
    try:
        return await access_task_channel(unit, workspace, sid_or_name)
    except NotFound:
        raise _bad_reference(name, repr(sid_or_name), "TaskChannel") from None


async def workflow_param(unit: Unit, workspace: Workspace, sid: str, name: str) -> Workflow:
    """A Workflow named by the parameter `name`."""
    try:
        return await access_workflow(unit, workspace, sid)
    except NotFound:
        raise _bad_reference(name, sid, "Workflow") from None


async def worker_param(unit: Unit, workspace: Workspace, sid: str, name: str) -> Worker:
    """A Worker named by the parameter `name`."""
    try:
        return await access_worker(unit, workspace, sid)
    except NotFound:
        raise _bad_reference(name, sid, "Worker") from None


async def task_queue_param(unit: Unit, workspace: Workspace, sid: str, name: str) -> TaskQueue:
    """A TaskQueue named by the parameter `name`."""
    try:
        return await access_task_queue(unit, workspace, sid)
    except NotFound:
        raise _bad_reference(name, sid, "TaskQueue") from None
