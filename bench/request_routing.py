"""Request routing (issue 19): requests routed per second from the customer's first
message to the reservation, with the p99 of that time.

In-process ASGI app with the dispatcher running, SQLite file. A workspace with as many
available workers as requests (multitasking), an organization profile that is always
open, with categorization rules. `requests` distinct customers each send a first message
(`POST /v1/Organizations/{Organization}/Inbound`), 8 at a time; each request's time
runs from its POST until the `reservation.created` event of its task on the bus. The
whole path is measured: relationship, case, interaction, participant, messages, the
task through the TaskIntake port, the acknowledgement and queue position, the routing
pass and the reservation.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from bench.center import create_center, open_core
from bench.common import Config, Result, measuring, percentile
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.runtime import http_app

NAME = "request routing"
CONCURRENCY = 8
RULES = [
    {"category": "billing", "keywords": ["invoice", "refund"]},
    {"category": "shipping", "pattern": "parcel|delivery"},
]
BODIES = ["my invoice is wrong", "where is my parcel", "I cannot log in", "refund please"]


async def _route(path: Path, requests: int) -> tuple[float, float, float]:
    center = await create_center(path, requests)
    core = open_core(center.database_url)
    dispatcher = Dispatcher(core.services)
    await dispatcher.start()
    reserved: dict[str, float] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event["event_type"] == "reservation.created":
            reserved.setdefault(event["task_sid"], time.perf_counter())

    core.services.bus.subscribe(on_event)
    app, _registry = http_app(core)
    auth = (center.account_sid, center.token)
    transport = httpx.ASGITransport(app=app)
    started: dict[str, float] = {}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://b", auth=auth) as http:
            profile = {
                "WorkspaceSid": center.workspace_sid,
                "WorkflowSid": center.workflow_sid,
                "ProxyAddress": "web:bench",
                "Rules": json.dumps(RULES),
                "DefaultCategory": "general",
            }
            answer = await http.post("/v1/Organizations/bench/RoutingProfile", data=profile)
            assert answer.status_code == 200, answer.text
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(n: int) -> None:
                async with gate:
                    began = time.perf_counter()
                    data = {"From": f"web:c{n}", "Body": BODIES[n % len(BODIES)]}
                    reply = await http.post("/v1/Organizations/bench/Inbound", data=data)
                    assert reply.status_code == 200, reply.text
                    started[reply.json()["task_sid"]] = began

            first = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(requests)))
            deadline = time.perf_counter() + 60
            while len(set(started) & set(reserved)) < requests and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            last = max(reserved[t] for t in started)
    finally:
        await dispatcher.stop()
        await core.close()
    latencies = [reserved[t] - began for t, began in started.items()]
    return requests / (last - first), percentile(latencies, 0.99), percentile(latencies, 0.5)


def run(config: Config, workdir: Path) -> list[Result]:
    requests = 40 if config.quick else 1_000
    with measuring():  # the runner's earlier objects stay out of the collector's scans
        rate, p99, p50 = asyncio.run(_route(workdir / "requests.db", requests))
    note = (
        f"{requests} first messages, {CONCURRENCY} at a time, {requests} available workers, "
        f"SQLite, in-process; median {p50 * 1000:.1f} ms"
    )
    return [
        Result(
            NAME, "requests routed/s (first message → reservation)", rate, "req/s", notes=[note]
        ),
        Result(NAME, "p99 first message → reservation", p99, "s", better="lower", notes=[note]),
    ]
