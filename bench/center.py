"""A bench contact center in a SQLite file, set up through the service layer (no routing)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from switchboard.database import upgrade
from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain.records import Activity
from switchboard.distribution.work.workers import WorkerCreate, create_worker
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Store
from switchboard.runtime import Core, build_core
from switchboard.settings import Settings


@dataclass(frozen=True)
class Center:
    database_url: str
    account_sid: str
    token: str
    workspace_sid: str
    workflow_sid: str
    worker_sids: tuple[str, ...]

    @property
    def tasks_path(self) -> str:
        return f"/v1/Workspaces/{self.workspace_sid}/Tasks"


def ensure_secret_key() -> None:
    """Bench servers and this process share one key; nothing is written to ./var."""
    os.environ.setdefault("SWITCHBOARD_SECRET_KEY", Fernet.generate_key().decode())


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _activity(store: Store, workspace_sid: str, name: str = "Available") -> str:
    async with store.read() as unit:
        activity = await unit.first(
            Activity, eq("workspace_sid", workspace_sid), eq("friendly_name", name)
        )
    assert activity is not None
    return activity.sid


def open_core(url: str) -> Core:
    """The store, accounts and services of a bench database (no dispatcher: nothing is routed)."""
    ensure_secret_key()
    return build_core(Settings(database_url=url))


async def create_center(
    path: Path,
    workers: int,
    *,
    multi_task: bool = True,
    attributes: Callable[[int], dict[str, Any]] | None = None,
    target: str | None = None,
    offline: int = 0,
    skip_if: str | None = None,
    no_agent_timeout: int | None = None,
) -> Center:
    """Account, workspace, one `1==1` queue, a workflow to it and `workers` workers, the
    first `offline` of them Offline, the rest Available (attributes `{"n": index}` unless
    `attributes` says otherwise; `target`: the workflow's target expression, if any;
    `skip_if`: a filter before the default one, to the same queue, with that skip_if;
    `no_agent_timeout`: the default target's, in seconds)."""
    return await create_center_at(
        sqlite_url(path),
        workers,
        multi_task=multi_task,
        attributes=attributes,
        target=target,
        offline=offline,
        skip_if=skip_if,
        no_agent_timeout=no_agent_timeout,
    )


async def create_center_at(
    url: str,
    workers: int,
    *,
    multi_task: bool = True,
    attributes: Callable[[int], dict[str, Any]] | None = None,
    target: str | None = None,
    offline: int = 0,
    skip_if: str | None = None,
    no_agent_timeout: int | None = None,
) -> Center:
    """The same center in any database (PostgreSQL for the scale-out benchmark)."""
    core = open_core(url)
    store = core.store
    try:
        await upgrade(store)
        svc = core.services
        account, token = await core.accounts.create("bench")
        workspace = await create_workspace(
            svc, account.sid, WorkspaceCreate("Bench", multi_task_enabled=multi_task)
        )
        queue = await create_task_queue(
            svc, account.sid, workspace.sid, TaskQueueFields("All", "1==1")
        )
        default: dict[str, str | int] = {"queue": queue.sid}
        if target is not None:
            default["expression"] = target
        if no_agent_timeout is not None:
            default["no_agent_timeout"] = no_agent_timeout
        filters = []
        if skip_if is not None:
            first = {"queue": queue.sid, "skip_if": skip_if}
            filters.append(
                {"filter_friendly_name": "first", "expression": "1==1", "targets": [first]}
            )
        routing = {"task_routing": {"filters": filters, "default_filter": default}}
        fields = WorkflowFields("Bench", json.dumps(routing), task_reservation_timeout=120)
        workflow = await create_workflow(svc, account.sid, workspace.sid, fields)
        available = await _activity(store, workspace.sid)
        away = await _activity(store, workspace.sid, "Offline")
        sids = []
        for index in range(workers):
            worker_fields = {"n": index} if attributes is None else attributes(index)
            activity = away if index < offline else available
            params = WorkerCreate(f"bench-{index}", activity, json.dumps(worker_fields))
            sids.append((await create_worker(svc, account.sid, workspace.sid, params)).sid)
    finally:
        await core.close()
    return Center(url, account.sid, token, workspace.sid, workflow.sid, tuple(sids))
