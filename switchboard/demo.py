"""Demo data for `switchboard serve --demo`: an account and a small, working contact center."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain.records import Activity, Worker, Workflow, Workspace
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.workers import WorkerCreate, create_worker
from switchboard.kernel.criteria import eq
from switchboard.pages_bridge import DistributionFloor
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.domain.records import Account
from switchboard.web.domain.people import AGENT, SUPERVISOR
from switchboard.web.people import NewUser, People

DEMO_ACCOUNT = "Switchboard Demo"
DEMO_WORKSPACE = "Demo Contact Center"


@dataclass(frozen=True)
class DemoCredentials:
    account_sid: str
    auth_token: str
    workspace_sid: str
    workflow_sid: str


async def ensure_demo(svc: Services, accounts: Accounts) -> DemoCredentials:
    """Create the demo tenant once; every later start prints the same credentials, so SDK
    scripts, minted worker tokens and callback signatures keep working across restarts."""
    async with svc.store.read() as unit:
        account = await unit.first(Account, eq("friendly_name", DEMO_ACCOUNT))
    if account is None:
        account, token = await accounts.create(DEMO_ACCOUNT)
        workspace_sid, workflow_sid = await _build_workspace(svc, account.sid)
    else:
        token = await accounts.signing_token(account.sid) or await accounts.rotate_token(
            account.sid
        )
        workspace_sid, workflow_sid = await _find_workspace(svc, account.sid)
    return DemoCredentials(account.sid, token, workspace_sid, workflow_sid)


async def _find_workspace(svc: Services, account_sid: str) -> tuple[str, str]:
    async with svc.store.read() as unit:
        workspace = await unit.first(
            Workspace, eq("account_sid", account_sid), eq("friendly_name", DEMO_WORKSPACE)
        )
        if workspace is None:
            return await _build_workspace(svc, account_sid)
        workflow = await unit.first(Workflow, eq("workspace_sid", workspace.sid))
    return workspace.sid, workflow.sid if workflow else ""


async def _build_workspace(svc: Services, account_sid: str) -> tuple[str, str]:
    """Two skills queues, an overflow queue, and a workflow whose targets expand after 30 s."""
    workspace = await create_workspace(svc, account_sid, WorkspaceCreate(DEMO_WORKSPACE))
    ws = workspace.sid
    async with svc.store.read() as unit:
        activity = await unit.first(
            Activity, eq("workspace_sid", ws), eq("friendly_name", "Available")
        )
    available = activity.sid if activity else None
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


# --- people of the pages (issue 16) --------------------------------------------------------

DEMO_PEOPLE = (
    ("supervisor@demo.example", "Sam Supervisor", SUPERVISOR, None),
    ("alice@demo.example", "Alice", AGENT, "Alice"),
)


async def ensure_demo_people(svc: Services, creds: DemoCredentials) -> dict[str, str]:
    """A supervisor and the agent Alice; like the auth token, a fresh password on every start
    (returned by e-mail, to print: the store keeps only their hashes)."""
    people = People(svc.store, svc.clock, DistributionFloor(svc))
    existing = {u.email: u for u in await people.users(creds.account_sid)}
    passwords = {}
    for email, name, role, worker_name in DEMO_PEOPLE:
        password = secrets.token_urlsafe(12)
        user = existing.get(email)
        if user is None:
            worker_sid = await _worker_sid(svc, creds.workspace_sid, worker_name)
            new = NewUser(creds.account_sid, email, name, role, password, worker_sid)
            user = await people.create(new)
        else:
            await people.set_password(user.sid, password)
        passwords[user.email] = password
    return passwords


async def _worker_sid(svc: Services, workspace_sid: str, name: str | None) -> str | None:
    if name is None:
        return None
    async with svc.store.read() as unit:
        worker = await unit.first(
            Worker, eq("workspace_sid", workspace_sid), eq("friendly_name", name)
        )
    return worker.sid if worker else None
