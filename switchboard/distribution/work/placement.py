"""Where a waiting task stands in its workflow: filter, target, queue, priority, deadline.

A task enters its workflow when it is created (or when its attributes change
while it waits), then moves to the next target when the current target's
timeout passes or its `skip_if` fires ("expanding targets"). Falling off the end
of the workflow cancels the task, as Twilio does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import (
    Task,
    TaskDocument,
    TaskQueue,
    Workflow,
    Workspace,
)
from switchboard.distribution.journal.event_data import task_fields
from switchboard.distribution.journal.events import Subject, record
from switchboard.distribution.work.configs import current_step, task_config, workflow_config
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.transitions import cancel_task, record_task_event
from switchboard.kernel import limits
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Unit

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def time_context(now: int) -> dict[str, Any]:
    """`taskrouter.currentTime` & co. for time-of-day routing (UTC, like Twilio)."""
    moment = datetime.fromtimestamp(now / 1000, tz=UTC)
    return {
        "taskrouter": {
            "currentTime": moment.hour * 100 + moment.minute,
            "currentHour": f"{moment.hour:02d}",
            "currentMin": f"{moment.minute:02d}",
            "dayOfWeek": DAYS[moment.weekday()],
        }
    }


def task_attributes(task: Task) -> dict[str, Any]:
    """Stored attributes; a row that is not a bounded JSON object reads as `{}`."""
    return limits.stored_object(task.attributes)


def task_context(task: Task, now: int) -> dict[str, Any]:
    """What filter expressions see: the task's attributes, plus time of day."""
    return {**time_context(now), **task_attributes(task)}


async def _queue_event(
    unit: Unit, svc: Services, workspace: Workspace, task: Task, event_type: str
) -> None:
    queue = await unit.get(TaskQueue, task.task_queue_sid) if task.task_queue_sid else None
    name = queue.friendly_name if queue else None
    description = f"Task {task.sid} {event_type.removeprefix('task-queue.')} TaskQueue {name}"
    record_task_event(unit, svc, workspace, event_type, task, description, name)


async def apply_step(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    config: wf.WorkflowConfig,
    step: wf.Step,
    now: int,
) -> wf.Target:
    """Put the task at `step`: its queue, priority and timeout."""
    target = wf.target_at(config, step)
    moved = task.task_queue_sid is not None and task.task_queue_sid != target.queue_sid
    entered = task.task_queue_sid != target.queue_sid
    task.filter_index, task.target_index = step.filter_index, step.target_index
    task.task_queue_sid = target.queue_sid
    task.priority = target.priority if target.priority is not None else task.priority
    task.step_entered_at = now
    task.step_deadline = now + target.timeout * 1000 if target.timeout else None
    task.skip_checked = target.skip_if is None
    task.date_updated = now
    if entered:
        task.task_queue_entered_date = now
        await _queue_event(unit, svc, workspace, task, "task-queue.entered")
    if moved:
        await _queue_event(unit, svc, workspace, task, "task-queue.moved")
    return target


async def enter_workflow(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    workflow: Workflow,
    now: int,
    *,
    config: wf.WorkflowConfig | None = None,
    fresh: bool = False,
) -> wf.Target | None:
    """Evaluate the filters top to bottom; no match and no default filter cancels the task.
    Returns the target the task entered (None: canceled).

    `config` is a routing document fetched for this task (remote workflow documents);
    without one the stored configuration applies, also to the task's later steps
    (a task entering again drops a document fetched before; a `fresh` one has none).
    """
    if config is None:
        config = workflow_config(workflow)
        if not fresh:
            await unit.delete_where(TaskDocument, eq("task_sid", task.sid))
    step = wf.first_step(config, task_context(task, now))
    if step is None:
        await cancel_task(unit, svc, workspace, task, "Task did not match any workflow filter", now)
        return None
    record(
        unit,
        svc,
        workspace,
        "workflow.entered",
        Subject("task", task.sid, task_sid=task.sid, workflow_sid=workflow.sid),
        f"Task {task.sid} entered Workflow {workflow.friendly_name}",
        {**task_fields(task, now), "workflow_name": workflow.friendly_name},
    )
    return await apply_step(unit, svc, workspace, task, config, step, now)


async def advance(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    now: int,
    *,
    skipped: bool,
) -> None:
    """The current target timed out (or was skipped): go to the next, or fall out."""
    workflow = await unit.get(Workflow, task.workflow_sid) if task.workflow_sid else None
    step = current_step(task)
    if workflow is None or step is None:
        task.step_deadline = None
        return
    config = await task_config(unit, task, workflow)
    context = task_context(task, now)
    following = (wf.after_skip if skipped else wf.next_step)(config, step, context)
    if following is not None:
        await apply_step(unit, svc, workspace, task, config, following, now)
        return
    event_type = "workflow.skipped" if skipped else "workflow.timeout"
    record(
        unit,
        svc,
        workspace,
        event_type,
        Subject(
            "task",
            task.sid,
            task_sid=task.sid,
            workflow_sid=workflow.sid,
            task_queue_sid=task.task_queue_sid,
        ),
        f"Task {task.sid} left Workflow {workflow.friendly_name} without an assignment",
        {**task_fields(task, now), "workflow_name": workflow.friendly_name},
    )
    reason = "Workflow Skipped" if skipped else "Workflow Timeout"
    await cancel_task(unit, svc, workspace, task, reason, now)


async def reevaluate_workflow(
    unit: Unit, svc: Services, workspace: Workspace, workflow: Workflow
) -> None:
    """`ReEvaluateTasks=true`: pending tasks of the workflow enter it again from the top."""
    now = svc.now()
    pending = await unit.select(
        Task, eq("workflow_sid", workflow.sid), eq("assignment_status", "pending")
    )
    for task in pending:
        await enter_workflow(unit, svc, workspace, task, workflow, now)
