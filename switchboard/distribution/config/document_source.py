"""Saving a workflow's remote-document settings (`DocumentUrl`, `UseStoredDocument`)."""

from __future__ import annotations

from switchboard.distribution.domain.records import Workflow
from switchboard.distribution.work.access import access_workflow, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel.errors import InvalidParameter


async def set_document_source(
    svc: Services,
    account_sid: str,
    workspace_sid: str,
    workflow_sid: str,
    *,
    document_url: str | None,
    use_stored_document: bool | None,
) -> Workflow:
    """None leaves a setting unchanged; an empty `document_url` removes it."""
    if document_url and not document_url.lower().startswith(("http://", "https://")):
        raise InvalidParameter(f"Invalid DocumentUrl: {document_url!r} is not an http(s) URL")
    async with svc.store.transaction(workspace_sid) as unit:
        workspace = await access_workspace(unit, account_sid, workspace_sid)
        workflow = await access_workflow(unit, workspace, workflow_sid)
        if document_url is not None:
            workflow.document_url = document_url or None
        if use_stored_document is not None:
            workflow.use_stored_document = use_stored_document
        workflow.date_updated = svc.now()
        return workflow
