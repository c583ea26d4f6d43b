"""Workflow documents as parsed configurations (cached by their text), and where a task
stands in one."""

from __future__ import annotations

from functools import lru_cache

from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import Task, TaskDocument, Workflow
from switchboard.kernel.ports import Unit


@lru_cache(maxsize=512)
def _parse(configuration: str) -> wf.WorkflowConfig:
    return wf.parse_configuration(configuration)


def workflow_config(workflow: Workflow) -> wf.WorkflowConfig:
    """Parsed configuration (validated when saved; cached by its text)."""
    return _parse(workflow.configuration)


async def task_config(unit: Unit, task: Task, workflow: Workflow) -> wf.WorkflowConfig:
    """The document the task follows: the one fetched when it entered, else the stored copy."""
    document = await unit.get(TaskDocument, task.sid)
    if document is not None and document.workflow_sid == workflow.sid:
        return _parse(document.configuration)
    return workflow_config(workflow)


def parse_document(configuration: str) -> wf.WorkflowConfig:
    """A routing document's text, parsed (cached by its text)."""
    return _parse(configuration)


def current_step(task: Task) -> wf.Step | None:
    if task.filter_index is None or task.target_index is None:
        return None
    return wf.Step(task.filter_index, task.target_index)
