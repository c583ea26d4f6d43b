"""`/v1/Workspaces/{ws}/Workflows[/{Sid}]` (statistics sub-resources live elsewhere)."""

from __future__ import annotations

from fastapi import Depends, Response

from switchboard.distribution.api import serializers as ser
from switchboard.distribution.api.routes.common import (
    NAME_LENGTH,
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_query,
)
from switchboard.distribution.config import workflows as service
from switchboard.distribution.config.document_source import set_document_source
from switchboard.distribution.domain.records import Workflow
from switchboard.distribution.work.access import access_workflow
from switchboard.wire.params import Params
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Workflows")
MAX_CONFIGURATION = 1_048_576
MAX_RESERVATION_TIMEOUT = 86_400


async def _render(ctx: Ctx, workspace_sid: str, workflow: Workflow, status: int = 200) -> Response:
    workspace = await ctx.workspace(workspace_sid)
    return json_response(ser.workflow(workflow, workspace, ctx.base), status)


@router.get("")
async def list_workflows(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    query = service.workflows_query(workspace_sid, ctx.params.string("FriendlyName"))
    async with ctx.reading(workspace_sid) as (unit, workspace):
        page = await page_from_query(ctx, unit, query)
    records = [ser.workflow(row, workspace, ctx.base) for row in page.records]
    return list_response(ctx, "workflows", page, records)


def _fields(p: Params, *, creating: bool) -> service.WorkflowFields:
    return service.WorkflowFields(
        friendly_name=p.string("FriendlyName", required=creating, max_length=NAME_LENGTH) or None,
        configuration=p.string("Configuration", required=creating, max_length=MAX_CONFIGURATION),
        assignment_callback_url=p.url("AssignmentCallbackUrl"),
        fallback_assignment_callback_url=p.url("FallbackAssignmentCallbackUrl"),
        task_reservation_timeout=p.integer("TaskReservationTimeout", 1, MAX_RESERVATION_TIMEOUT),
        re_evaluate_tasks=False if creating else bool(p.boolean("ReEvaluateTasks")),
    )


async def _document_source(
    ctx: Ctx, workspace_sid: str, workflow: Workflow, source: tuple[str | None, bool | None]
) -> Workflow:
    """Extension: `DocumentUrl` and `UseStoredDocument` (remote routing documents)."""
    url, use_stored = source
    if url is None and use_stored is None:
        return workflow
    return await set_document_source(
        ctx.svc,
        ctx.account_sid,
        workspace_sid,
        workflow.sid,
        document_url=url,
        use_stored_document=use_stored,
    )


def _source(p: Params) -> tuple[str | None, bool | None]:
    return p.url("DocumentUrl"), p.boolean("UseStoredDocument")


@router.post("")
async def create_workflow(workspace_sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields, source = _fields(ctx.params, creating=True), _source(ctx.params)
    workflow = await service.create_workflow(ctx.svc, ctx.account_sid, workspace_sid, fields)
    workflow = await _document_source(ctx, workspace_sid, workflow, source)
    return await _render(ctx, workspace_sid, workflow, 201)


@router.get("/{sid:ww}")
async def fetch_workflow(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    async with ctx.reading(workspace_sid) as (unit, workspace):
        workflow = await access_workflow(unit, workspace, sid)
    return json_response(ser.workflow(workflow, workspace, ctx.base))


@router.post("/{sid:ww}")
async def update_workflow(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields, source = _fields(ctx.params, creating=False), _source(ctx.params)
    workflow = await service.update_workflow(ctx.svc, ctx.account_sid, workspace_sid, sid, fields)
    workflow = await _document_source(ctx, workspace_sid, workflow, source)
    return await _render(ctx, workspace_sid, workflow)


@router.delete("/{sid:ww}")
async def delete_workflow(workspace_sid: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    await service.delete_workflow(ctx.svc, ctx.account_sid, workspace_sid, sid)
    return no_content()
