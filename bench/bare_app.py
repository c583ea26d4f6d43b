"""The HTTP baseline: a bare Starlette JSON endpoint (parses the form, answers 201 JSON)."""

from __future__ import annotations

import itertools

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_sids = itertools.count()


async def create_task(request: Request) -> Response:
    form = await request.form()
    body = {
        "sid": f"WT{next(_sids):032x}",
        "workspace_sid": request.path_params["workspace_sid"],
        "attributes": form.get("Attributes"),
        "workflow_sid": form.get("WorkflowSid"),
        "assignment_status": "pending",
    }
    return JSONResponse(body, status_code=201)


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/v1/Workspaces/{workspace_sid}/Tasks", create_task, methods=["POST"]),
        Route("/health", health),
    ]
)
