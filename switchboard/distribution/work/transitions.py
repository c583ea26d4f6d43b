"""Reservation and task state changes, shared by the API, the websocket and the timers.

Every function runs inside the caller's unit of work, changes records, records the
events and rings the routing doorbell after commit. None of them commits: the
caller's unit makes the whole change atomic. Which status may follow which is
the lifecycle table of :mod:`switchboard.distribution.domain.lifecycle`.
"""

from __future__ import annotations

from switchboard.distribution.domain import lifecycle as lc
from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskQueue,
    Worker,
    Workspace,
)
from switchboard.distribution.journal.event_data import reservation_fields, task_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work import rests
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.worker_state import activity_name, set_activity
from switchboard.kernel.changes import OPENS_NOTHING, OPENS_ROOM
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.ports import Unit

MAX_ASSIGNMENTS = 1000
LIVE_RESERVATION = lc.LIVE_RESERVATION_STATUSES
# an assigned or wrapping task's reservation: it holds the task (one per task)
HOLDING = ("accepted", "wrapping")


async def record_reservation_event(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    event_type: str,
    reservation: Reservation,
    description: str,
) -> None:
    task = await unit.get(Task, reservation.task_sid)
    worker = await unit.get(Worker, reservation.worker_sid)
    assert task is not None and worker is not None
    name = await activity_name(unit, worker.activity_sid)
    record(
        unit,
        svc,
        workspace,
        event_type,
        Subject(
            "reservation",
            reservation.sid,
            task_sid=task.sid,
            worker_sid=worker.sid,
            reservation_sid=reservation.sid,
            task_queue_sid=reservation.task_queue_sid,
            workflow_sid=reservation.workflow_sid,
        ),
        description,
        {
            **reservation_fields(reservation, task, worker, name, svc.now()),
            # the task's workflow step: statistics count routing success per target level
            "filter_index": task.filter_index,
            "target_index": task.target_index,
        },
    )


def record_task_event(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    event_type: str,
    task: Task,
    description: str,
    queue_name: str | None = None,
) -> None:
    record(
        unit,
        svc,
        workspace,
        event_type,
        Subject(
            "task",
            task.sid,
            task_sid=task.sid,
            task_queue_sid=task.task_queue_sid,
            workflow_sid=task.workflow_sid,
        ),
        description,
        task_fields(task, svc.now(), queue_name),
    )


def _touch(row: Task | Reservation, now: int) -> None:
    row.date_updated = now
    row.version += 1


def move_task(task: Task, action: str, now: int) -> None:
    """Apply a lifecycle action to the task (InvalidTransition when it does not apply)."""
    task.assignment_status = lc.next_task_status(task.sid, task.assignment_status, action)
    _touch(task, now)


def move_reservation(reservation: Reservation, action: str, now: int) -> None:
    reservation.status = lc.next_reservation_status(reservation.sid, reservation.status, action)
    _time(reservation, action, now)
    _touch(reservation, now)


def _time(reservation: Reservation, action: str, now: int) -> None:
    """Talk time ends at wrap-up (or completion); handling time at completion."""
    if action == "accept":
        reservation.accepted_at = now
        return
    accepted = reservation.accepted_at
    if accepted is None or action not in ("wrap_up", "complete"):
        return
    if reservation.talk_ms is None:
        reservation.talk_ms = now - accepted
    if action == "complete":
        reservation.completed_at = now
        reservation.handling_ms = now - accepted


async def pending_reservations(unit: Unit, task_sid: str) -> list[Reservation]:
    return await unit.select(Reservation, eq("task_sid", task_sid), eq("status", "pending"))


async def live_reservation(
    unit: Unit, task_sid: str, known: Reservation | None = None
) -> Reservation | None:
    """The accepted (or wrapping) reservation of an assigned task. `known`: one the
    caller holds already (the worker's own); an assigned task has only one such, so when
    `known` is it no query is needed."""
    if known is not None and known.task_sid == task_sid and known.status in HOLDING:
        return known
    return await unit.first(Reservation, eq("task_sid", task_sid), isin("status", HOLDING))


async def _other_pending(unit: Unit, task: Task, res: Reservation) -> list[Reservation]:
    """The task's pending reservations besides `res`. Every reservation a task ever got
    counts in its `assignment_count` (routing creates them all, and counts as it goes):
    when `res` is its only one, there are none to read."""
    if task.assignment_count <= 1 and res.task_sid == task.sid:
        return []
    return [other for other in await pending_reservations(unit, task.sid) if other.sid != res.sid]


async def _move_worker(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    worker_sid: str,
    activity_sid: str | None,
    now: int,
) -> None:
    if activity_sid is None:
        return
    worker = await unit.get(Worker, worker_sid)
    activity = await unit.get(Activity, activity_sid)
    if worker is not None and activity is not None:
        set_activity(unit, svc, workspace, worker, activity, now)


async def _task_back_to_pending(
    unit: Unit, svc: Services, workspace: Workspace, task: Task, now: int
) -> None:
    """After a reservation ended unaccepted: wait again, unless others are still pending."""
    if task.assignment_status != "reserved" or await pending_reservations(unit, task.sid):
        return
    if task.assignment_count >= MAX_ASSIGNMENTS:
        await cancel_task(unit, svc, workspace, task, "Max Assignment Count Reached", now)
        return
    move_task(task, "release", now)


async def accept(
    unit: Unit, svc: Services, workspace: Workspace, res: Reservation, now: int
) -> None:
    """The task is the worker's. Unless another offer of it is rescinded or the worker
    moves to another activity, that opens nothing a routing pass could offer (the
    worker's slot stays taken), and the unit says so (`Unit.claim`)."""
    settles = not unit.changed()  # the claim covers this transition's changes only
    move_reservation(res, "accept", now)
    task = await unit.get(Task, res.task_sid)
    assert task is not None
    move_task(task, "accept", now)
    worker = await unit.get(Worker, res.worker_sid)
    if worker is not None and worker.missed_in_a_row:
        rests.after_acceptance(worker)
    for other in await _other_pending(unit, task, res):
        if other.sid != res.sid:
            settles = False
            move_reservation(other, "rescind", now)
            await _move_worker(
                unit, svc, workspace, other.worker_sid, other.worker_previous_activity_sid, now
            )
            await record_reservation_event(
                unit,
                svc,
                workspace,
                "reservation.rescinded",
                other,
                "Reservation rescinded: another worker accepted",
            )
    queue = await unit.get(TaskQueue, res.task_queue_sid) if res.task_queue_sid else None
    if queue is not None and not workspace.multi_task_enabled:
        if queue.assignment_activity_sid is not None:
            settles = False  # skip_if and no-agent timeouts count workers by activity
        await _move_worker(unit, svc, workspace, res.worker_sid, queue.assignment_activity_sid, now)
    await record_reservation_event(
        unit, svc, workspace, "reservation.accepted", res, f"Reservation {res.sid} accepted"
    )
    if settles:
        unit.claim(OPENS_NOTHING)


async def reject(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    res: Reservation,
    activity_sid: str | None,
    now: int,
) -> None:
    """Declined: the worker moves to `activity_sid`, else back to its activity before the
    offer, and rests for the target's reject delay."""
    task = await unit.get(Task, res.task_sid)
    worker = await unit.get(Worker, res.worker_sid)
    if task is not None and worker is not None:
        await rests.after_rejection(unit, task, worker, now)
    await _end_unanswered(
        unit, svc, workspace, res, "reject", activity_sid, f"Reservation {res.sid} rejected", now
    )


async def time_out(
    unit: Unit, svc: Services, workspace: Workspace, res: Reservation, now: int
) -> None:
    """No answer in time: the worker goes to the workspace's timeout activity ("not
    ready"), or, below the target's `max_no_answer`, back to its activity before the
    offer; it rests for the target's no-answer delay."""
    task = await unit.get(Task, res.task_sid)
    worker = await unit.get(Worker, res.worker_sid)
    away = True
    if task is not None and worker is not None:
        away = await rests.after_no_answer(unit, task, worker, now)
    await _end_unanswered(
        unit,
        svc,
        workspace,
        res,
        "time_out",
        workspace.timeout_activity_sid if away else None,
        f"Reservation {res.sid} timed out",
        now,
    )


async def _end_unanswered(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    res: Reservation,
    action: str,
    activity_sid: str | None,
    description: str,
    now: int,
) -> None:
    """A pending offer ends without acceptance: move the worker, requeue the task, record.

    The event is recorded last, so it tells the task's status after the change too.
    """
    move_reservation(res, action, now)
    await _move_worker(
        unit, svc, workspace, res.worker_sid, activity_sid or res.worker_previous_activity_sid, now
    )
    task = await unit.get(Task, res.task_sid)
    assert task is not None
    await _task_back_to_pending(unit, svc, workspace, task, now)
    await record_reservation_event(
        unit, svc, workspace, f"reservation.{res.status}", res, description
    )


async def wrap_up(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    now: int,
    reservation: Reservation | None = None,
) -> None:
    """Assigned → wrapping, for the task and its accepted reservation (`reservation`:
    the one the caller holds, if any)."""
    move_task(task, "wrap_up", now)
    res = await live_reservation(unit, task.sid, reservation)
    if res is not None:
        move_reservation(res, "wrap_up", now)
        await record_reservation_event(
            unit, svc, workspace, "reservation.wrapup", res, f"Reservation {res.sid} wrapping up"
        )
    record_task_event(unit, svc, workspace, "task.wrapup", task, f"Task {task.sid} wrapping up")


async def complete(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    reason: str | None,
    now: int,
    reservation: Reservation | None = None,
) -> None:
    """Done: capacity is freed and the worker's idle time restarts (`reservation`: the
    task's accepted one, when the caller holds it). No task starts waiting, so a routing
    pass has something to offer only if work waits already (`Unit.claim`)."""
    settles = not unit.changed()  # the claim covers this transition's changes only
    move_task(task, "complete", now)
    task.reason = reason
    res = await live_reservation(unit, task.sid, reservation)
    if res is not None:
        move_reservation(res, "complete", now)
        worker = await unit.get(Worker, res.worker_sid)
        if worker is not None:
            worker.idle_since = now
            await rests.after_completion(unit, task, worker, now)
        await record_reservation_event(
            unit, svc, workspace, "reservation.completed", res, f"Reservation {res.sid} completed"
        )
    record_task_event(unit, svc, workspace, "task.completed", task, f"Task {task.sid} completed")
    if settles:
        unit.claim(OPENS_ROOM)


async def cancel_pending_reservations(
    unit: Unit, svc: Services, workspace: Workspace, task: Task, why: str, now: int
) -> None:
    """The task's open offers end: each worker returns to its activity before the offer."""
    for res in await pending_reservations(unit, task.sid):
        move_reservation(res, "cancel", now)
        await _move_worker(
            unit, svc, workspace, res.worker_sid, res.worker_previous_activity_sid, now
        )
        await record_reservation_event(
            unit,
            svc,
            workspace,
            "reservation.canceled",
            res,
            f"Reservation {res.sid} canceled: {why}",
        )


async def cancel_task(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    reason: str | None,
    now: int,
) -> None:
    """Pending or reserved → canceled; its pending reservations are canceled too."""
    lc.next_task_status(task.sid, task.assignment_status, "cancel")  # refuse before any change
    await cancel_pending_reservations(unit, svc, workspace, task, "task canceled", now)
    move_task(task, "cancel", now)
    task.reason = reason
    task.step_deadline = None
    task.timeout_at = None
    record_task_event(
        unit, svc, workspace, "task.canceled", task, f"Task {task.sid} canceled: {reason}"
    )
