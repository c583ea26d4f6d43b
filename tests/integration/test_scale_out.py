"""Three server processes on one PostgreSQL: kill the owner mid-run, lose nothing.

Tasks are created through all three processes concurrently while simulated agents
accept and complete whatever is offered (through whichever process is alive). Half
way through, the process that owns the workspace's routing is killed with SIGKILL.
Afterwards the database must show: every task assigned and completed exactly once,
no worker ever holding more reservations than its capacity, no task lost.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
from websockets.asyncio.client import connect

from tests.databases import create_postgres_database, drop_postgres_database, require_postgres
from tests.live import LiveServer, create_account

TASKS = 2000
WORKERS = 20
CAPACITY = 3

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(400)]


class Cluster:
    """The live processes, and a client that fails over between them."""

    def __init__(self, servers: list[LiveServer], auth: tuple[str, str]) -> None:
        self.servers = servers
        self.client = httpx.AsyncClient(auth=auth, timeout=20)
        self._turn = itertools.count()

    def alive(self) -> list[LiveServer]:
        return [s for s in self.servers if s.process is not None and s.process.poll() is None]

    async def call(self, method: str, path: str, **form: Any) -> httpx.Response:
        for _attempt in range(6):
            alive = self.alive()
            server = alive[next(self._turn) % len(alive)]
            try:
                return await self.client.request(
                    method, f"{server.base_url}/v1/Workspaces{path}", data=form or None
                )
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise AssertionError(f"no live server answered {method} {path}")

    async def post(self, path: str, **form: Any) -> dict[str, Any]:
        response = await self.call("POST", path, **form)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def owner_of(self, workspace_sid: str) -> LiveServer | None:
        for server in self.alive():
            url = f"{server.base_url}/v1/Workspaces/{workspace_sid}/Routing"
            if (await self.client.get(url)).json()["routed_here"]:
                return server
        return None


@pytest.fixture
async def database() -> AsyncIterator[str]:
    await require_postgres()
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


@pytest.fixture
def servers(database: str, tmp_path: Path) -> Iterator[list[LiveServer]]:
    started = [LiveServer(database, tmp_path / f"server{i}.log") for i in range(3)]
    for server in started:
        server.start()
    yield started
    for server in started:
        server.stop()


async def _set_up(cluster: Cluster) -> tuple[str, str]:
    ws = (await cluster.post("", FriendlyName="Scale"))["sid"]
    activities = (await cluster.call("GET", f"/{ws}/Activities")).json()["activities"]
    available = next(a["sid"] for a in activities if a["friendly_name"] == "Available")
    queue = (await cluster.post(f"/{ws}/TaskQueues", FriendlyName="All"))["sid"]
    routing = {"task_routing": {"default_filter": {"queue": queue}}}
    wf = (
        await cluster.post(
            f"/{ws}/Workflows",
            FriendlyName="wf",
            Configuration=json.dumps(routing),
            TaskReservationTimeout=30,
        )
    )["sid"]
    for i in range(WORKERS):
        worker = (
            await cluster.post(f"/{ws}/Workers", FriendlyName=f"agent{i}", ActivitySid=available)
        )["sid"]
        await cluster.post(f"/{ws}/Workers/{worker}/Channels/default", Capacity=CAPACITY)
    return ws, wf


async def _create_tasks(cluster: Cluster, ws: str, wf: str, created: list[str]) -> None:
    async def one(i: int) -> None:
        task = await cluster.post(f"/{ws}/Tasks", WorkflowSid=wf, Attributes=json.dumps({"n": i}))
        created.append(task["sid"])

    semaphore = asyncio.Semaphore(24)

    async def bounded(i: int) -> None:
        async with semaphore:
            await one(i)

    await asyncio.gather(*(bounded(i) for i in range(TASKS)))


async def _agents(cluster: Cluster, db: asyncpg.Pool, ws: str, stop: asyncio.Event) -> None:
    """Accept and complete every pending reservation, like agents at their desks."""
    semaphore = asyncio.Semaphore(16)

    async def handle(task_sid: str, reservation_sid: str) -> None:
        async with semaphore:
            accepted = await cluster.call(
                "POST",
                f"/{ws}/Tasks/{task_sid}/Reservations/{reservation_sid}",
                ReservationStatus="accepted",
            )
            if accepted.status_code == 200:
                await cluster.call(
                    "POST", f"/{ws}/Tasks/{task_sid}", AssignmentStatus="completed", Reason="done"
                )

    while not stop.is_set():
        rows = await db.fetch(
            "SELECT task_sid, sid FROM reservations "
            "WHERE workspace_sid = $1 AND status = 'pending'",
            ws,
        )
        await asyncio.gather(*(handle(r["task_sid"], r["sid"]) for r in rows))
        await asyncio.sleep(0.05)


async def _wait_all_completed(db: asyncpg.Pool, ws: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        open_tasks = await db.fetchval(
            "SELECT count(*) FROM tasks WHERE workspace_sid = $1 "
            "AND assignment_status <> 'completed'",
            ws,
        )
        if open_tasks == 0:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{open_tasks} tasks still open after {timeout}s")


def _max_overlap(intervals: list[tuple[int, int]]) -> int:
    """Most reservations one worker held at any instant (an end frees before a start)."""
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    held = peak = 0
    for _instant, delta in points:
        held += delta
        peak = max(peak, held)
    return peak


async def test_three_processes_survive_the_owner_being_killed(
    servers: list[LiveServer], database: str
) -> None:
    auth = create_account(database)
    cluster = Cluster(servers, auth)
    db = await asyncpg.create_pool(
        database.replace("postgresql+asyncpg://", "postgresql://"), min_size=2, max_size=4
    )
    stop = asyncio.Event()
    created: list[str] = []
    try:
        ws, wf = await _set_up(cluster)
        agents = asyncio.create_task(_agents(cluster, db, ws, stop))
        producing = asyncio.create_task(_create_tasks(cluster, ws, wf, created))
        while len(created) < TASKS // 3:
            await asyncio.sleep(0.05)
        owner = await cluster.owner_of(ws)
        assert owner is not None, "some process must own the workspace's routing"
        owner.kill()
        await producing
        await _wait_all_completed(db, ws, timeout=180)
        stop.set()
        await agents
        new_owner = await cluster.owner_of(ws)
        assert new_owner is not None and new_owner is not owner

        tasks = {
            r["sid"]: r["assignment_status"]
            for r in await db.fetch(
                "SELECT sid, assignment_status FROM tasks WHERE workspace_sid = $1", ws
            )
        }
        assert set(created) <= set(tasks), "a task acknowledged with 201 was lost"
        assert set(tasks.values()) == {"completed"}
        assigned = await db.fetch(
            "SELECT task_sid, count(*) AS n FROM reservations WHERE workspace_sid = $1 "
            "AND status IN ('accepted', 'wrapping', 'completed') GROUP BY task_sid",
            ws,
        )
        assert len(assigned) == len(tasks)
        assert {r["n"] for r in assigned} == {1}, "a task was assigned twice"
        rows = await db.fetch(
            "SELECT worker_sid, date_created, date_updated FROM reservations "
            "WHERE workspace_sid = $1",
            ws,
        )
        by_worker: dict[str, list[tuple[int, int]]] = {}
        for row in rows:
            by_worker.setdefault(row["worker_sid"], []).append(
                (row["date_created"], row["date_updated"])
            )
        assert max(_max_overlap(spans) for spans in by_worker.values()) <= CAPACITY
    finally:
        stop.set()
        await db.close()
        await cluster.client.aclose()


async def test_a_configuration_change_made_in_one_process_reaches_the_others(
    servers: list[LiveServer], database: str
) -> None:
    """Each process keeps copies of configuration; another process's change reaches it
    through LISTEN/NOTIFY (within moments, never a stale copy for good)."""
    auth = create_account(database)
    first, second, _third = servers
    async with httpx.AsyncClient(auth=auth, timeout=20) as client:
        created = await client.post(f"{first.base_url}/v1/Workspaces", data={"FriendlyName": "A"})
        ws = created.json()["sid"]
        queue = (
            await client.post(
                f"{first.base_url}/v1/Workspaces/{ws}/TaskQueues", data={"FriendlyName": "old"}
            )
        ).json()["sid"]
        path = f"/v1/Workspaces/{ws}/TaskQueues/{queue}"
        for server in servers:  # every process reads (and keeps a copy of) the queue
            assert (await client.get(server.base_url + path)).json()["friendly_name"] == "old"
        renamed = await client.post(first.base_url + path, data={"FriendlyName": "new"})
        assert renamed.status_code == 200
        for _ in range(200):
            if (await client.get(second.base_url + path)).json()["friendly_name"] == "new":
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the other process kept serving its stale copy")


async def test_a_worker_on_one_process_is_offered_a_task_routed_by_another(
    servers: list[LiveServer], database: str
) -> None:
    """Routing pokes and events travel on the workspace's own channel: the owner hears a
    task created through a third process, and the process holding the worker's socket
    (which watches the workspace) pushes the offer the owner made."""
    account, auth_token = create_account(database)
    owner, holder, third = servers
    async with httpx.AsyncClient(auth=(account, auth_token), timeout=20) as client:

        async def post(server: LiveServer, path: str, **form: str) -> dict[str, Any]:
            answer = await client.post(f"{server.base_url}/v1/Workspaces{path}", data=form)
            assert answer.status_code in (200, 201), answer.text
            return dict(answer.json())

        ws = (await post(owner, "", FriendlyName="Channels"))["sid"]
        activities = (await client.get(f"{owner.base_url}/v1/Workspaces/{ws}/Activities")).json()
        available = next(a["sid"] for a in activities["activities"] if a["available"])
        queue = (await post(owner, f"/{ws}/TaskQueues", FriendlyName="All"))["sid"]
        routing = {"task_routing": {"default_filter": {"queue": queue}}}
        workflow = await post(
            owner, f"/{ws}/Workflows", FriendlyName="wf", Configuration=json.dumps(routing)
        )
        worker = await post(owner, f"/{ws}/Workers", FriendlyName="Ann", ActivitySid=available)
        routed = (await client.get(f"{owner.base_url}/v1/Workspaces/{ws}/Routing")).json()
        assert routed["routed_here"], "the process that wrote first routes the workspace"
        token = WorkerCapabilityToken(account, auth_token, ws, worker["sid"]).to_jwt()
        channel = f"/v1/wschannels/{account}/{worker['sid']}?token={token}"
        async with connect(f"ws{holder.base_url.removeprefix('http')}{channel}") as socket:
            assert json.loads(await socket.recv())["type"] == "snapshot"
            task = await post(third, f"/{ws}/Tasks", WorkflowSid=workflow["sid"], Attributes="{}")
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 20))
                if message.get("event_type") == "reservation.created":
                    break
        assert message["data"]["task_sid"] == task["sid"]
        for server in (holder, third):
            url = f"{server.base_url}/v1/Workspaces/{ws}/Routing"
            assert not (await client.get(url)).json()["routed_here"]
