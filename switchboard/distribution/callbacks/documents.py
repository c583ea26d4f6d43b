"""Remote workflow documents: a workflow may fetch its routing document per task.

When a task enters a workflow that has a `DocumentUrl`, the task and the workspace's
queues and workers are POSTed (JSON, signed like Twilio signs JSON webhooks) to that
URL and the answer, validated with :func:`parse_configuration`, routes the task. The
fetch happens before the task's transaction (the workspace lock is never held during
network I/O); a timeout, an HTTP error or an invalid document falls back to the stored
`Configuration` and records a `workflow.document-fetch-failed` event (see
:mod:`switchboard.distribution.work.documents`). `UseStoredDocument=true` skips the
fetch whenever a stored copy exists.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.records import (
    Activity,
    TaskQueue,
    Worker,
    Workflow,
)
from switchboard.distribution.work.access import access_workspace
from switchboard.distribution.work.documents import DocumentOutcome
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import NotFound, SwitchboardError
from switchboard.kernel.ports import SigningKeys, Store, Unit
from switchboard.outbound.client import Outbound, RefusedUrl
from switchboard.outbound.settings import OutboundSettings
from switchboard.outbound.signing import SIGNATURE_HEADER, signature, url_with_body_hash


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}


async def _workflow(unit: Unit, workspace_sid: str, workflow_sid: str | None) -> Workflow | None:
    if workflow_sid is not None:
        found = await unit.get(Workflow, workflow_sid)  # a copy the store keeps: no query
        return found if found is not None and found.workspace_sid == workspace_sid else None
    rows = await unit.select(Workflow, eq("workspace_sid", workspace_sid))
    return rows[0] if len(rows) == 1 else None


async def _metadata(unit: Unit, workspace_sid: str) -> dict[str, Any]:
    """The queues and workers the document may refer to (their sids and attributes)."""
    mine = eq("workspace_sid", workspace_sid)
    queues = await unit.select(TaskQueue, mine)
    activities = {a.sid: a.friendly_name for a in await unit.select(Activity, mine)}
    workers = await unit.select(Worker, mine)
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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, SwitchboardError):
        return f"invalid document: {exc.message}"
    return f"{type(exc).__name__}: {exc}"[:500]


class HttpDocumentSource:
    """The :class:`~switchboard.kernel.ports.DocumentSource` that asks the customer's URL."""

    def __init__(
        self, store: Store, keys: SigningKeys, client: Outbound, settings: OutboundSettings
    ) -> None:
        self.store = store
        self.keys = keys
        self.client = client
        self.settings = settings

    async def _fetch(self, account_sid: str, url: str, body: bytes) -> str:
        """POST the JSON body; the answer's text, or an exception saying what went wrong."""
        token = await self.keys.signing_token(account_sid)
        signed_url = url_with_body_hash(url, body)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers[SIGNATURE_HEADER] = signature(token, signed_url, {})
        response = await self.client.post(
            signed_url, timeout=self.settings.document_timeout, headers=headers, content=body
        )
        if response.status != 200:
            raise ValueError(f"the document URL answered HTTP {response.status}")
        if len(response.body) >= self.settings.max_response_bytes:
            raise ValueError("the document is too large")
        return response.text()

    async def prefetch(
        self,
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
        async with self.store.read() as unit:
            try:  # the same tenancy rule as the task's own transaction (parents reach children)
                workspace = await access_workspace(unit, account_sid, workspace_sid)
            except NotFound:
                return None
            workflow = await _workflow(unit, workspace_sid, workflow_sid)
            if workflow is None or not workflow.document_url:
                return None
            if workflow.use_stored_document and workflow.configuration:
                return None
            metadata = await _metadata(unit, workspace_sid)
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
            text = await self._fetch(account_sid, url, raw)
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
