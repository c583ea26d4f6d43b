"""One routing pass of a workspace: fire due timers, match, persist the reservations.

The pass runs inside one workspace transaction (see :mod:`switchboard.store.database`),
so planning and writing the reservations are atomic and never interleave with
another writer of the same workspace: no task or worker is ever double-reserved,
whichever process runs the pass.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import matching as m
from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.services.placement import advance, enter_workflow
from switchboard.services.snapshot import DIRECT_QUEUE, Loaded, load_snapshot
from switchboard.services.transitions import cancel_task, record_reservation_event, time_out
from switchboard.services.worker_state import set_activity
from switchboard.store import tables as t

# skip_if can move a task to a target that is skipped in turn; bound the re-planning
MAX_REPLANS = 20
# waiting tasks a pass loads first (plus twice the free capacity); see load_snapshot
PARTIAL_LOAD = 200


async def run_pass(svc: Services, workspace_sid: str, *, timers_due: bool = True) -> int | None:
    """Route what can be routed now; returns the next instant a timer is due (or None).

    `timers_due=False` skips looking for due timers: the router knows the earliest
    deadline from the previous pass, and deadlines set since then are in the future.
    """
    async with svc.store.transaction(workspace_sid) as session:
        workspace = await session.get(t.Workspace, workspace_sid)
        if workspace is None:
            return None
        now = now_ms()
        if timers_due:
            await fire_timers(session, svc, workspace, now)
        for _ in range(MAX_REPLANS):
            if not await match_once(session, svc, workspace, now):
                break
        return await next_deadline(session, workspace_sid)


async def fire_timers(
    session: AsyncSession, svc: Services, workspace: t.Workspace, now: int
) -> None:
    """Reservation timeouts, task TTLs and target timeouts that are due."""
    expired = await session.execute(
        select(t.Reservation)
        .where(
            t.Reservation.workspace_sid == workspace.sid,
            t.Reservation.status == "pending",
            t.Reservation.timeout_at <= now,
        )
        .order_by(t.Reservation.timeout_at)
    )
    for reservation in expired.scalars().all():
        await time_out(session, svc, workspace, reservation, now)
    stale = await session.execute(
        select(t.Task).where(
            t.Task.workspace_sid == workspace.sid,
            t.Task.assignment_status.in_(("pending", "reserved")),
            t.Task.timeout_at <= now,
        )
    )
    for task in stale.scalars().all():
        await cancel_task(session, svc, workspace, task, "Task TTL Exceeded", now)
    due = await session.execute(
        select(t.Task)
        .where(
            t.Task.workspace_sid == workspace.sid,
            t.Task.assignment_status == "pending",
            t.Task.step_deadline <= now,
        )
        .order_by(t.Task.step_deadline)
    )
    for task in due.scalars().all():
        await advance(session, svc, workspace, task, now, skipped=False)


async def match_once(
    session: AsyncSession, svc: Services, workspace: t.Workspace, now: int
) -> bool:
    """Plan and persist reservations; returns True when skip_if moved a task (plan again)."""
    loaded = await load_snapshot(session, workspace, now, limit=PARTIAL_LOAD)
    matches = m.plan_reservations(loaded.snapshot)
    if loaded.truncated and loaded.free_capacity() > 0:
        # the best tasks did not use all capacity: the rest of the queue may
        loaded = await load_snapshot(session, workspace, now)
        matches = m.plan_reservations(loaded.snapshot)
    matched = {match.task_sid for match in matches}
    for match in matches:
        await create_reservation(session, svc, workspace, loaded, match, now)
    return await apply_skips(session, svc, workspace, loaded, matched, now)


async def create_reservation(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    loaded: Loaded,
    match: m.Match,
    now: int,
) -> t.Reservation:
    task = loaded.tasks[match.task_sid]
    worker = loaded.workers[match.worker_sid]
    workflow = await session.get(t.Workflow, task.workflow_sid) if task.workflow_sid else None
    timeout = workflow.task_reservation_timeout if workflow is not None else 120
    reservation = t.Reservation(
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
    session.add(reservation)
    task.assignment_status = "reserved"
    task.assignment_count += 1
    task.version += 1
    task.date_updated = now
    await _reservation_activity(session, svc, workspace, reservation, worker, now)
    await record_reservation_event(
        session,
        svc,
        workspace,
        "reservation.created",
        reservation,
        f"Task {task.sid} reserved for Worker {worker.friendly_name}",
    )
    return reservation


async def _reservation_activity(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    reservation: t.Reservation,
    worker: t.Worker,
    now: int,
) -> None:
    """Single-tasking: a reserved worker moves to the queue's reservation activity."""
    if workspace.multi_task_enabled or reservation.task_queue_sid is None:
        return
    queue = await session.get(t.TaskQueue, reservation.task_queue_sid)
    if queue is None or queue.reservation_activity_sid is None:
        return
    activity = await session.get(t.Activity, queue.reservation_activity_sid)
    if activity is not None and activity.sid != worker.activity_sid:
        reservation.worker_previous_activity_sid = worker.activity_sid
        await set_activity(session, svc, workspace, worker, activity, now)


def skip_counts(planner: m.Planner, queue_sid: str, channel_sid: str) -> dict[str, int]:
    """`workers.available`, `workers.unavailable` and `workers.<WA sid>` for skip_if."""
    members = planner.queue_members(queue_sid)
    available = sum(1 for w in members if w.free_on(channel_sid) > 0)
    counts: dict[str, int] = dict(Counter(w.activity_sid for w in members))
    counts.update(available=available, unavailable=len(members) - available)
    return counts


async def apply_skips(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    loaded: Loaded,
    matched: set[str],
    now: int,
) -> bool:
    """skip_if is checked once, on entering a target, when no reservation came at once."""
    moved = False
    planner = m.Planner(loaded.snapshot)
    for task_sid, target in loaded.targets.items():
        task = loaded.tasks[task_sid]
        if task.skip_checked or task_sid in matched or task.assignment_status != "pending":
            continue
        task.skip_checked = True
        if target is None or target.skip_if is None:
            continue
        counts = skip_counts(planner, target.queue_sid, task.task_channel_sid)
        if target.skip_if.evaluate({"workers": counts}):
            await advance(session, svc, workspace, task, now, skipped=True)
            moved = True
    return moved


async def next_deadline(session: AsyncSession, workspace_sid: str) -> int | None:
    """The earliest pending timer of the workspace, for the scheduler (one round trip)."""
    waiting = t.Task.assignment_status.in_(("pending", "reserved"))
    mins = (
        select(func.min(t.Reservation.timeout_at))
        .where(t.Reservation.workspace_sid == workspace_sid, t.Reservation.status == "pending")
        .scalar_subquery(),
        select(func.min(t.Task.timeout_at))
        .where(t.Task.workspace_sid == workspace_sid, waiting)
        .scalar_subquery(),
        select(func.min(t.Task.step_deadline))
        .where(t.Task.workspace_sid == workspace_sid, t.Task.assignment_status == "pending")
        .scalar_subquery(),
    )
    row = (await session.execute(select(*mins))).one()
    instants = [int(v) for v in row if v is not None]
    return min(instants) if instants else None


async def reevaluate_workflow(
    session: AsyncSession, svc: Services, workspace: t.Workspace, workflow: t.Workflow
) -> None:
    """`ReEvaluateTasks=true`: pending tasks of the workflow enter it again from the top."""
    now = now_ms()
    pending = await session.execute(
        select(t.Task).where(
            t.Task.workflow_sid == workflow.sid, t.Task.assignment_status == "pending"
        )
    )
    for task in pending.scalars().all():
        await enter_workflow(session, svc, workspace, task, workflow, now)
