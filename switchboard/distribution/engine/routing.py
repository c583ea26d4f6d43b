"""One routing pass of a workspace: fire due timers, match, persist the reservations.

The pass runs inside one workspace unit of work (see :meth:`Store.transaction`),
so planning and writing the reservations are atomic and never interleave with
another writer of the same workspace: no task or worker is ever double-reserved,
whichever process runs the pass.
"""

from __future__ import annotations

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import (
    Reservation,
    Task,
    Worker,
    Workspace,
)
from switchboard.distribution.engine.resident import ROUTING_KINDS, WorkspaceState
from switchboard.distribution.engine.snapshot import DIRECT_QUEUE
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.placement import advance
from switchboard.distribution.work.transitions import (
    cancel_task,
    move_task,
    record_reservation_event,
    time_out,
)
from switchboard.distribution.work.worker_state import set_activity
from switchboard.kernel import sids
from switchboard.kernel.changes import Changes
from switchboard.kernel.criteria import asc, eq, isin, le
from switchboard.kernel.ports import Unit

# skip_if can move a task to a target that is skipped in turn; bound the re-planning
MAX_REPLANS = 20
WAITING = ("pending", "reserved")


async def run_pass(
    svc: Services, workspace_sid: str, state: WorkspaceState | None, changes: Changes
) -> tuple[int | None, WorkspaceState | None]:
    """Route what can be routed now. Returns the next instant a timer is due (or None)
    and the workspace's picture, brought up to date (None: the workspace is gone).

    `state` is the picture the previous pass left (None: load it) and `changes` what
    was committed since by others; the pass's own changes are applied as it goes.
    """
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await unit.get(Workspace, workspace_sid)
        if workspace is None:
            return None, None
        now = svc.now()
        if state is None or state.workspace is None:
            state = WorkspaceState(workspace_sid)
            await state.load(unit, workspace, now)
        else:
            state.workspace = workspace
            await state.refresh(unit, changes.only(ROUTING_KINDS), now)
        seen = unit.changed()
        await fire_timers(unit, svc, workspace, state, now)
        seen = await _catch_up(unit, state, seen, now)
        for _ in range(MAX_REPLANS):
            matched = await reserve(unit, svc, workspace, state, now, seen)
            moved = await apply_skips(unit, svc, workspace, state, matched, now, seen)
            seen = await _catch_up(unit, state, seen, now)
            if not moved:
                break
        return state.next_deadline(now), state


async def _catch_up(unit: Unit, state: WorkspaceState, seen: Changes, now: int) -> Changes:
    """Read back what the pass changed beyond what it applied to the picture itself."""
    current = unit.changed()
    delta = current.minus(seen).only(ROUTING_KINDS)
    if delta:
        await state.refresh(unit, delta, now)
    return current


async def fire_timers(
    unit: Unit, svc: Services, workspace: Workspace, state: WorkspaceState, now: int
) -> None:
    """Reservation timeouts, task TTLs, target timeouts and no-agent timeouts that are due."""
    due = state.due(now)
    if due["offer"]:
        expired = await unit.select(
            Reservation,
            isin("sid", due["offer"]),
            eq("status", "pending"),
            le("timeout_at", now),
            order=[asc("timeout_at")],
        )
        for reservation in expired:
            await time_out(unit, svc, workspace, reservation, now)
    if due["ttl"]:
        stale = await unit.select(
            Task, isin("sid", due["ttl"]), isin("assignment_status", WAITING), le("timeout_at", now)
        )
        for task in stale:
            await cancel_task(unit, svc, workspace, task, "Task TTL Exceeded", now)
    if due["step"]:
        steps = await unit.select(
            Task,
            isin("sid", due["step"]),
            eq("assignment_status", "pending"),
            le("step_deadline", now),
            order=[asc("step_deadline")],
        )
        for task in steps:
            await advance(unit, svc, workspace, task, now, skipped=False)
    if due["noagent"]:  # no worker logged in for the target's `no_agent_timeout`
        deserted = await unit.select(
            Task, isin("sid", due["noagent"]), eq("assignment_status", "pending")
        )
        for task in deserted:
            await advance(unit, svc, workspace, task, now, skipped=False)


async def reserve(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    state: WorkspaceState,
    now: int,
    seen: Changes,
) -> set[str]:
    """Plan and persist reservations; returns the tasks that got one."""
    matches = state.plan(now)
    if not matches:
        return set()
    task_sids = sorted({match.task_sid for match in matches})
    worker_sids = sorted({match.worker_sid for match in matches})
    # changed tasks were just read back in this unit: by key they cost no query
    tasks = {sid: task for sid in task_sids if (task := await unit.get(Task, sid)) is not None}
    workers = {w.sid: w for w in await unit.select(Worker, isin("sid", worker_sids))}
    for match in matches:
        task = tasks[match.task_sid]
        reservation = await create_reservation(
            unit, svc, workspace, state, task, workers[match.worker_sid], match, now
        )
        state.reserved(reservation)
        seen.note(Task, (task.sid,))
        seen.note(Reservation, (reservation.sid,))
        if reservation.worker_previous_activity_sid is None:
            # the planner already took the worker's capacity; only its version moved in
            # the store, which the picture does not hold: nothing to read back
            seen.note(Worker, (match.worker_sid,))
    return set(task_sids)


async def create_reservation(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    state: WorkspaceState,
    task: Task,
    worker: Worker,
    match: m.Match,
    now: int,
) -> Reservation:
    workflow = state.workflows.get(task.workflow_sid) if task.workflow_sid else None
    timeout = workflow.task_reservation_timeout if workflow is not None else 120
    reservation = Reservation(
        sid=sids.new_sid(sids.RESERVATION),
        workspace_sid=workspace.sid,
        task_sid=task.sid,
        worker_sid=worker.sid,
        task_queue_sid=None if match.queue_sid == DIRECT_QUEUE else match.queue_sid,
        workflow_sid=task.workflow_sid,
        task_channel_sid=task.task_channel_sid,
        status="pending",
        timeout_at=now + timeout * 1000,
        version=0,
        date_created=now,
        date_updated=now,
    )
    unit.add(reservation)
    move_task(task, "reserve", now)
    task.assignment_count += 1
    worker.version += 1  # as on Twilio: the JavaScript SDK counts on it for its If-Match
    await _reservation_activity(unit, svc, workspace, state, reservation, worker, now)
    await record_reservation_event(
        unit,
        svc,
        workspace,
        "reservation.created",
        reservation,
        f"Task {task.sid} reserved for Worker {worker.friendly_name}",
    )
    return reservation


async def _reservation_activity(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    state: WorkspaceState,
    reservation: Reservation,
    worker: Worker,
    now: int,
) -> None:
    """Single-tasking: a reserved worker moves to the queue's reservation activity."""
    if workspace.multi_task_enabled or reservation.task_queue_sid is None:
        return
    queue = state.queue_rows.get(reservation.task_queue_sid)
    if queue is None or queue.reservation_activity_sid is None:
        return
    activity = state.activities.get(queue.reservation_activity_sid)
    if activity is not None and activity.sid != worker.activity_sid:
        reservation.worker_previous_activity_sid = worker.activity_sid
        set_activity(unit, svc, workspace, worker, activity, now)


async def apply_skips(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    state: WorkspaceState,
    matched: set[str],
    now: int,
    seen: Changes,
) -> bool:
    """skip_if is checked once, on entering a target, when no reservation came at once."""
    todo = sorted(
        sid
        for sid in state.unchecked
        if sid not in matched and state.waiting[sid].status == "pending"
    )
    if not todo:
        return False
    moved = False
    for task in await unit.select(Task, isin("sid", todo)):
        target = state.waiting[task.sid].target
        task.skip_checked = True
        state.skip_checked(task.sid)
        if _skips(state, target, task.task_channel_sid):
            await advance(unit, svc, workspace, task, now, skipped=True)
            moved = True
        else:
            seen.note(Task, (task.sid,))  # the picture knows it was checked
    return moved


def _skips(state: WorkspaceState, target: wf.Target | None, channel_sid: str) -> bool:
    if target is None or target.skip_if is None:
        return False
    counts = state.skip_counts(target.queue_sid, channel_sid)
    return bool(target.skip_if.evaluate({"workers": counts}))
