"""Demo data for `switchboard serve --demo`: an account and a small, working contact center."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from switchboard.services import accounts
from switchboard.services.context import Services
from switchboard.services.task_queues import TaskQueueFields, create_task_queue
from switchboard.services.workers import WorkerCreate, create_worker
from switchboard.services.workflows import WorkflowFields, create_workflow
from switchboard.services.workspaces import WorkspaceCreate, create_workspace
from switchboard.store import tables as t

DEMO_ACCOUNT = "Switchboard Demo"
DEMO_WORKSPACE = "Demo Contact Center"


@dataclass(frozen=True)
class DemoCredentials:
    account_sid: str
    auth_token: str
    workspace_sid: str
    workflow_sid: str


async def ensure_demo(svc: Services) -> DemoCredentials:
    """Create the demo tenant once; on every start issue it a fresh auth token to print."""
    async with svc.store.read() as session:
        account = await session.scalar(
            select(t.Account).where(t.Account.friendly_name == DEMO_ACCOUNT)
        )
    if account is None:
        account, token = await accounts.create_account(svc.store, DEMO_ACCOUNT)
        workspace_sid, workflow_sid = await _build_workspace(svc, account.sid)
    else:
        token = await accounts.rotate_token(svc.store, account.sid)
        workspace_sid, workflow_sid = await _find_workspace(svc, account.sid)
    return DemoCredentials(account.sid, token, workspace_sid, workflow_sid)


async def _find_workspace(svc: Services, account_sid: str) -> tuple[str, str]:
    async with svc.store.read() as session:
        workspace = await session.scalar(
            select(t.Workspace).where(
                t.Workspace.account_sid == account_sid, t.Workspace.friendly_name == DEMO_WORKSPACE
            )
        )
        if workspace is None:
            return await _build_workspace(svc, account_sid)
        workflow = await session.scalar(
            select(t.Workflow.sid).where(t.Workflow.workspace_sid == workspace.sid)
        )
    return workspace.sid, workflow or ""


async def _build_workspace(svc: Services, account_sid: str) -> tuple[str, str]:
    """Two skills queues, an overflow queue, and a workflow whose targets expand after 30 s."""
    workspace = await create_workspace(svc, account_sid, WorkspaceCreate(DEMO_WORKSPACE))
    ws = workspace.sid
    async with svc.store.read() as session:
        available = await session.scalar(
            select(t.Activity.sid).where(
                t.Activity.workspace_sid == ws, t.Activity.friendly_name == "Available"
            )
        )
    queues = {}
    for name, expression in (
        ("Support", "skills HAS 'support'"),
        ("Sales", "skills HAS 'sales'"),
        ("Everyone", "1==1"),
    ):
        queue = await create_task_queue(
            svc, account_sid, ws, TaskQueueFields(friendly_name=name, target_workers=expression)
        )
        queues[name] = queue.sid
    for name, skills, language in (
        ("Alice", ["support"], "en"),
        ("Bob", ["sales"], "es"),
        ("Carol", ["support", "sales"], "en"),
    ):
        attributes = json.dumps({"skills": skills, "languages": [language]})
        await create_worker(svc, account_sid, ws, WorkerCreate(name, available, attributes))
    routing = {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Support",
                    "expression": "type == 'support'",
                    "targets": [
                        {"queue": queues["Support"], "timeout": 30},
                        {"queue": queues["Everyone"]},
                    ],
                },
                {
                    "filter_friendly_name": "Sales",
                    "expression": "type == 'sales'",
                    "targets": [{"queue": queues["Sales"], "priority": 10}],
                },
            ],
            "default_filter": {"queue": queues["Everyone"]},
        }
    }
    workflow = await create_workflow(
        svc,
        account_sid,
        ws,
        WorkflowFields(friendly_name="Demo Workflow", configuration=json.dumps(routing)),
    )
    return ws, workflow.sid
