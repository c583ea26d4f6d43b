"""Fair scheduling under a noisy neighbour: the quiet tenant's p99, alone and beside the noise.

A live `switchboard serve` on 127.0.0.1 (one process, SQLite) and two tenants,
each with a workspace of 20 workers. Both send open-loop `GET .../Workers`
(the arrival schedule does not wait for answers, as real clients do not); the
noisy tenant at 20x the quiet tenant's rate, chosen so that the noise alone is
well past the server's measured capacity. We measure the quiet tenant's p99
latency alone and with the noise: three runs with fair scheduling on and 4
requests in flight (issue 10's target: at most 2x the alone p99 in every run; the
row shows the worst run and lists all three), and once with fair scheduling off.

Everything is bounded: a fixed number of phases of a few seconds each, a hard
deadline of 90 s in total, and a cap on outstanding requests per tenant.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import measuring
from switchboard.testing import processes

Row = dict[str, str]
ALONE_SECONDS = 8.0
NOISY_SECONDS = 10.0
CAPACITY_SECONDS = 1.5
WARMUP_SECONDS = 1.0
NOISE_FACTOR = 20
OVERLOAD = 1.6  # the noisy tenant sends this multiple of the measured capacity
MAX_OUTSTANDING = 256
DEADLINE_SECONDS = 90.0  # no subprocess may outlive this
RUNS = 3  # issue 10: stable across 3 runs
TARGET_RATIO = 2.0
SERVER_SETTINGS = {
    "SWITCHBOARD_FAIRNESS": "1",
    "SWITCHBOARD_MAX_QUEUE": "32",
    "SWITCHBOARD_MAX_WAIT_SECONDS": "2",
    "SWITCHBOARD_FRAUD_INTERVAL": "0",
}


@dataclass(frozen=True)
class Tenant:
    sid: str
    token: str
    workspace: str

    @property
    def authorization(self) -> str:
        return "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()

    @property
    def path(self) -> str:
        return f"/v1/Workspaces/{self.workspace}/Workers?PageSize=20"


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    shed: int = 0  # not sent: every connection of the client was busy
    neighbour_shed: int = 0

    def p(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(database_url: str, settings: dict[str, str], log: Path) -> Iterator[str]:
    """A `switchboard serve` subprocess; yields its base URL and always stops it."""
    port = _free_port()
    env = {**os.environ, **SERVER_SETTINGS, **settings}
    command = [sys.executable, "-m", "switchboard", "serve", "--database-url", database_url]
    command += ["--port", str(port), "--log-level", "warning"]
    with log.open("ab") as out:
        process = processes.spawn(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base)
        yield base
    finally:
        processes.stop(process)


def _wait_ready(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            httpx.get(f"{base}/health", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("the server did not start")


class Connection:
    """A minimal HTTP/1.1 keep-alive client: a load generator must cost far less than the
    server it loads (httpx costs about as much per request as the server does)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Connection:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def get(self, path: str, authorization: str) -> int:
        request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: {authorization}\r\n\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length")
        )
        await self.reader.readexactly(length)
        return int(lines[0].split(" ", 2)[1])

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Up to `size` connections; `None` when all are busy (the open loop sheds instead)."""

    def __init__(self, base: str, size: int) -> None:
        self.base, self.size = base, size
        self.idle: list[Connection] = []
        self.opened = 0

    async def take(self) -> Connection | None:
        if self.idle:
            return self.idle.pop()
        if self.opened >= self.size:
            return None
        self.opened += 1
        return await Connection.open(self.base)

    def give(self, connection: Connection) -> None:
        self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()


async def _one(pool: Pool, tenant: Tenant, sample: Sample, keep: bool) -> None:
    connection = await pool.take()
    if connection is None:
        sample.shed += 1
        return
    started = time.perf_counter()
    try:
        status = await connection.get(tenant.path, tenant.authorization)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        sample.statuses[0] += 1
        pool.opened -= 1
        return
    pool.give(connection)
    sample.statuses[status] += 1
    if keep and status == 200:
        sample.latencies.append(time.perf_counter() - started)


async def open_loop(
    base: str, tenant: Tenant, rate: float, seconds: float, connections: int
) -> Sample:
    """Send at `rate` per second for `seconds`, whatever the answers; keep post-warm-up ones."""
    sample, pool = Sample(), Pool(base, connections)
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    for number in range(int(rate * seconds)):
        at = start + number / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        task = asyncio.create_task(_one(pool, tenant, sample, at - start >= WARMUP_SECONDS))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=10)
    pool.close()
    return sample


async def closed_loop(base: str, tenant: Tenant, seconds: float, connections: int) -> float:
    """Requests per second the server sustains for `connections` back-to-back clients."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        connection = await Connection.open(base)
        while time.perf_counter() < deadline:
            if await connection.get(tenant.path, tenant.authorization) == 200:
                done += 1
        connection.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    return done / seconds


def _in_subprocess(mode: str, base: str, tenant: Tenant, *numbers: float) -> str:
    """Run a load in another process, so the quiet tenant's clock is not the noise's."""
    args = [base, tenant.sid, tenant.token, tenant.workspace, *map(str, numbers)]
    command = [sys.executable, "-m", "bench.fairness", mode, *args]
    done = processes.run(command, timeout=DEADLINE_SECONDS)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done.stdout.strip()


async def scenario(base: str, quiet: Tenant, noisy: Tenant, rate: float) -> Sample:
    """The quiet tenant beside the noisy one (in another process, so clocks stay honest)."""
    noise = asyncio.create_task(
        asyncio.to_thread(
            _in_subprocess, "--noise", base, noisy, rate * NOISE_FACTOR, NOISY_SECONDS
        )
    )
    together = await open_loop(base, quiet, rate, NOISY_SECONDS, MAX_OUTSTANDING)
    noisy_counts = json.loads(await noise)
    together.neighbour_shed = noisy_counts.pop("shed")
    together.statuses.update({-int(status): n for status, n in noisy_counts.items()})
    return together


async def _prepare(database_url: str) -> tuple[Tenant, Tenant]:
    """Two tenants, each with a 20-worker workspace, written straight into the store."""
    from bench.center import open_core
    from switchboard.database import upgrade
    from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
    from switchboard.distribution.work.workers import WorkerCreate, create_worker

    core = open_core(database_url)
    try:
        await upgrade(core.store)
        svc = core.services
        tenants = []
        for name in ("quiet", "noisy"):
            account, token = await core.accounts.create(name)
            workspace = await create_workspace(svc, account.sid, WorkspaceCreate(name))
            for i in range(20):
                await create_worker(
                    svc, account.sid, workspace.sid, WorkerCreate(f"w{i}", None, '{"skill": 1}')
                )
            tenants.append(Tenant(account.sid, token, workspace.sid))
        return tenants[0], tenants[1]
    finally:
        await core.close()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


@dataclass(frozen=True)
class Setup:
    label: str
    settings: dict[str, str]


SETUPS = (
    Setup("fair scheduling on, 4 in flight", {"SWITCHBOARD_MAX_IN_FLIGHT": "4"}),
    Setup("fair scheduling off", {"SWITCHBOARD_FAIRNESS": "0"}),
)


def _row(setup: Setup, alone: Sample, runs: list[Sample], load: tuple[float, float]) -> Row:
    """The worst of `runs` against the quiet tenant alone; every run's ratio in the notes."""
    rate, cap = load
    ratios = [run.p(0.99) / alone.p(0.99) for run in runs]
    together = runs[max(range(len(runs)), key=lambda i: ratios[i])]
    noisy = together.statuses
    quiet_bad = sum(n for status, n in noisy.items() if status > 0 and status != 200)
    notes = [
        f"quiet {rate:.0f} req/s, noisy {rate * NOISE_FACTOR:.0f} req/s"
        f" (server capacity ~{cap:.0f} req/s)",
        f"quiet p50 {_ms(alone.p(0.5))} -> {_ms(together.p(0.5))}",
        f"{len(alone.latencies)}/{len(together.latencies)} quiet samples",
        f"noisy served {noisy[-200] / (NOISY_SECONDS - WARMUP_SECONDS):.0f} req/s,"
        f" {noisy[-429]} got 429, {together.neighbour_shed} not sent (client cap)",
        f"quiet non-200: {quiet_bad}, not sent: {together.shed}",
        "load average at the end {:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg()),
    ]
    label = setup.label
    if len(runs) > 1:
        label += f", worst of {len(runs)} runs"
        notes.insert(0, "p99 ratio per run: " + ", ".join(f"{r:.2f}x" for r in ratios))
    row = {
        "benchmark": "fairness",
        "metric": f"quiet tenant p99 beside a 20x noisy one ({label})",
        "value": _ms(together.p(0.99)),
        "baseline": _ms(alone.p(0.99)),
        "ratio": f"{max(ratios):.2f}x",
        "better": "lower",
    }
    if len(runs) > 1:
        met = max(ratios) <= TARGET_RATIO
        row |= {"target": f"<= {TARGET_RATIO:.0f}x in each of {RUNS} runs"}
        row |= {"verdict": "MET" if met else "MISSED"}
        if not met:
            notes.append(
                "MISSED: the quiet p50 above shows whether the quiet request waited for a "
                "slot (p50 far above alone: fewer per-account slots, "
                "SWITCHBOARD_MAX_IN_FLIGHT_PER_ACCOUNT) or shared the CPU with the noisy "
                "requests beside it (p50 near alone, p99 up: the machine's other load)"
            )
    return row | {"notes": "; ".join(notes)}


def _skipped(setup: Setup) -> Row:
    metric = f"quiet tenant p99 beside a 20x noisy one ({setup.label})"
    return dict.fromkeys(("value", "baseline", "ratio"), "") | {
        "benchmark": "fairness",
        "metric": metric,
        "notes": f"skipped: would exceed the {DEADLINE_SECONDS:.0f} s budget",
    }


def _measure(database_url: str, workdir: Path, quiet: Tenant, noisy: Tenant) -> list[Row]:
    alone: Sample | None = None
    load = (0.0, 0.0)
    rows: list[Row] = []
    started = time.monotonic()
    for setup in SETUPS:
        runs: list[Sample] = []
        count = RUNS if setup.settings.get("SWITCHBOARD_FAIRNESS") != "0" else 1
        with serving(database_url, setup.settings, workdir / "server.log") as base:
            if alone is None:  # calibrate and take the baseline once, on the first server
                cap = float(_in_subprocess("--capacity", base, noisy, CAPACITY_SECONDS))
                load = (max(1.0, cap * OVERLOAD / NOISE_FACTOR), cap)
                with measuring():
                    alone = asyncio.run(
                        open_loop(base, quiet, load[0], ALONE_SECONDS, MAX_OUTSTANDING)
                    )
            for _run in range(count):
                if time.monotonic() - started + NOISY_SECONDS + 5 > DEADLINE_SECONDS:
                    break
                with measuring():
                    runs.append(asyncio.run(scenario(base, quiet, noisy, load[0])))
        rows.append(_row(setup, alone, runs, load) if runs else _skipped(setup))
    return rows


def run() -> list[Row]:
    """Every setup on one database (about 55 s in all); the table rows."""
    with tempfile.TemporaryDirectory(prefix="sb-fairness-") as workdir:
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'fairness.db'}"
        quiet, noisy = asyncio.run(_prepare(database_url))
        return _measure(database_url, Path(workdir), quiet, noisy)


def _load_main(argv: list[str]) -> None:
    """`--noise BASE SID TOKEN WS RATE SECONDS` or `--capacity BASE SID TOKEN WS SECONDS`."""
    mode, base, sid, token, workspace, *numbers = argv
    tenant = Tenant(sid, token, workspace)
    if mode == "--capacity":
        print(asyncio.run(closed_loop(base, tenant, float(numbers[0]), 16)))
        return
    sample = asyncio.run(
        open_loop(base, tenant, float(numbers[0]), float(numbers[1]), MAX_OUTSTANDING)
    )
    print(json.dumps({"shed": sample.shed, **sample.statuses}))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _load_main(sys.argv[1:])
    else:
        for row in run():
            print(" | ".join(f"{key}={value}" for key, value in row.items()))
