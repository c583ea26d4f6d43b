"""Where a waiting task stands in its workflow: filter, target, queue, priority, deadline.

A task enters its workflow when it is created (or when its attributes change
while it waits), then moves to the next target when the current target's
timeout passes or its `skip_if` fires ("expanding targets"). Falling off the end
of the workflow cancels the task, as Twilio does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import workflow as wf
from switchboard.services.context import Services
from switchboard.services.event_data import task_fields
from switchboard.services.events import Subject, record
from switchboard.services.transitions import cancel_task, record_task_event
from switchboard.store import tables as t

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


def task_attributes(task: t.Task) -> dict[str, Any]:
    value = json.loads(task.attributes or "{}")
    return value if isinstance(value, dict) else {}


def task_context(task: t.Task, now: int) -> dict[str, Any]:
    """What filter expressions see: the task's attributes, plus time of day."""
    return {**time_context(now), **task_attributes(task)}


@lru_cache(maxsize=512)
def _parse(configuration: str) -> wf.WorkflowConfig:
    return wf.parse_configuration(configuration)


def workflow_config(workflow: t.Workflow) -> wf.WorkflowConfig:
    """Parsed configuration (validated when saved; cached by its text)."""
    return _parse(workflow.configuration)


async def task_config(
    session: AsyncSession, task: t.Task, workflow: t.Workflow
) -> wf.WorkflowConfig:
    """The document the task follows: the one fetched when it entered, else the stored copy."""
    document = await session.get(t.TaskDocument, task.sid)
    if document is not None and document.workflow_sid == workflow.sid:
        return _parse(document.configuration)
    return workflow_config(workflow)


def parse_document(configuration: str) -> wf.WorkflowConfig:
    """A routing document's text, parsed (cached by its text)."""
    return _parse(configuration)


def current_step(task: t.Task) -> wf.Step | None:
    if task.filter_index is None or task.target_index is None:
        return None
    return wf.Step(task.filter_index, task.target_index)


async def _queue_event(
    session: AsyncSession, svc: Services, workspace: t.Workspace, task: t.Task, event_type: str
) -> None:
    queue = await session.get(t.TaskQueue, task.task_queue_sid) if task.task_queue_sid else None
    name = queue.friendly_name if queue else None
    description = f"Task {task.sid} {event_type.removeprefix('task-queue.')} TaskQueue {name}"
    await record_task_event(session, svc, workspace, event_type, task, description, name)


async def apply_step(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    config: wf.WorkflowConfig,
    step: wf.Step,
    now: int,
) -> None:
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
        await _queue_event(session, svc, workspace, task, "task-queue.entered")
    if moved:
        await _queue_event(session, svc, workspace, task, "task-queue.moved")
    svc.poke_after_commit(session, workspace.sid)


async def enter_workflow(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    workflow: t.Workflow,
    now: int,
    *,
    config: wf.WorkflowConfig | None = None,
    fresh: bool = False,
) -> None:
    """Evaluate the filters top to bottom; no match and no default filter cancels the task.

    `config` is a routing document fetched for this task (remote workflow documents);
    without one the stored configuration applies, also to the task's later steps
    (a task entering again drops a document fetched before; a `fresh` one has none).
    """
    if config is None:
        config = workflow_config(workflow)
        if not fresh:
            await session.execute(delete(t.TaskDocument).where(t.TaskDocument.task_sid == task.sid))
    step = wf.first_step(config, task_context(task, now))
    if step is None:
        await cancel_task(
            session, svc, workspace, task, "Task did not match any workflow filter", now
        )
        return
    await record(
        session,
        svc.bus,
        workspace,
        "workflow.entered",
        Subject("task", task.sid, task_sid=task.sid, workflow_sid=workflow.sid),
        f"Task {task.sid} entered Workflow {workflow.friendly_name}",
        {**task_fields(task), "workflow_name": workflow.friendly_name},
    )
    await apply_step(session, svc, workspace, task, config, step, now)


async def advance(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    now: int,
    *,
    skipped: bool,
) -> None:
    """The current target timed out (or was skipped): go to the next, or fall out."""
    workflow = await session.get(t.Workflow, task.workflow_sid) if task.workflow_sid else None
    step = current_step(task)
    if workflow is None or step is None:
        task.step_deadline = None
        return
    config = await task_config(session, task, workflow)
    context = task_context(task, now)
    following = (wf.after_skip if skipped else wf.next_step)(config, step, context)
    if following is not None:
        await apply_step(session, svc, workspace, task, config, following, now)
        return
    event_type = "workflow.skipped" if skipped else "workflow.timeout"
    await record(
        session,
        svc.bus,
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
        {**task_fields(task), "workflow_name": workflow.friendly_name},
    )
    reason = "Workflow Skipped" if skipped else "Workflow Timeout"
    await cancel_task(session, svc, workspace, task, reason, now)
