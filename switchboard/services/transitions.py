"""Reservation and task state changes, shared by the API, the websocket and the timers.

Every function runs inside the caller's workspace transaction, changes rows,
records the events and asks for a routing pass after commit. None of them
commits: the caller's transaction makes the whole change atomic.

Lifecycle (Twilio's): a task is ``pending`` until reserved, ``reserved`` while a
reservation waits for an answer, ``assigned`` once accepted, then ``wrapping``
and ``completed``; ``canceled`` is possible before assignment. A rejected or
timed-out reservation puts the task back to ``pending`` (unless another
reservation of it is still pending).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain.errors import InvalidTransition
from switchboard.services.context import Services
from switchboard.services.event_data import reservation_fields, task_fields
from switchboard.services.events import Subject, record
from switchboard.services.worker_state import activity_name, set_activity
from switchboard.store import tables as t

MAX_ASSIGNMENTS = 1000
LIVE_RESERVATION = ("pending", "accepted", "wrapping")


async def record_reservation_event(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    event_type: str,
    reservation: t.Reservation,
    description: str,
) -> None:
    task = await session.get(t.Task, reservation.task_sid)
    worker = await session.get(t.Worker, reservation.worker_sid)
    assert task is not None and worker is not None
    name = await activity_name(session, worker.activity_sid)
    await record(
        session,
        svc.bus,
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
            **reservation_fields(reservation, task, worker, name),
            # the task's workflow step: statistics count routing success per target level
            "filter_index": task.filter_index,
            "target_index": task.target_index,
        },
    )


async def record_task_event(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    event_type: str,
    task: t.Task,
    description: str,
    queue_name: str | None = None,
) -> None:
    await record(
        session,
        svc.bus,
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
        task_fields(task, queue_name),
    )


def _touch(row: t.Task | t.Reservation, now: int) -> None:
    row.date_updated = now
    row.version += 1


def _require(reservation: t.Reservation, *allowed: str) -> None:
    if reservation.status not in allowed:
        raise InvalidTransition(
            f"Reservation {reservation.sid} is {reservation.status}; "
            f"this change needs it to be {' or '.join(allowed)}"
        )


async def pending_reservations(session: AsyncSession, task_sid: str) -> list[t.Reservation]:
    query = select(t.Reservation).where(
        t.Reservation.task_sid == task_sid, t.Reservation.status == "pending"
    )
    return list((await session.execute(query)).scalars())


async def live_reservation(session: AsyncSession, task_sid: str) -> t.Reservation | None:
    """The accepted (or wrapping) reservation of an assigned task."""
    query = select(t.Reservation).where(
        t.Reservation.task_sid == task_sid, t.Reservation.status.in_(("accepted", "wrapping"))
    )
    return (await session.execute(query)).scalars().first()


async def _move_worker(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    worker_sid: str,
    activity_sid: str | None,
    now: int,
) -> None:
    if activity_sid is None:
        return
    worker = await session.get(t.Worker, worker_sid)
    activity = await session.get(t.Activity, activity_sid)
    if worker is not None and activity is not None:
        await set_activity(session, svc, workspace, worker, activity, now)


async def _task_back_to_pending(
    session: AsyncSession, svc: Services, workspace: t.Workspace, task: t.Task, now: int
) -> None:
    """After a reservation ended unaccepted: wait again, unless others are still pending."""
    if task.assignment_status != "reserved" or await pending_reservations(session, task.sid):
        return
    if task.assignment_count >= MAX_ASSIGNMENTS:
        await cancel_task(session, svc, workspace, task, "Max Assignment Count Reached", now)
        return
    task.assignment_status = "pending"
    _touch(task, now)
    svc.poke_after_commit(session, workspace.sid)


async def accept(
    session: AsyncSession, svc: Services, workspace: t.Workspace, res: t.Reservation, now: int
) -> None:
    _require(res, "pending")
    task = await session.get(t.Task, res.task_sid)
    assert task is not None
    res.status = "accepted"
    _touch(res, now)
    task.assignment_status = "assigned"
    _touch(task, now)
    for other in await pending_reservations(session, task.sid):
        if other.sid != res.sid:
            other.status = "rescinded"
            _touch(other, now)
            await _move_worker(
                session, svc, workspace, other.worker_sid, other.worker_previous_activity_sid, now
            )
            await record_reservation_event(
                session,
                svc,
                workspace,
                "reservation.rescinded",
                other,
                "Reservation rescinded: another worker accepted",
            )
    queue = await session.get(t.TaskQueue, res.task_queue_sid) if res.task_queue_sid else None
    if queue is not None and not workspace.multi_task_enabled:
        await _move_worker(
            session, svc, workspace, res.worker_sid, queue.assignment_activity_sid, now
        )
    await record_reservation_event(
        session, svc, workspace, "reservation.accepted", res, f"Reservation {res.sid} accepted"
    )


async def reject(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    res: t.Reservation,
    activity_sid: str | None,
    now: int,
) -> None:
    """Declined: the worker moves to `activity_sid`, else back to its activity before the offer."""
    await _end_unanswered(
        session,
        svc,
        workspace,
        res,
        "rejected",
        activity_sid,
        f"Reservation {res.sid} rejected",
        now,
    )


async def time_out(
    session: AsyncSession, svc: Services, workspace: t.Workspace, res: t.Reservation, now: int
) -> None:
    """No answer in time: the worker goes to the workspace's timeout activity ("not ready")."""
    await _end_unanswered(
        session,
        svc,
        workspace,
        res,
        "timeout",
        workspace.timeout_activity_sid,
        f"Reservation {res.sid} timed out",
        now,
    )


async def _end_unanswered(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    res: t.Reservation,
    status: str,
    activity_sid: str | None,
    description: str,
    now: int,
) -> None:
    """A pending offer ends without acceptance: move the worker, record, requeue the task."""
    _require(res, "pending")
    res.status = status
    _touch(res, now)
    await _move_worker(
        session,
        svc,
        workspace,
        res.worker_sid,
        activity_sid or res.worker_previous_activity_sid,
        now,
    )
    await record_reservation_event(
        session, svc, workspace, f"reservation.{status}", res, description
    )
    task = await session.get(t.Task, res.task_sid)
    assert task is not None
    await _task_back_to_pending(session, svc, workspace, task, now)


async def wrap_up(
    session: AsyncSession, svc: Services, workspace: t.Workspace, task: t.Task, now: int
) -> None:
    """Assigned → wrapping, for the task and its accepted reservation."""
    if task.assignment_status != "assigned":
        raise InvalidTransition(
            f"Task {task.sid} is {task.assignment_status}; only an assigned task can wrap up"
        )
    task.assignment_status = "wrapping"
    _touch(task, now)
    res = await live_reservation(session, task.sid)
    if res is not None:
        res.status = "wrapping"
        _touch(res, now)
        await record_reservation_event(
            session, svc, workspace, "reservation.wrapup", res, f"Reservation {res.sid} wrapping up"
        )
    await record_task_event(
        session, svc, workspace, "task.wrapup", task, f"Task {task.sid} wrapping up"
    )


async def complete(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    reason: str | None,
    now: int,
) -> None:
    """Done: capacity is freed and the worker's idle time restarts."""
    if task.assignment_status not in ("assigned", "wrapping"):
        raise InvalidTransition(
            f"Task {task.sid} is {task.assignment_status}; "
            "only an assigned or wrapping task can be completed"
        )
    task.assignment_status = "completed"
    task.reason = reason
    _touch(task, now)
    res = await live_reservation(session, task.sid)
    if res is not None:
        res.status = "completed"
        _touch(res, now)
        worker = await session.get(t.Worker, res.worker_sid)
        if worker is not None:
            worker.idle_since = now
        await record_reservation_event(
            session,
            svc,
            workspace,
            "reservation.completed",
            res,
            f"Reservation {res.sid} completed",
        )
    await record_task_event(
        session, svc, workspace, "task.completed", task, f"Task {task.sid} completed"
    )
    svc.poke_after_commit(session, workspace.sid)


async def cancel_pending_reservations(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    why: str,
    now: int,
) -> None:
    """The task's open offers end: each worker returns to its activity before the offer."""
    for res in await pending_reservations(session, task.sid):
        res.status = "canceled"
        _touch(res, now)
        await _move_worker(
            session, svc, workspace, res.worker_sid, res.worker_previous_activity_sid, now
        )
        await record_reservation_event(
            session,
            svc,
            workspace,
            "reservation.canceled",
            res,
            f"Reservation {res.sid} canceled: {why}",
        )


async def cancel_task(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    reason: str | None,
    now: int,
) -> None:
    """Pending or reserved → canceled; its pending reservations are canceled too."""
    if task.assignment_status not in ("pending", "reserved"):
        raise InvalidTransition(
            f"Task {task.sid} is {task.assignment_status}; "
            "only a pending or reserved task can be canceled"
        )
    await cancel_pending_reservations(session, svc, workspace, task, "task canceled", now)
    task.assignment_status = "canceled"
    task.reason = reason
    task.step_deadline = None
    task.timeout_at = None
    _touch(task, now)
    await record_task_event(
        session, svc, workspace, "task.canceled", task, f"Task {task.sid} canceled: {reason}"
    )
    svc.poke_after_commit(session, workspace.sid)
