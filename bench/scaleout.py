"""Scale-out on PostgreSQL: throughput with 1, 2 and 3 server processes, and failover time.

Each configuration gets a fresh database and the same center (one workspace, one
`1==1` queue, 30 workers). For a fixed time a closed loop creates tasks through all
processes in turn while simulated agents accept and complete every offer, also
through all processes. The figure is tasks completed per second, as a ratio to one
process measured in the same run.

Failover: two processes, steady task creation, SIGKILL the process that owns the
workspace's routing; the figure is the time from the kill until the survivor has
taken the lease and reserved a task created after the kill.

Everything runs on 127.0.0.1 and is bounded in time. Skipped (with a note) when
PostgreSQL does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.center import Center, create_center_at
from bench.common import Config, Result
from bench.load import basic_auth
from bench.servers import free_port, serving, switchboard_command

NAME = "scale-out (PostgreSQL)"
ADMIN_DSN = os.environ.get("SWITCHBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
WORKERS = 30


async def _fresh_database() -> str:
    name = f"sb_bench_{secrets.token_hex(5)}"
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return (
        ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    )


async def _drop_database(url: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.contextmanager
def _cluster(
    url: str, count: int, workdir: Path
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    with contextlib.ExitStack() as stack:
        servers = []
        for index in range(count):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            log = workdir / f"scaleout-{count}-{index}.log"
            process = stack.enter_context(
                serving(switchboard_command(url, port), f"{base}/health", log)
            )
            servers.append((base, process))
        yield servers


class _Driver:
    """Creates tasks and plays the agents, spreading requests over the live processes."""

    def __init__(self, center: Center, bases: list[str], pool: asyncpg.Pool) -> None:
        self.center, self.bases, self.pool = center, list(bases), pool
        self.client = httpx.AsyncClient(
            headers=basic_auth(center.account_sid, center.token), timeout=20
        )
        self._turn = itertools.count()
        self.created = 0

    async def _request(self, method: str, path: str, **form: Any) -> httpx.Response | None:
        for _attempt in range(len(self.bases) + 1):
            base = self.bases[next(self._turn) % len(self.bases)]
            with contextlib.suppress(httpx.TransportError):
                return await self.client.request(method, base + path, data=form or None)
        return None

    async def produce(self, until: float) -> None:
        body = {"WorkflowSid": self.center.workflow_sid, "Attributes": json.dumps({"b": 1})}
        while time.monotonic() < until:
            response = await self._request("POST", self.center.tasks_path, **body)
            if response is not None and response.status_code == 201:
                self.created += 1

    async def agents(self, until: float) -> None:
        ws = self.center.workspace_sid
        while time.monotonic() < until:
            rows = await self.pool.fetch(
                "SELECT task_sid, sid FROM reservations WHERE workspace_sid = $1 "
                "AND status = 'pending' LIMIT 64",
                ws,
            )
            await asyncio.gather(*(self._finish(r["task_sid"], r["sid"]) for r in rows))
            if not rows:
                await asyncio.sleep(0.02)

    async def _finish(self, task_sid: str, reservation_sid: str) -> None:
        path = f"{self.center.tasks_path}/{task_sid}"
        accepted = await self._request(
            "POST", f"{path}/Reservations/{reservation_sid}", ReservationStatus="accepted"
        )
        if accepted is not None and accepted.status_code == 200:
            await self._request("POST", path, AssignmentStatus="completed")

    async def completed(self) -> int:
        return int(
            await self.pool.fetchval(
                "SELECT count(*) FROM tasks WHERE workspace_sid = $1 "
                "AND assignment_status = 'completed'",
                self.center.workspace_sid,
            )
        )


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _throughput(processes: int, seconds: float, workdir: Path) -> float:
    url = await _fresh_database()
    try:
        center = await create_center_at(url, WORKERS)
        with _cluster(url, processes, workdir) as servers:
            pool = await asyncpg.create_pool(_dsn(url), min_size=2, max_size=4)
            driver = _Driver(center, [base for base, _ in servers], pool)
            started = time.monotonic()
            until = started + seconds
            await asyncio.gather(*(driver.produce(until) for _ in range(12)), driver.agents(until))
            done = await driver.completed()
            elapsed = time.monotonic() - started
            await driver.client.aclose()
            await pool.close()
        return done / elapsed
    finally:
        await _drop_database(url)


async def _owner(client: httpx.AsyncClient, servers: list[tuple[str, Any]], ws: str) -> int | None:
    for index, (base, _process) in enumerate(servers):
        with contextlib.suppress(httpx.TransportError):
            answer = await client.get(f"{base}/v1/Workspaces/{ws}/Routing")
            if answer.status_code == 200 and answer.json()["routed_here"]:
                return index
    return None


async def _failover(workdir: Path) -> float:
    url = await _fresh_database()
    try:
        center = await create_center_at(url, WORKERS)
        with _cluster(url, 2, workdir) as servers:
            pool = await asyncpg.create_pool(_dsn(url), min_size=2, max_size=4)
            driver = _Driver(center, [base for base, _ in servers], pool)
            until = time.monotonic() + 3
            await asyncio.gather(driver.produce(until), driver.agents(until))
            owner = await _owner(driver.client, servers, center.workspace_sid)
            if owner is None:
                raise RuntimeError("no process owns the bench workspace")
            killed_at_ms = int(time.time() * 1000)
            servers[owner][1].send_signal(signal.SIGKILL)
            servers[owner][1].wait(timeout=10)
            driver.bases = [servers[1 - owner][0]]
            elapsed = await _until_reserved(driver, killed_at_ms)
            await driver.client.aclose()
            await pool.close()
        return elapsed
    finally:
        await _drop_database(url)


async def _until_reserved(driver: _Driver, since_ms: int, limit: float = 30.0) -> float:
    """Seconds until a reservation is created after `since_ms` (tasks keep arriving)."""
    deadline = time.monotonic() + limit
    body = {"WorkflowSid": driver.center.workflow_sid}
    while time.monotonic() < deadline:
        await driver._request("POST", driver.center.tasks_path, **body)
        first = await driver.pool.fetchval(
            "SELECT min(date_created) FROM reservations WHERE workspace_sid = $1 "
            "AND date_created > $2",
            driver.center.workspace_sid,
            since_ms,
        )
        if first is not None:
            return (int(first) - since_ms) / 1000
        await asyncio.sleep(0.05)
    raise TimeoutError("no reservation within the failover limit")


async def _available() -> bool:
    try:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=2)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def _measure(config: Config, workdir: Path) -> list[Result]:
    if not await _available():
        return [Result(NAME, "skipped", 0, "", notes=[f"PostgreSQL at {ADMIN_DSN} not reachable"])]
    seconds = 3.0 if config.quick else 12.0
    rates = {n: await _throughput(n, seconds, workdir) for n in (1, 2, 3)}
    results = [
        Result(
            NAME,
            f"tasks completed/s with {n} process(es) vs 1",
            rates[n],
            "tasks/s",
            baseline=rates[1],
            notes=["one workspace: one owner routes, every process serves the API"],
        )
        for n in (1, 2, 3)
    ]
    failover = await _failover(workdir)
    results.append(
        Result(
            NAME,
            "failover: SIGKILL owner → next reservation",
            failover,
            "s",
            better="lower",
            notes=["lease sweep every 1 s"],
        )
    )
    return results


def run(config: Config, workdir: Path) -> list[Result]:
    return asyncio.run(_measure(config, workdir))
