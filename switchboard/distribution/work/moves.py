"""A supervisor moves a waiting task: to another queue, or into a workflow from its top.

Only a waiting task (`pending`, or `reserved` while offers wait for an answer) moves:
its open offers are canceled (each worker returns to the activity it had before the
offer) and it waits again. Into a queue, it leaves its workflow (no more expanding
targets) and waits there until a worker of that queue is free. Into a workflow (its own
one again: re-routing), the filters are evaluated afresh; it keeps its age, so it does
not lose its place among equal priorities.
"""

from __future__ import annotations

from switchboard.distribution.domain.records import Task
from switchboard.distribution.work import transitions as tr
from switchboard.distribution.work.access import (
    access_task,
    access_task_queue,
    access_workflow,
    access_workspace,
)
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.placement import enter_workflow
from switchboard.kernel.errors import InvalidParameter, InvalidTransition

WAITING = ("pending", "reserved")


async def move_task(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    task_sid: str,
    *,
    queue_sid: str | None = None,
    workflow_sid: str | None = None,
) -> Task:
    """Move the task to `queue_sid` or into `workflow_sid` (exactly one of them)."""
    if (queue_sid is None) == (workflow_sid is None):
        raise InvalidParameter("Move a task to either a TaskQueue or a Workflow")
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        task = await access_task(unit, workspace, task_sid)
        if task.assignment_status not in WAITING:
            raise InvalidTransition(
                f"Task {task.sid} is {task.assignment_status}: only a waiting task can be moved"
            )
        queue = await access_task_queue(unit, workspace, queue_sid) if queue_sid else None
        workflow = await access_workflow(unit, workspace, workflow_sid) if workflow_sid else None
        now = svc.now()
        await tr.cancel_pending_reservations(unit, svc, workspace, task, "task moved", now)
        if task.assignment_status == "reserved":
            tr.move_task(task, "release", now)
        else:
            task.version += 1
            task.date_updated = now
        if workflow is not None:
            task.workflow_sid = workflow.sid
            await enter_workflow(unit, svc, workspace, task, workflow, now)
            return task
        assert queue is not None
        previous = task.task_queue_sid
        task.workflow_sid = None
        task.filter_index = task.target_index = None
        task.step_deadline = None
        task.skip_checked = True
        if previous != queue.sid:
            task.task_queue_sid = queue.sid
            task.task_queue_entered_date = now
            entered = f"Task {task.sid} entered TaskQueue {queue.friendly_name}"
            tr.record_task_event(
                unit, svc, workspace, "task-queue.entered", task, entered, queue.friendly_name
            )
            if previous is not None:
                moved = f"Task {task.sid} moved to TaskQueue {queue.friendly_name}"
                tr.record_task_event(
                    unit, svc, workspace, "task-queue.moved", task, moved, queue.friendly_name
                )
        return task
