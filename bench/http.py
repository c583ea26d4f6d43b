"""HTTP task creation against a live server, as a ratio to a bare Starlette endpoint."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.center import Center, create_center
from bench.common import Config, Result
from bench.load import LoadResult, basic_auth, closed_loop, http_client
from bench.servers import (
    bare_command,
    free_port,
    process_cpu_seconds,
    serving,
    switchboard_command,
)

NAME = "HTTP task creation"
TARGET_RATIO = 0.5
TARGET_CPU_RATIO = 10.0  # issue 10: server CPU per POST within 10x a bare endpoint
WARMUP_REQUESTS = 200
CLIENT_BOUND = 0.85  # client CPU share above which the client, not the server, is the limit


@dataclass
class Served:
    load: LoadResult
    server_cpu: float
    passes: tuple[float, float] | None = None  # routing passes and their seconds, from /metrics

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / max(1, self.load.completed)


def _body(center: Center) -> dict[str, str]:
    return {"WorkflowSid": center.workflow_sid, "Attributes": json.dumps({"type": "support"})}


async def _drive(base_url: str, center: Center, config: Config, pid: int) -> Served:
    headers = basic_auth(center.account_sid, center.token)
    body = _body(center)
    async with http_client(base_url, headers, config.http_concurrency) as client:
        warmup = min(WARMUP_REQUESTS, config.http_requests // 4)
        await closed_loop(
            client,
            center.tasks_path,
            lambda _n: body,
            requests=warmup,
            seconds=30.0,
            concurrency=config.http_concurrency,
        )
        cpu_before = process_cpu_seconds(pid)
        passes_before = await _routing_passes(client)
        load = await closed_loop(
            client,
            center.tasks_path,
            lambda _n: body,
            requests=config.http_requests,
            seconds=config.http_seconds,
            concurrency=config.http_concurrency,
        )
        cpu = process_cpu_seconds(pid) - cpu_before
        passes_after = await _routing_passes(client)
        passes = None
        if passes_before is not None and passes_after is not None:
            passes = (passes_after[0] - passes_before[0], passes_after[1] - passes_before[1])
        return Served(load, cpu, passes)


async def _routing_passes(client: httpx.AsyncClient) -> tuple[float, float] | None:
    """(passes, seconds in passes) from the server's own `GET /metrics`; None without it."""
    response = await client.get("/metrics")
    if response.status_code != 200:
        return None
    count, seconds = (
        "switchboard_routing_passes_total",
        "switchboard_routing_pass_duration_seconds_sum",
    )
    values = {count: 0.0, seconds: 0.0}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name in values:
                values[sample.name] = float(sample.value)
    return values[count], values[seconds]


def _serve_and_drive(
    command: list[str], port: int, center: Center, config: Config, log: Path
) -> Served:
    base_url = f"http://127.0.0.1:{port}"
    with serving(command, f"{base_url}/health", log) as process:
        return asyncio.run(_drive(base_url, center, config, process.pid))


def _describe(label: str, served: Served) -> str:
    load = served.load
    client_cpu = load.client_cpu / load.seconds * 100 if load.seconds else 0.0
    text = (
        f"{label}: {load.completed:,} req in {load.seconds:.1f} s, "
        f"p50 {load.p(0.5) * 1000:.1f} ms, p99 {load.p(0.99) * 1000:.1f} ms, "
        f"server CPU {served.cpu_per_request * 1000:.2f} ms/req, client CPU {client_cpu:.0f}%"
    )
    if served.passes is not None and served.passes[0]:
        count, seconds = served.passes
        text += f", {count:.0f} routing passes of {seconds / count * 1000:.1f} ms mean (/metrics)"
    elif served.passes is not None:
        text += ", no routing pass (/metrics): with no worker, each new task's pass is put off"
    if load.errors:
        text += f", {load.errors} errors (first: {load.first_error[:120]})"
    return text


def _client_bound(bare: Served) -> list[str]:
    """The bare server idles while the client saturates a core: say the ratio flatters us."""
    load = bare.load
    if not load.seconds or load.client_cpu / load.seconds < CLIENT_BOUND:
        return []
    server = bare.server_cpu / load.seconds
    return [
        f"the bare run is client-bound (client CPU {load.client_cpu / load.seconds:.0%}, "
        f"bare server {server:.0%}): bare Starlette can do more, so this ratio overstates "
        "Switchboard; the server-CPU row below is the client-independent comparison"
    ]


def run(config: Config, workdir: Path) -> list[Result]:
    center = asyncio.run(create_center(workdir / "http.db", workers=0))
    bare_port, sb_port = free_port(), free_port()
    bare = _serve_and_drive(
        bare_command(bare_port), bare_port, center, config, workdir / "bare.log"
    )
    command = switchboard_command(center.database_url, sb_port)
    served = _serve_and_drive(command, sb_port, center, config, workdir / "http-server.log")
    ratio = served.load.rate / bare.load.rate if bare.load.rate else 0.0
    bound = _client_bound(bare)
    common = f"{config.http_concurrency} concurrent keep-alive connections, SQLite file, no workers"
    throughput = Result(
        NAME,
        "requests/s (POST /Tasks vs bare Starlette)",
        served.load.rate,
        "req/s",
        bare.load.rate,
        notes=[
            common,
            _describe("switchboard", served),
            _describe("bare", bare),
            f"target >= {TARGET_RATIO:.0%} of bare: {'met' if ratio >= TARGET_RATIO else 'MISSED'}",
            *bound,
        ],
    )
    cpu = Result(
        NAME,
        "server CPU per request (vs bare Starlette)",
        served.cpu_per_request,
        "s",
        bare.cpu_per_request,
        better="lower",
        notes=["from /proc/<pid>/stat over the measured requests; independent of the client"],
    )
    ratio_cpu = cpu.ratio or float("inf")
    cpu.judge(
        f"<= {TARGET_CPU_RATIO:.0f}x bare (stretch <= 5x)",
        ratio_cpu <= TARGET_CPU_RATIO,
        "the HTTP path breakdown rows price it: writes run on the event loop already "
        "(ADR 0017), so what is left is Python per request: FastAPI's routing and "
        "dependencies, the unit of work, the routing pass and the outbox pass, each "
        "statement through SQLAlchemy Core; profile with py-spy (bench/analysis.md)",
    )
    return [throughput, cpu]
