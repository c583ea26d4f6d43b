"""Remote workflow documents inside the task's transaction: keep the fetched one, or say why not.

The fetch itself (HTTP, outside any transaction) is the :class:`DocumentSource`
port, implemented by :mod:`switchboard.distribution.callbacks.documents`; it hands
back a :class:`DocumentOutcome`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Unit

FAILED_EVENT = "workflow.document-fetch-failed"


@dataclass(frozen=True)
class DocumentOutcome:
    """A fetched and validated document, or why there is none."""

    workflow_sid: str
    url: str
    text: str | None = None
    config: wf.WorkflowConfig | None = None
    error: str | None = None


async def _queues_exist(unit: Unit, workspace: Workspace, config: wf.WorkflowConfig) -> bool:
    """Queues may have been deleted between the fetch and the transaction."""
    sids = await unit.values(TaskQueue, "sid", eq("workspace_sid", workspace.sid))
    return config.queue_sids() <= frozenset(sids)


async def document_config(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    task: Task,
    workflow: Workflow,
    outcome: DocumentOutcome | None,
) -> wf.WorkflowConfig | None:
    """The fetched config to route with (kept for later steps), or None to use the stored
    copy, recording why the fetch failed."""
    if outcome is None or outcome.workflow_sid != workflow.sid:
        return None
    error = outcome.error
    if outcome.config is not None and outcome.text is not None:
        if await _queues_exist(unit, workspace, outcome.config):
            unit.add(
                TaskDocument(
                    task_sid=task.sid,
                    workflow_sid=workflow.sid,
                    configuration=outcome.text,
                    source_url=outcome.url,
                    fetched_at=svc.now(),
                )
            )
            return outcome.config
        error = "invalid document: it names a TaskQueue that no longer exists"
    record(
        unit,
        svc,
        workspace,
        FAILED_EVENT,
        Subject("workflow", workflow.sid, task_sid=task.sid, workflow_sid=workflow.sid),
        f"Fetching the routing document of Workflow {workflow.friendly_name} failed: {error}; "
        "the stored Configuration was used",
        {
            **task_fields(task, svc.now()),
            "workflow_name": workflow.friendly_name,
            "document_url": outcome.url,
            "error": error,
        },
    )
    return None
