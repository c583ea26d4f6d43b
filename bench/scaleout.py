"""Scale-out on PostgreSQL: N server processes with one workspace each, against one.

Each configuration gets a fresh database and N centers (a workspace with one `1==1`
queue and 30 workers each); process i serves workspace i. For a fixed time, 12
closed-loop producers per workspace create tasks (at most 60 created and not yet
completed, so every worker has its next task waiting and the backlog does not grow for
the whole run) while simulated agents accept and complete every offer, all through that
workspace's process. The figures are tasks
created -> reserved -> accepted -> completed per second, and the server CPU per
completed task (the CPU time of every server process, from /proc, over the tasks
they completed), each as a ratio to one process measured in the same run. Both are
taken over a window after a warm-up, when every workspace runs at its bound of tasks
in flight: in the window as many tasks are created as completed, where the whole run
would charge the processes' start-up and the N x 60 tasks left in flight to the tasks
completed (a note quotes that figure too). On a
2-core machine N processes cannot add throughput; the CPU per task is what says
whether they scale (no shared bottleneck makes each task dearer).

The one-process rate is also set against pgqueuer's enqueue -> dequeue -> ack rate
on the same PostgreSQL server in the same run (:mod:`bench.pgqueue`).

Failover: two processes, steady task creation, SIGKILL the process that owns the
workspace's routing; the figure is the time from the kill until the survivor has
taken ownership and reserved a task created after the kill.

Everything runs on 127.0.0.1 and is bounded in time. Skipped (with a note) when
PostgreSQL does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx

from bench import pgqueue, server_profile
from bench.center import Center, create_center_at
from bench.common import Config, Result
from bench.load import basic_auth
from bench.servers import free_port, process_cpu_seconds, serving, switchboard_command
from switchboard.testing import postgres, processes

NAME = "scale-out (PostgreSQL)"
ADMIN_DSN = os.environ.get("SWITCHBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
WORKERS = 30
PREFIX = "sb_bench"
PRODUCERS = 12  # per workspace
# tasks created and not yet completed, per workspace, at most: every worker has its next
# task waiting, and the producers do not outrun the agents (a backlog growing for the
# whole run is no steady state: it would charge each completed task with the creation
# of tasks that never complete)
MAX_OUTSTANDING = 2 * WORKERS
TARGET_CPU_RATIO = 1.2  # issue 10: per-task server CPU with N processes within 1.2x of one


async def _fresh_database() -> str:
    """A database named after this process, so a later run can tell an orphan from a peer."""
    name = postgres.owned_name(PREFIX)
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        await postgres.drop_orphans(conn, PREFIX)
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
        self.finished = 0  # completions this driver made
        self._room = asyncio.Condition()

    async def _request(self, method: str, path: str, **form: Any) -> httpx.Response | None:
        for _attempt in range(len(self.bases) + 1):
            base = self.bases[next(self._turn) % len(self.bases)]
            with contextlib.suppress(httpx.TransportError):
                return await self.client.request(method, base + path, data=form or None)
        return None

    async def produce(self, until: float) -> None:
        body = {"WorkflowSid": self.center.workflow_sid, "Attributes": json.dumps({"b": 1})}
        while time.monotonic() < until:
            if not await self._wait_for_room(until):
                return
            self.created += 1  # counted before the request: 12 producers share the bound
            response = await self._request("POST", self.center.tasks_path, **body)
            if response is None or response.status_code != 201:
                self.created -= 1

    async def _wait_for_room(self, until: float) -> bool:
        async with self._room:
            while self.created - self.finished >= MAX_OUTSTANDING:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), remaining)
        return True

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
            done = await self._request("POST", path, AssignmentStatus="completed")
            if done is not None and done.status_code == 200:
                self.finished += 1
                async with self._room:
                    self._room.notify()

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


async def _heard(client: httpx.AsyncClient, base: str) -> float:
    """Notifications from other processes that the process at `base` handled (/metrics)."""
    text = (await client.get(f"{base}/metrics")).text
    found = re.findall(r"^switchboard_notifications_received_total\{[^}]*\} (\S+)$", text, re.M)
    return sum(float(value) for value in found)


class _Run(NamedTuple):
    """One configuration's figures, over the steady window after the warm-up."""

    rate: float  # tasks completed per second
    cpu: float  # server CPU seconds per completed task
    local: int  # workspaces routed by the process serving them
    heard: float  # notifications from other processes handled per completed task
    whole_cpu: float  # server CPU per completed task over the whole run (start-up included)
    created: int  # tasks created in the window (equals `completed` in a steady state)
    completed: int  # tasks completed in the window
    profile: server_profile.Profile | None = None  # the window sampled (figures then skewed)


def _pooled(runs: list[_Run]) -> _Run:
    """One configuration's rounds as one run: CPU over completed tasks, all summed."""
    completed = sum(r.completed for r in runs)
    if not completed:
        return runs[0]
    return _Run(
        rate=sum(r.rate for r in runs) / len(runs),
        cpu=sum(r.cpu * r.completed for r in runs) / completed,
        local=min(r.local for r in runs),
        heard=sum(r.heard * r.completed for r in runs) / completed,
        whole_cpu=sum(r.whole_cpu for r in runs) / len(runs),
        created=sum(r.created for r in runs),
        completed=completed,
    )


def _per_round(runs: list[_Run]) -> str:
    return " and ".join(f"{r.cpu * 1000:.2f}" for r in runs)


async def _throughput(
    count: int, seconds: float, warmup: float, workdir: Path, *, profile: bool = False
) -> _Run:
    """`count` processes, one workspace each, measured over `seconds` after `warmup`
    (with `profile`, every process sampled by py-spy over the window).

    Each workspace runs at its bound of tasks created and not completed, so in the
    window as many tasks are created as completed, and CPU per completed task is CPU per
    task. Over the whole run it is not: the first seconds charge each process's start
    (first statements, first plans) and the tasks still in flight at the end (60 per
    workspace, created and partly routed but not completed) to the tasks completed, a
    share that grows with the number of workspaces."""
    url = await _fresh_database()
    try:
        centers = [await create_center_at(url, WORKERS) for _ in range(count)]
        with _cluster(url, count, workdir) as servers:
            pool = await asyncpg.create_pool(_dsn(url), min_size=2, max_size=4)
            drivers = [
                _Driver(center, [base], pool)
                for center, (base, _p) in zip(centers, servers, strict=True)
            ]

            def cpu_now() -> float:
                return sum(process_cpu_seconds(p.pid) for _b, p in servers)

            def counts() -> tuple[int, int]:
                return sum(d.created for d in drivers), sum(d.finished for d in drivers)

            window: list[tuple[float, float, tuple[int, int]]] = []
            sampling: list[server_profile.Sampling | str] = []

            async def measure() -> None:
                await asyncio.sleep(warmup)
                window.append((time.monotonic(), cpu_now(), counts()))
                if profile:
                    sampling.extend(server_profile.start(p.pid) for _b, p in servers)
                await asyncio.sleep(max(0.0, until - time.monotonic()))
                window.append((time.monotonic(), cpu_now(), counts()))

            cpu_before = cpu_now()
            started = time.monotonic()
            until = started + warmup + seconds
            await asyncio.gather(
                *(d.produce(until) for d in drivers for _ in range(PRODUCERS)),
                *(d.agents(until) for d in drivers),
                measure(),
            )
            whole_cpu = cpu_now() - cpu_before
            sampled = (
                server_profile.merged([server_profile.finish(s) for s in sampling])
                if sampling
                else None
            )
            done = sum([await d.completed() for d in drivers])
            local = await _routed_locally(drivers, servers)
            heard = sum([await _heard(drivers[0].client, base) for base, _p in servers])
            for driver in drivers:
                await driver.client.aclose()
            await pool.close()
        (start, cpu_start, (created_start, finished_start)) = window[0]
        (end, cpu_end, (created_end, finished_end)) = window[1]
        completed = finished_end - finished_start
        return _Run(
            rate=completed / max(end - start, 1e-9),
            cpu=(cpu_end - cpu_start) / max(1, completed),
            local=local,
            heard=heard / max(1, done),
            whole_cpu=whole_cpu / max(1, done),
            created=created_end - created_start,
            completed=completed,
            profile=sampled,
        )
    finally:
        await _drop_database(url)


async def _routed_locally(drivers: list[_Driver], servers: list[tuple[str, Any]]) -> int:
    """How many workspaces are routed by the process that serves their API."""
    local = 0
    for index, driver in enumerate(drivers):
        owner = await _owner(driver.client, servers, driver.center.workspace_sid)
        local += owner == index
    return local


async def _owner(client: httpx.AsyncClient, servers: list[tuple[str, Any]], ws: str) -> int | None:
    for index, (base, _process) in enumerate(servers):
        with contextlib.suppress(httpx.TransportError):
            answer = await client.get(f"{base}/v1/Workspaces/{ws}/Routing")
            if answer.status_code == 200 and answer.json()["routed_here"]:
                return index
    return None


async def _failover(workdir: Path, warmup: float) -> float:
    url = await _fresh_database()
    try:
        center = await create_center_at(url, WORKERS)
        with _cluster(url, 2, workdir) as servers:
            pool = await asyncpg.create_pool(_dsn(url), min_size=2, max_size=4)
            driver = _Driver(center, [base for base, _ in servers], pool)
            until = time.monotonic() + warmup
            await asyncio.gather(driver.produce(until), driver.agents(until))
            owner = await _owner(driver.client, servers, center.workspace_sid)
            if owner is None:
                raise RuntimeError("no process owns the bench workspace")
            killed_at_ms = int(time.time() * 1000)
            processes.kill(servers[owner][1])
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
    counts = config.scaleout_processes
    rounds: dict[int, list[_Run]] = {n: [] for n in counts}
    for index in range(config.scaleout_rounds):
        for n in counts if index % 2 == 0 else reversed(counts):
            run = await _throughput(
                n, config.scaleout_seconds, config.scaleout_warmup_seconds, workdir
            )
            rounds[n].append(run)
    measured = {n: _pooled(runs) for n, runs in rounds.items()}
    one = measured[1]
    one_rate, one_cpu = one.rate, one.cpu
    profiles: dict[int, server_profile.Profile | None] = dict.fromkeys(counts)
    if config.scaleout_profile_seconds:
        for n in counts:
            profiled = await _throughput(
                n,
                config.scaleout_profile_seconds,
                config.scaleout_warmup_seconds,
                workdir,
                profile=True,
            )
            profiles[n] = profiled.profile
    results = [await _versus_pgqueuer(one_rate, one_cpu, config, profiles[1])]
    for n in counts[1:]:
        run = measured[n]
        rate, cpu, local, heard = run.rate, run.cpu, run.local, run.heard
        notes = [
            f"{n} processes, one workspace each, {PRODUCERS} producers and the agents "
            f"per workspace; {local}/{n} workspaces routed by the process serving them",
            f"tasks completed/s {rate:.1f} vs {one_rate:.1f} with one process (on "
            f"{os.cpu_count()} cores N processes share the same CPUs)",
            f"notifications from other processes handled: {heard:.2f} per task, all "
            "processes together (each hears only the workspaces it owns or shows)",
            f"measured in {config.scaleout_rounds} rounds (1, 2, 3 processes, then the "
            "reverse order), pooled: CPU and tasks summed over the rounds; per round "
            f"{_per_round(rounds[n])} ms per task against {_per_round(rounds[1])} with one",
            f"each round over {config.scaleout_seconds:.0f} s after a "
            f"{config.scaleout_warmup_seconds:.0f} s warm-up: {run.created} tasks created, "
            f"{run.completed} completed ({one.created} and {one.completed} with one "
            "process); over the whole run, start-up and the tasks left in flight "
            f"included: {run.whole_cpu * 1000:.2f} vs {one.whole_cpu * 1000:.2f} ms per "
            f"task ({run.whole_cpu / one.whole_cpu if one.whole_cpu else 0:.2f}x)",
        ]
        row = Result(
            NAME,
            f"server CPU per task with {n} processes (one workspace each) vs 1",
            cpu,
            "s",
            one_cpu,
            better="lower",
            notes=notes,
        )
        one_profile, profile = profiles[1], profiles[n]
        if one_profile is not None and profile is not None:
            notes.append(
                f"CPU per task by kind of work, ms, 1 -> {n} processes (py-spy's shares over "
                f"{config.scaleout_profile_seconds:.0f} s of one more run of each, times the "
                "CPU per task measured above), largest growth first: "
                + server_profile.compared(one_profile, one_cpu, profile, cpu)
            )
        ratio = cpu / one_cpu if one_cpu else float("inf")
        results.append(
            row.judge(f"<= {TARGET_CPU_RATIO}x", ratio <= TARGET_CPU_RATIO, _why(n, local))
        )
    failover = await _failover(workdir, config.failover_warmup_seconds)
    results.append(
        Result(
            NAME,
            "failover: SIGKILL owner → next reservation",
            failover,
            "s",
            better="lower",
            notes=["ownership sweep every 1 s"],
        )
    )
    return results


def _why(count: int, local: int) -> str:
    remote = (
        f"{count - local} of {count} workspaces were routed by another process than the one "
        "serving their API, so each of their writes reaches the owner through NOTIFY and a "
        "read-back (placing ownership where the API traffic lands would remove it); "
        if local < count
        else ""
    )
    return (
        f"{remote}the processes share {os.cpu_count()} cores with PostgreSQL and the load "
        f"driver, and each serves 1/{count} of a load the cores cap, so each wake-up of its "
        "event loop and each routing pass covers fewer tasks (the notes price each kind of "
        "work per task, 1 against N processes); on cores of their own, each process "
        "under a full load (docs/explanation/scale-out.md), that overhead is spread again"
    )


async def _versus_pgqueuer(
    one_rate: float, one_cpu: float, config: Config, profile: server_profile.Profile | None
) -> Result:
    """Switchboard's one-process lifecycle rate against pgqueuer on the same server."""
    metric = "tasks created -> reserved -> accepted -> completed/s, 1 process, vs pgqueuer"
    missing = pgqueue.available()
    if missing is not None:
        return Result(NAME, metric, one_rate, "tasks/s", notes=[f"baseline skipped: {missing}"])
    url = await _fresh_database()
    try:
        queue_rate, enqueued, queue_cpu = await pgqueue.rate(_dsn(url), config.queue_seconds)
    finally:
        await _drop_database(url)
    row = Result(
        NAME,
        metric,
        one_rate,
        "tasks/s",
        queue_rate,
        notes=[
            "one workspace, 30 workers, 12 producers; each task is a POST, an accept and a "
            "complete over HTTP",
            f"baseline: pgqueuer enqueue -> dequeue -> ack jobs/s, one job per enqueue, "
            f"{pgqueue.PRODUCERS} producers, one consumer, {config.queue_seconds:.0f} s, "
            f"same PostgreSQL server ({enqueued:,} enqueued)",
            f"Python CPU per item: Switchboard's server {one_cpu * 1000:.1f} ms per task, "
            f"pgqueuer's producers + consumer {queue_cpu * 1000:.2f} ms per job "
            "(PostgreSQL's own CPU on neither side)",
        ],
    )
    if profile is not None:
        row.notes.append(
            f"where the server's CPU went (py-spy at {server_profile.RATE_HZ} Hz over "
            f"{config.scaleout_profile_seconds:.0f} s of one more one-process run, not the "
            f"measured ones: sampling slows the server): {profile.summary()}"
        )
    return row.judge(
        ">= pgqueuer's rate (1.0x)",
        one_rate >= queue_rate,
        "a task is three HTTP requests and several transactions (create, reserve, accept, "
        "complete, each with its events and outbox rows) where a job is one insert, one "
        "claim and one batched ack; the Python CPU per item above prices the difference, "
        "and the profile note shows where the server's goes; fewer "
        "statements and less Python per step would narrow it (group commit did not pay "
        "on this machine: the group commit rows)",
    )


def run(config: Config, workdir: Path) -> list[Result]:
    return asyncio.run(_measure(config, workdir))
