"""Returning a task: a worker who cannot finish an accepted task hands it back.

A Switchboard extension (TaskRouter has no way back from `assigned`):
`POST /Tasks/{WT}` with `AssignmentStatus=pending` and a `Reason`. The task keeps
its age, goes back through its workflow with its priority raised, and its attributes
say who returned it, so a workflow can send it to someone more qualified
(`worker.level > task.returned_level`); the engine never offers it to a worker who
returned it. The worker's reservation ends as `canceled`; a `task.returned` event
(counted in the statistics) names the worker and the reason.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.distribution.domain.records import Task, Worker, Workflow, Workspace
from switchboard.distribution.journal.event_data import task_fields, worker_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.placement import enter_workflow
from switchboard.distribution.work.transitions import (
    live_reservation,
    move_reservation,
    move_task,
    record_reservation_event,
)
from switchboard.distribution.work.validation import attributes_text
from switchboard.distribution.work.worker_state import activity_name
from switchboard.kernel.errors import InvalidTransition
from switchboard.kernel.ports import Unit

# how much a return raises the task's priority (targets that set a priority win)
RETURN_BOOST = 10


def returned_by(task: Task) -> list[str]:
    """Who handed the task back so far (kept apart from the attributes, which a customer
    may replace)."""
    found = json.loads(task.returned_by or "[]")
    return [sid for sid in found if isinstance(sid, str)] if isinstance(found, list) else []


def returned_attributes(task: Task, worker: Worker, returned: list[str]) -> str:
    """The task's attributes with who returned it, how often, and their level (for the
    workflow's expressions)."""
    attributes: dict[str, Any] = json.loads(task.attributes or "{}")
    level = json.loads(worker.attributes or "{}").get("level")
    attributes["returned_by"] = returned
    attributes["returned_count"] = len(returned)
    attributes["returned_level"] = level if isinstance(level, int | float) else None
    return attributes_text(json.dumps(attributes))


async def return_task(
    unit: Unit, svc: Services, workspace: Workspace, task: Task, reason: str | None, now: int
) -> None:
    res = await live_reservation(unit, task.sid)
    if task.assignment_status != "assigned" or res is None:
        raise InvalidTransition(
            f"Task {task.sid} is {task.assignment_status}: only an assigned task can be "
            "returned (AssignmentStatus=pending); wrap it up or complete it instead"
        )
    worker = await unit.get(Worker, res.worker_sid)
    assert worker is not None  # the reservation's foreign key
    move_reservation(res, "return", now)
    await record_reservation_event(
        unit, svc, workspace, "reservation.canceled", res, f"Reservation {res.sid} returned"
    )
    move_task(task, "return", now)
    task.reason = reason
    returned = [*returned_by(task), *([] if worker.sid in returned_by(task) else [worker.sid])]
    task.returned_by = json.dumps(returned)
    task.attributes = returned_attributes(task, worker, returned)
    task.base_priority += RETURN_BOOST
    task.priority = task.base_priority
    await _record_return(unit, svc, workspace, task, worker, reason)
    workflow = await unit.get(Workflow, task.workflow_sid) if task.workflow_sid else None
    if workflow is not None:
        await enter_workflow(unit, svc, workspace, task, workflow, now)


async def _record_return(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    worker: Worker,
    reason: str | None,
) -> None:
    name = await activity_name(unit, worker.activity_sid)
    record(
        unit,
        svc,
        workspace,
        "task.returned",
        Subject(
            "task",
            task.sid,
            task_sid=task.sid,
            worker_sid=worker.sid,
            task_queue_sid=task.task_queue_sid,
            workflow_sid=task.workflow_sid,
        ),
        f"Task {task.sid} returned by Worker {worker.friendly_name}",
        {
            **task_fields(task, svc.now()),
            **worker_fields(worker, name),
            "task_returned_reason": reason,
        },
    )
