"""Fixtures for engine scenarios driven through the service layer on a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from switchboard.services import accounts
from switchboard.services.context import Services
from switchboard.services.router import Router
from switchboard.services.task_queues import TaskQueueFields, create_task_queue
from switchboard.services.tasks import TaskCreate, create_task
from switchboard.services.workers import WorkerCreate, create_worker
from switchboard.services.workflows import WorkflowFields, create_workflow
from switchboard.services.workspaces import WorkspaceCreate, create_workspace
from switchboard.store import tables as t
from switchboard.store.database import Store
from tests.databases import migrated_store


@dataclass
class Center:
    """A workspace under test, with shortcuts that read like the scenario."""

    svc: Services
    router: Router
    account_sid: str
    workspace_sid: str
    activities: dict[str, str] = field(default_factory=dict)

    async def queue(self, name: str, target_workers: str = "1==1", **kw: Any) -> str:
        fields = TaskQueueFields(friendly_name=name, target_workers=target_workers, **kw)
        return (await create_task_queue(self.svc, self.account_sid, self.workspace_sid, fields)).sid

    async def workflow(self, routing: dict[str, Any], timeout: int = 120) -> str:
        fields = WorkflowFields(
            friendly_name="wf", configuration=json.dumps(routing), task_reservation_timeout=timeout
        )
        return (await create_workflow(self.svc, self.account_sid, self.workspace_sid, fields)).sid

    async def worker(self, name: str, activity: str = "Available", **attributes: Any) -> str:
        params = WorkerCreate(name, self.activities[activity], json.dumps(attributes))
        return (await create_worker(self.svc, self.account_sid, self.workspace_sid, params)).sid

    async def task(self, workflow_sid: str, **attributes: Any) -> str:
        params = TaskCreate(attributes=json.dumps(attributes), workflow_sid=workflow_sid)
        return (await create_task(self.svc, self.account_sid, self.workspace_sid, params)).sid

    async def settle(self) -> None:
        await self.router.wait_idle()

    async def reservations(self, **where: Any) -> list[t.Reservation]:
        async with self.svc.store.read() as session:
            query = select(t.Reservation).where(t.Reservation.workspace_sid == self.workspace_sid)
            for key, value in where.items():
                query = query.where(getattr(t.Reservation, key) == value)
            return list(
                (await session.execute(query.order_by(t.Reservation.date_created))).scalars()
            )

    async def get(self, model: type[Any], sid: str) -> Any:
        async with self.svc.store.read() as session:
            return await session.get(model, sid)

    async def event_types(self) -> list[str]:
        async with self.svc.store.read() as session:
            query = select(t.Event.event_type).where(t.Event.workspace_sid == self.workspace_sid)
            return list((await session.execute(query.order_by(t.Event.seq))).scalars())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The same scenarios run on SQLite and on PostgreSQL."""
    async with migrated_store(request.param, tmp_path) as store:
        yield store


@pytest.fixture
async def center(store: Store) -> AsyncIterator[Center]:
    svc = Services(store=store)
    router = Router(svc)
    svc.poke = router.poke
    account, _token = await accounts.create_account(store, "test")
    workspace = await create_workspace(svc, account.sid, WorkspaceCreate("Test Center"))
    async with store.read() as session:
        rows = await session.execute(
            select(t.Activity).where(t.Activity.workspace_sid == workspace.sid)
        )
        activities = {a.friendly_name: a.sid for a in rows.scalars()}
    yield Center(svc, router, account.sid, workspace.sid, activities)
    await router.stop()
