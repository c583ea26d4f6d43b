"""A workspace driven through the HTTP API, plus the row edits that pin instants down.

Statistics are about time. Scenarios run for real (the dispatcher reserves, the
API accepts and cancels) and afterwards the instants of chosen events are set
to known values, so the expected figures can be worked out by hand.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchboard.distribution.domain.records import Event, Worker
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.journal.queries import event_sid_is
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Store
from tests.api.helpers import SPEC, activity_sids, create, create_workspace, listing, ok

ALL_TIME = "2000-01-01T00:00:00Z"
STATS_SCHEMAS = {
    "workspace": "taskrouter.v1.workspace.workspace_statistics",
    "workspace_cumulative": "taskrouter.v1.workspace.workspace_cumulative_statistics",
    "workspace_realtime": "taskrouter.v1.workspace.workspace_real_time_statistics",
    "queue": "taskrouter.v1.workspace.task_queue.task_queue_statistics",
    "queue_cumulative": "taskrouter.v1.workspace.task_queue.task_queue_cumulative_statistics",
    "queue_realtime": "taskrouter.v1.workspace.task_queue.task_queue_real_time_statistics",
    "queues_list_item": "taskrouter.v1.workspace.task_queue.task_queues_statistics",
    "queue_bulk": "taskrouter.v1.workspace.task_queue.task_queue_bulk_real_time_statistics",
    "workflow": "taskrouter.v1.workspace.workflow.workflow_statistics",
    "workflow_cumulative": "taskrouter.v1.workspace.workflow.workflow_cumulative_statistics",
    "workflow_realtime": "taskrouter.v1.workspace.workflow.workflow_real_time_statistics",
    "workers": "taskrouter.v1.workspace.worker.worker_statistics",
    "workers_cumulative": "taskrouter.v1.workspace.worker.workers_cumulative_statistics",
    "workers_realtime": "taskrouter.v1.workspace.worker.workers_real_time_statistics",
    "worker": "taskrouter.v1.workspace.worker.worker_instance_statistics",
}


def spec_properties(name: str) -> set[str]:
    spec = json.loads(SPEC.read_text())
    return set(spec["components"]["schemas"][STATS_SCHEMAS[name]]["properties"])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Scene:
    """One workspace under test and shortcuts that read like the scenario."""

    client: httpx.AsyncClient
    dispatcher: Dispatcher
    store: Store
    workspace: dict[str, Any]
    activities: dict[str, str] = field(default_factory=dict)

    @property
    def sid(self) -> str:
        return str(self.workspace["sid"])

    @property
    def url(self) -> str:
        return str(self.workspace["url"])

    async def worker(self, name: str, activity: str = "Available", **attributes: Any) -> str:
        body = await create(
            self.client,
            f"{self.url}/Workers",
            FriendlyName=name,
            ActivitySid=self.activities[activity],
            Attributes=json.dumps(attributes),
        )
        return str(body["sid"])

    async def queue(self, name: str, target_workers: str = "1==1") -> str:
        body = await create(
            self.client, f"{self.url}/TaskQueues", FriendlyName=name, TargetWorkers=target_workers
        )
        return str(body["sid"])

    async def workflow(self, routing: dict[str, Any], name: str = "Main") -> str:
        body = await create(
            self.client,
            f"{self.url}/Workflows",
            FriendlyName=name,
            Configuration=json.dumps(routing),
            TaskReservationTimeout="3600",
        )
        return str(body["sid"])

    async def task(self, workflow_sid: str, channel: str | None = None, **attributes: Any) -> str:
        params = {"WorkflowSid": workflow_sid, "Attributes": json.dumps(attributes)}
        if channel is not None:
            params["TaskChannel"] = channel
        body = await create(self.client, f"{self.url}/Tasks", **params)
        return str(body["sid"])

    async def settle(self) -> None:
        await self.dispatcher.wait_idle()

    async def pending_reservation(self, task_sid: str) -> str:
        await self.settle()
        [reservation] = await listing(
            self.client, f"{self.url}/Tasks/{task_sid}/Reservations", ReservationStatus="pending"
        )
        return str(reservation["sid"])

    async def answer(self, task_sid: str, status: str, **params: str) -> str:
        """Accept or reject the task's pending reservation; returns its sid."""
        reservation = await self.pending_reservation(task_sid)
        url = f"{self.url}/Tasks/{task_sid}/Reservations/{reservation}"
        ok(await self.client.post(url, data={"ReservationStatus": status, **params}))
        return reservation

    async def update_task(self, task_sid: str, **params: str) -> None:
        ok(await self.client.post(f"{self.url}/Tasks/{task_sid}", data=params))

    async def move_worker(self, worker_sid: str, activity: str) -> None:
        data = {"ActivitySid": self.activities[activity]}
        ok(await self.client.post(f"{self.url}/Workers/{worker_sid}", data=data))

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        return ok(await self.client.get(f"{self.url}/{path}", params=params))

    async def events(self, **filters: str) -> list[dict[str, Any]]:
        """Every event of the workspace so far, oldest first."""
        return await listing(
            self.client, f"{self.url}/Events", StartDate=ALL_TIME, PageSize=1000, **filters
        )

    async def event(self, event_type: str, task_sid: str) -> dict[str, Any]:
        [found] = await self.events(EventType=event_type, TaskSid=task_sid)
        return found

    async def retime(self, dates: dict[str, int]) -> None:
        """Set the instant (epoch ms) of events, by event sid."""
        async with self.store.transaction() as unit:
            for sid, instant in dates.items():
                await unit.update_where(Event, {"event_date": instant}, event_sid_is(sid))

    async def retime_all(self, instant: int) -> None:
        """Move every event of the workspace to one instant (then pin the interesting ones)."""
        async with self.store.transaction() as unit:
            await unit.update_where(Event, {"event_date": instant}, eq("workspace_sid", self.sid))

    async def set_event_data(self, sid: str, **fields: Any) -> None:
        async with self.store.transaction() as unit:
            row = await unit.first(Event, event_sid_is(sid))
            assert row is not None
            row.event_data = json.dumps({**json.loads(row.event_data), **fields})

    async def set_worker_since(self, worker_sid: str, instant: int) -> None:
        """When the worker entered its current activity."""
        async with self.store.transaction() as unit:
            await unit.update_where(Worker, {"date_status_changed": instant}, eq("sid", worker_sid))

    async def advance(self, seconds: float) -> None:
        """Move the dispatcher's fake clock on: the timers that fall due run, routing settles."""
        clock = self.dispatcher.svc.clock
        assert isinstance(clock, FakeClock)
        clock.advance(seconds)
        await self.settle()


async def new_scene(client: httpx.AsyncClient, dispatcher: Dispatcher, store: Store) -> Scene:
    workspace = await create_workspace(client)
    scene = Scene(client, dispatcher, store, workspace)
    scene.activities = await activity_sids(client, scene.url)
    return scene


def iso(ms: int) -> str:
    """What the API accepts and shows: whole seconds, UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))
