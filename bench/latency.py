"""End-to-end latency: task created over HTTP -> reservation received on a worker websocket.

Tasks are created open-loop at a steady rate (the schedule never waits for answers)
against a live server; every worker holds a websocket (:class:`WorkerClient`), and on
`reservation.created` accepts and completes the task over the socket, which frees its
capacity. Each task carries its number in its attributes, so the reservation event
(whose data carries the task attributes) is matched to the instant the POST was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import server_profile
from bench.center import Center, create_center
from bench.common import Config, Result, measuring, percentile
from bench.load import basic_auth, http_client
from bench.servers import free_port, process_cpu_seconds, serving, switchboard_command
from switchboard.client import WorkerChannelError, WorkerClient
from switchboard.distribution.work.worker_tokens import mint

NAME = "end-to-end latency"
TARGET_P99 = 0.020
TARGET_RATE = 200.0
DRAIN_SECONDS = 5.0
MAX_IN_FLIGHT = 256


@dataclass
class Timeline:
    sent: dict[int, float] = field(default_factory=dict)
    received: dict[int, float] = field(default_factory=dict)
    post_latency: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dropped: int = 0
    closing: bool = False
    # the server's CPU from the first POST to the end of the drain (sockets' connects
    # excluded: a one-off cost that would otherwise be spread over the tasks)
    cpu_seconds: float | None = None

    def cpu_per_task(self) -> float | None:
        if self.cpu_seconds is None or not self.sent:
            return None
        return self.cpu_seconds / len(self.sent)

    def latencies(self, after: float) -> list[float]:
        return [
            self.received[n] - sent
            for n, sent in self.sent.items()
            if n in self.received and sent >= after
        ]


async def _serve_worker(client: WorkerClient, timeline: Timeline) -> None:
    async for message in client.events():
        if message.get("type") != "event" or message.get("event_type") != "reservation.created":
            continue
        now = time.perf_counter()
        data = message.get("data", {})
        number = json.loads(data.get("task_attributes") or "{}").get("n")
        if isinstance(number, int):
            timeline.received.setdefault(number, now)
        reservation = str(data.get("reservation_sid"))
        try:
            await client.accept(reservation)
            await client.complete(reservation, reason="bench")
        except (WorkerChannelError, TimeoutError) as exc:
            if not timeline.closing:
                timeline.errors.append(f"worker: {exc}")


async def _connect(base_url: str, center: Center) -> list[WorkerClient]:
    clients = []
    for worker_sid in center.worker_sids:
        token, _expires = mint(
            center.account_sid, center.token, center.workspace_sid, worker_sid, 3600
        )
        client = WorkerClient.connect_to(base_url, center.account_sid, worker_sid, token)
        await client.connect()
        clients.append(client)
    return clients


async def _create(http: httpx.AsyncClient, center: Center, number: int, timeline: Timeline) -> None:
    body = {"WorkflowSid": center.workflow_sid, "Attributes": json.dumps({"n": number})}
    started = time.perf_counter()
    timeline.sent[number] = started
    try:
        response = await http.post(center.tasks_path, data=body)
    except httpx.TransportError as exc:  # a result to report (a saturated server), not a crash
        timeline.errors.append(f"POST failed: {type(exc).__name__} {exc}")
        return
    timeline.post_latency.append(time.perf_counter() - started)
    if response.status_code != 201:
        timeline.errors.append(f"POST {response.status_code}: {response.text[:120]}")


async def _produce(
    http: httpx.AsyncClient, center: Center, rate: float, seconds: float, tl: Timeline
) -> None:
    """Open loop: task n is due at start + n / rate; at most MAX_IN_FLIGHT outstanding."""
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    for number in range(int(rate * seconds)):
        delay = start + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(pending) >= MAX_IN_FLIGHT:
            tl.dropped += 1  # the server is saturated: not sent, counted
            continue
        task = asyncio.create_task(_create(http, center, number, tl))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)


async def _measure(
    base_url: str,
    center: Center,
    rate: float,
    seconds: float,
    server_cpu: Callable[[], float] | None = None,
    on_load: Callable[[], object] | None = None,
) -> tuple[Timeline, float]:
    """`server_cpu`: the server process's CPU seconds so far, read around the load;
    `on_load` is called once the sockets are connected, as the first POST goes out."""
    with measuring():
        return await _load(base_url, center, rate, seconds, server_cpu, on_load)


async def _load(
    base_url: str,
    center: Center,
    rate: float,
    seconds: float,
    server_cpu: Callable[[], float] | None,
    on_load: Callable[[], object] | None,
) -> tuple[Timeline, float]:
    timeline = Timeline()
    clients = await _connect(base_url, center)
    servers = [asyncio.create_task(_serve_worker(c, timeline)) for c in clients]
    headers = basic_auth(center.account_sid, center.token)
    try:
        async with http_client(base_url, headers, 64) as http:
            cpu_before = server_cpu() if server_cpu is not None else None
            if on_load is not None:
                on_load()
            started = time.perf_counter()
            await _produce(http, center, rate, seconds, timeline)
            deadline = time.perf_counter() + DRAIN_SECONDS
            while len(timeline.received) < len(timeline.sent) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            if server_cpu is not None and cpu_before is not None:
                timeline.cpu_seconds = server_cpu() - cpu_before
    finally:
        timeline.closing = True
        for client in clients:
            await client.close()
        for server in servers:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
    return timeline, started


def _notes(rate: float, config: Config, tl: Timeline, measured: list[float]) -> list[str]:
    lost = len(tl.sent) - len(tl.received)
    notes = [
        f"{rate:.0f} tasks/s open-loop for {config.latency_seconds:.0f} s, "
        f"{config.latency_workers} single-tasking workers on websockets "
        "(each accepts and completes over its socket)",
        f"{len(measured):,} samples after a {config.latency_warmup_seconds:.0f} s warm-up; "
        f"{lost} sent tasks not reserved within {DRAIN_SECONDS:.0f} s of the last POST",
        "baseline: the POST /Tasks round trip itself, same run",
    ]
    per_task = tl.cpu_per_task()
    if per_task is not None:
        notes.append(
            f"server CPU {per_task * 1000:.1f} ms per task (both its threads, from the first "
            "POST to the drain; the sockets' connects not counted): one process is "
            f"CPU-bound near {1 / per_task:.0f} tasks/s"
        )
    if tl.dropped:
        notes.append(f"{tl.dropped} tasks not sent: {MAX_IN_FLIGHT} POSTs were in flight")
    if tl.errors:
        notes.append(f"{len(tl.errors)} errors (first: {tl.errors[0][:120]})")
    return notes


def _run_at(rate: float, config: Config, workdir: Path) -> list[Result]:
    name = f"latency-{rate:.0f}"
    center = asyncio.run(
        create_center(workdir / f"{name}.db", workers=config.latency_workers, multi_task=False)
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = switchboard_command(center.database_url, port)
    profile = None
    with serving(command, f"{base_url}/health", workdir / f"{name}.log") as server:
        timeline, started = asyncio.run(
            _measure(
                base_url,
                center,
                rate,
                config.latency_seconds,
                lambda: process_cpu_seconds(server.pid),
            )
        )
        if rate >= TARGET_RATE and config.latency_profile_seconds:
            profile = _profile(base_url, center, rate, config.latency_profile_seconds, server.pid)
    measured = timeline.latencies(started + config.latency_warmup_seconds) or [float("nan")]
    posts = timeline.post_latency or [float("nan")]
    p50, p99 = percentile(measured, 0.5), percentile(measured, 0.99)
    met = "met" if p99 < TARGET_P99 else "MISSED"
    label = f"@ {rate:.0f} tasks/s"
    p99_row = Result(
        NAME,
        f"p99 created -> reservation on websocket {label}",
        p99,
        "s",
        percentile(posts, 0.99),
        better="lower",
        notes=[f"target p99 < {TARGET_P99 * 1000:.0f} ms at 200 tasks/s: {met}"],
    )
    if rate >= TARGET_RATE:  # the light-load row shows the path without saturation
        target = f"p99 < {TARGET_P99 * 1000:.0f} ms at {TARGET_RATE:.0f} tasks/s"
        why = _why(timeline, rate, p99, percentile(posts, 0.99))
        p99_row.judge(target, p99 < TARGET_P99, why)
    if profile is not None:
        p99_row.notes.append(
            f"where the server's CPU went (py-spy at {server_profile.RATE_HZ} Hz over a "
            f"further {config.latency_profile_seconds:.0f} s of the same load, after the "
            f"measured one: sampling slows the server): {profile.summary()}"
        )
    saturated = timeline.dropped > 0
    if saturated:
        p99_row.gated = False
        p99_row.notes.append("not gated: the server was saturated")
    return [
        Result(
            NAME,
            f"p50 created -> reservation on websocket {label}",
            p50,
            "s",
            percentile(posts, 0.5),
            better="lower",
            notes=_notes(rate, config, timeline, measured),
            gated=not saturated,
        ),
        p99_row,
    ]


def _profile(
    base_url: str, center: Center, rate: float, seconds: float, pid: int
) -> server_profile.Profile:
    """The same load once more, sampled from its first POST to its drain: the profile a
    MISSED row explains itself with."""
    sampling: list[server_profile.Sampling | str] = []
    asyncio.run(
        _measure(
            base_url,
            center,
            rate,
            seconds,
            on_load=lambda: sampling.append(server_profile.start(pid)),
        )
    )
    return server_profile.finish(sampling[0] if sampling else "the load did not start")


def _why(timeline: Timeline, rate: float, p99: float, post_p99: float) -> str:
    """Which part of the path dominates, and how busy the server was."""
    per_task = timeline.cpu_per_task()
    if per_task is None or timeline.dropped:
        return _where(timeline, p99, post_p99)
    busy = per_task * rate
    return (
        f"{_where(timeline, p99, post_p99)}; the server was busy {busy:.0%} of a core "
        f"({per_task * 1000:.1f} ms of CPU per task at {rate:.0f} tasks/s), and requests "
        "queue behind each other as that nears 100%: what would fix it is less CPU per "
        "task (where it goes: the profile note) or a less loaded machine"
    )


def _where(timeline: Timeline, p99: float, post_p99: float) -> str:
    """Which part of the path dominates: the POST itself, or the routing and push after it."""
    if timeline.dropped:
        per_task = timeline.cpu_per_task()
        cost = "" if per_task is None else f" ({per_task * 1000:.1f} ms of server CPU)"
        return (
            f"the server is saturated ({timeline.dropped} tasks not sent with "
            f"{MAX_IN_FLIGHT} POSTs in flight): each task costs a POST, an accept and a "
            f"complete (three writes){cost}; see the server CPU per POST row, the fix is "
            "the write path's (less CPU per request: fewer, cheaper statements)"
        )
    if post_p99 >= p99 / 2:
        return (
            f"the POST round trip itself (p99 {post_p99 * 1000:.1f} ms) is most of it: the "
            "201 waits for its commit; the fix is the write path's (less CPU per write)"
        )
    return (
        f"routing and the push after the commit (POST p99 {post_p99 * 1000:.1f} ms of "
        f"{p99 * 1000:.1f} ms); on a shared 2-core machine client, server and workers "
        "compete for CPU"
    )


def run(config: Config, workdir: Path) -> list[Result]:
    """At the target rate, and (full runs) at a light rate the server keeps up with."""
    results = _run_at(config.latency_rate, config, workdir)
    if config.latency_light_rate is not None:
        results += _run_at(config.latency_light_rate, config, workdir)
    return results
