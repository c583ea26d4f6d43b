"""Fixtures for engine scenarios driven through the service layer, on every store adapter."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain.records import Activity, Event, Reservation
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.tasks import TaskCreate, create_task
from switchboard.distribution.work.workers import WorkerCreate, create_worker
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.criteria import asc, eq
from switchboard.kernel.ports import Store
from switchboard.tenancy.accounts import Accounts


@dataclass
class Center:
    """A workspace under test, with shortcuts that read like the scenario."""

    svc: Services
    dispatcher: Dispatcher
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
        await self.dispatcher.wait_idle()

    async def reservations(self, **where: Any) -> list[Reservation]:
        async with self.svc.store.read() as unit:
            criteria = [eq("workspace_sid", self.workspace_sid)]
            criteria += [eq(key, value) for key, value in where.items()]
            return await unit.select(Reservation, *criteria, order=[asc("date_created")])

    async def get(self, model: type[Any], sid: str) -> Any:
        async with self.svc.store.read() as unit:
            return await unit.get(model, sid)

    async def event_types(self) -> list[str]:
        async with self.svc.store.read() as unit:
            found = await unit.select(
                Event, eq("workspace_sid", self.workspace_sid), order=[asc("seq")]
            )
        return [event.event_type for event in found]

    async def advance(self, seconds: float) -> None:
        """Move the fake clock on; the timers that fall due run, then routing settles."""
        assert isinstance(self.svc.clock, FakeClock)
        self.svc.clock.advance(seconds)
        await self.settle()


@pytest.fixture
async def center(dispatcher: Dispatcher, accounts: Accounts, store: Store) -> Center:
    svc = dispatcher.svc
    account, _token = await accounts.create("test")
    workspace = await create_workspace(svc, account.sid, WorkspaceCreate("Test Center"))
    async with store.read() as unit:
        rows = await unit.select(Activity, eq("workspace_sid", workspace.sid))
    activities = {a.friendly_name: a.sid for a in rows}
    return Center(svc, dispatcher, account.sid, workspace.sid, activities)
