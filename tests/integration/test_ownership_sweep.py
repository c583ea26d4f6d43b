"""The ownership sweep takes over workspaces whose owner is gone, and leaves a workspace
to the process whose write just made it wait: that process claims it right after its
commit, and a sweep in another process that read the commit first used to win the
race now and then (the scale-out benchmark saw 2 of 3 workspaces routed by the process
serving their API, every change of the third forwarded over NOTIFY)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from switchboard.distribution.engine import dispatcher as dispatching
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from switchboard.store import ownership
from switchboard.store.ownership import PostgresCoordinator
from tests.api.helpers import BASE_URL, create, create_workspace
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]
SWEEP = 0.2  # seconds between sweeps here (a second in service)


@dataclass
class Processes:
    a: Runtime
    b: Runtime
    client_b: httpx.AsyncClient


def coordinator(runtime: Runtime) -> PostgresCoordinator:
    found = runtime.dispatcher.coordinator
    assert isinstance(found, PostgresCoordinator)
    return found


async def eventually(probe: Callable[[], bool], seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if probe():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never came true")


async def quiet(runtime: Runtime) -> None:
    """No pass runs or is queued, and every poke has gone out (and claimed)."""
    await runtime.dispatcher.wait_idle()
    sender = coordinator(runtime)._sender
    if sender is not None:
        await sender


@pytest.fixture
async def processes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Processes]:
    monkeypatch.setattr(dispatching, "SWEEP_SECONDS", SWEEP)
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        async with AsyncExitStack() as stack:
            runtimes = []
            for _ in range(2):
                runtime = build_runtime(Settings(database_url=url))
                await stack.enter_async_context(runtime.app.router.lifespan_context(runtime.app))
                runtimes.append(runtime)
            a, b = runtimes
            account, token = await a.core.accounts.create("Sweep")
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=b.app),
                base_url=BASE_URL,
                auth=(account.sid, token),
            )
            await stack.enter_async_context(client)
            yield Processes(a, b, client)
    finally:
        await drop_postgres_database(url)


async def _workspace_without_workers(client: httpx.AsyncClient) -> tuple[str, str]:
    """(the workspace's tasks path, its workflow): a new task waits, no one has room."""
    space = await create_workspace(client, FriendlyName="Acme")
    url = space["url"]
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    routing = {
        "task_routing": {"filters": [{"expression": "1==1", "targets": [{"queue": queue["sid"]}]}]}
    }
    flow = await create(
        client, f"{url}/Workflows", FriendlyName="All", Configuration=json.dumps(routing)
    )
    return f"{url}/Tasks", flow["sid"]


async def test_a_sweep_leaves_a_workspace_to_the_process_whose_write_made_it_wait(
    processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = processes.a, processes.b
    tasks, flow = await _workspace_without_workers(processes.client_b)
    workspace = tasks.split("/Workspaces/")[1].split("/")[0]
    await eventually(lambda: workspace in coordinator(b).owned())
    await quiet(b)
    # B gives the workspace up (its ownership connection closes, the lock with it)...
    connection: Any = coordinator(b)._ownership_conn
    await connection.close()
    await eventually(lambda: workspace not in coordinator(b).owned())
    # (A asked for it when it heard of the workspace's configuration, and was refused:
    # a refusal is remembered for a moment, which would hide what is tested here)
    await asyncio.sleep(ownership.LEASE_RETRY_SECONDS)
    # ...and its next write's claim waits until A's sweep has read that write; B's own
    # sweep looks elsewhere, so the claim is B's only way back
    gate = asyncio.Event()
    claim = coordinator(b)._claim_unowned

    async def held_claim(items: list[Any]) -> None:
        await gate.wait()
        await claim(items)

    async def nothing_waits() -> list[str]:
        return []

    monkeypatch.setattr(coordinator(b), "_claim_unowned", held_claim)
    monkeypatch.setattr(b.dispatcher, "_waiting_workspaces", nothing_waits)
    read_by_a = asyncio.Event()
    waiting = a.dispatcher._waiting_workspaces

    async def watched() -> list[str]:
        if read_by_a.is_set():  # A's later rounds start once B's claim went through
            await eventually(lambda: workspace in coordinator(b).owned())
        found = await waiting()
        if workspace in found:
            read_by_a.set()
        return found

    monkeypatch.setattr(a.dispatcher, "_waiting_workspaces", watched)
    response = await processes.client_b.post(tasks, data={"WorkflowSid": flow})
    assert response.status_code == 201, response.text
    await asyncio.wait_for(read_by_a.wait(), 10)
    await asyncio.sleep(SWEEP / 4)  # time for A to act on what its sweep read
    gate.set()

    await eventually(lambda: workspace in coordinator(b).owned())
    await asyncio.sleep(3 * SWEEP)  # A's later rounds find it routed elsewhere
    assert workspace not in coordinator(a).owned()


async def test_a_workspace_whose_owner_is_gone_is_taken_over_by_the_sweep(
    processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody writes to it: the sweep is the only way its waiting tasks get an owner."""
    a, b = processes.a, processes.b
    tasks, flow = await _workspace_without_workers(processes.client_b)
    workspace = tasks.split("/Workspaces/")[1].split("/")[0]
    response = await processes.client_b.post(tasks, data={"WorkflowSid": flow})
    assert response.status_code == 201, response.text
    await eventually(lambda: workspace in coordinator(b).owned())

    async def nothing_waits() -> list[str]:
        return []

    monkeypatch.setattr(b.dispatcher, "_waiting_workspaces", nothing_waits)  # B stays away
    connection: Any = coordinator(b)._ownership_conn
    await connection.close()  # as if B died: PostgreSQL releases its locks

    await eventually(lambda: workspace in coordinator(a).owned(), seconds=5 * SWEEP + 5)
    assert workspace not in coordinator(b).owned()
