"""Remote workflow documents: a workflow may fetch its routing document per task.

When a task enters a workflow that has a `DocumentUrl`, the task and the workspace's
queues and workers are POSTed (JSON, signed like Twilio signs JSON webhooks) to that
URL and the answer, validated with :func:`parse_configuration`, routes the task. The
fetch happens before the task's transaction (the workspace lock is never held during
network I/O); a timeout, an HTTP error or an invalid document falls back to the stored
`Configuration` and records a `workflow.document-fetch-failed` event.
`UseStoredDocument=true` skips the fetch whenever a stored copy exists.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.callbacks.outbound import Outbound, RefusedUrl
from switchboard.callbacks.signing import SIGNATURE_HEADER, signature, url_with_body_hash
from switchboard.domain import workflow as wf
from switchboard.domain.clock import now_ms
from switchboard.domain.errors import NotFound, SwitchboardError
from switchboard.services.access import access_workspace
from switchboard.services.accounts import signing_token
from switchboard.services.context import Services
from switchboard.services.event_data import task_fields
from switchboard.services.events import Subject, record
from switchboard.store import tables as t

FAILED_EVENT = "workflow.document-fetch-failed"


@dataclass(frozen=True)
class DocumentOutcome:
    """A fetched and validated document, or why there is none."""

    workflow_sid: str
    url: str
    text: str | None = None
    config: wf.WorkflowConfig | None = None
    error: str | None = None


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}


async def _workflow(
    session: AsyncSession, workspace_sid: str, workflow_sid: str | None
) -> t.Workflow | None:
    query = select(t.Workflow).where(t.Workflow.workspace_sid == workspace_sid)
    if workflow_sid is not None:
        return (await session.execute(query.where(t.Workflow.sid == workflow_sid))).scalar()
    rows = list((await session.execute(query.limit(2))).scalars())
    return rows[0] if len(rows) == 1 else None


async def _metadata(session: AsyncSession, workspace_sid: str) -> dict[str, Any]:
    """The queues and workers the document may refer to (their sids and attributes)."""
    queues = (
        await session.execute(select(t.TaskQueue).where(t.TaskQueue.workspace_sid == workspace_sid))
    ).scalars()
    names = select(t.Activity.sid, t.Activity.friendly_name).where(
        t.Activity.workspace_sid == workspace_sid
    )
    activities = {row[0]: row[1] for row in (await session.execute(names)).all()}
    workers = (
        await session.execute(select(t.Worker).where(t.Worker.workspace_sid == workspace_sid))
    ).scalars()
    return {
        "TaskQueues": [
            {
                "sid": q.sid,
                "friendly_name": q.friendly_name,
                "target_workers": q.target_workers,
                "task_order": q.task_order,
                "max_reserved_workers": q.max_reserved_workers,
            }
            for q in queues
        ],
        "Workers": [
            {
                "sid": w.sid,
                "friendly_name": w.friendly_name,
                "activity_sid": w.activity_sid,
                "activity_name": activities.get(w.activity_sid),
                "available": w.available,
                "attributes": _json(w.attributes),
            }
            for w in workers
        ],
    }


@asynccontextmanager
async def _client(svc: Services) -> AsyncIterator[Outbound]:
    """The engine's shared client, or a short-lived one (services used without the app)."""
    if svc.http is not None:
        yield svc.http
        return
    client = Outbound(svc.outbound)
    try:
        yield client
    finally:
        await client.close()


async def _fetch(svc: Services, account_sid: str, url: str, body: bytes) -> str:
    """POST the JSON body; the answer's text, or an exception saying what went wrong."""
    token = await signing_token(svc.store, account_sid)
    signed_url = url_with_body_hash(url, body)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[SIGNATURE_HEADER] = signature(token, signed_url, {})
    async with _client(svc) as client:
        response = await client.post(
            signed_url, timeout=svc.outbound.document_timeout, headers=headers, content=body
        )
    if response.status != 200:
        raise ValueError(f"the document URL answered HTTP {response.status}")
    if len(response.body) >= svc.outbound.max_response_bytes:
        raise ValueError("the document is too large")
    return response.text()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, SwitchboardError):
        return f"invalid document: {exc.message}"
    return f"{type(exc).__name__}: {exc}"[:500]


async def prefetch(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    task_sid: str,
    attributes: str,
    workflow_sid: str | None,
) -> DocumentOutcome | None:
    """Fetch the routing document for a task about to enter `workflow_sid` (or the only one).

    None when no fetch applies (no DocumentUrl, or UseStoredDocument with a stored copy).
    Never raises: the task's own transaction reports bad sids with the usual errors.
    """
    async with svc.store.read() as session:
        try:  # the same tenancy rule as the task's own transaction (parents reach children)
            workspace = await access_workspace(session, account_sid, workspace_sid)
        except NotFound:
            return None
        workflow = await _workflow(session, workspace_sid, workflow_sid)
        if workflow is None or not workflow.document_url:
            return None
        if workflow.use_stored_document and workflow.configuration:
            return None
        metadata = await _metadata(session, workspace_sid)
    body = {
        "AccountSid": workspace.account_sid,
        "WorkspaceSid": workspace_sid,
        "WorkflowSid": workflow.sid,
        "TaskSid": task_sid,
        "TaskAttributes": _json(attributes),
        **metadata,
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    url = workflow.document_url
    known = frozenset(queue["sid"] for queue in metadata["TaskQueues"])
    try:
        text = await _fetch(svc, account_sid, url, raw)
        config = wf.parse_configuration(text, known_queue_sids=known)
    except (
        RefusedUrl,
        TimeoutError,
        SwitchboardError,
        ValueError,
        OSError,
        httpx.HTTPError,
    ) as exc:
        return DocumentOutcome(workflow.sid, url, error=_describe(exc))
    return DocumentOutcome(workflow.sid, url, text=text, config=config)


async def _queues_exist(
    session: AsyncSession, workspace: t.Workspace, config: wf.WorkflowConfig
) -> bool:
    """Queues may have been deleted between the fetch and the transaction."""
    rows = await session.scalars(
        select(t.TaskQueue.sid).where(t.TaskQueue.workspace_sid == workspace.sid)
    )
    return config.queue_sids() <= frozenset(rows)


async def document_config(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    task: t.Task,
    workflow: t.Workflow,
    outcome: DocumentOutcome | None,
) -> wf.WorkflowConfig | None:
    """In the task's transaction: the fetched config to route with (kept for later steps),
    or None to use the stored copy, recording why the fetch failed."""
    if outcome is None or outcome.workflow_sid != workflow.sid:
        return None
    error = outcome.error
    if outcome.config is not None and outcome.text is not None:
        if await _queues_exist(session, workspace, outcome.config):
            session.add(
                t.TaskDocument(
                    task_sid=task.sid,
                    workflow_sid=workflow.sid,
                    configuration=outcome.text,
                    source_url=outcome.url,
                    fetched_at=now_ms(),
                )
            )
            return outcome.config
        error = "invalid document: it names a TaskQueue that no longer exists"
    await record(
        session,
        svc.bus,
        workspace,
        FAILED_EVENT,
        Subject("workflow", workflow.sid, task_sid=task.sid, workflow_sid=workflow.sid),
        f"Fetching the routing document of Workflow {workflow.friendly_name} failed: {error}; "
        "the stored Configuration was used",
        {
            **task_fields(task),
            "workflow_name": workflow.friendly_name,
            "document_url": outcome.url,
            "error": error,
        },
    )
    return None
