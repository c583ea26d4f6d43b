"""A closed-loop HTTP load: `concurrency` async httpx clients, bounded in count and in time."""

from __future__ import annotations

import asyncio
import base64
import itertools
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.common import Stopwatch, percentile

BodyFactory = Callable[[int], dict[str, str]]


@dataclass
class LoadResult:
    completed: int = 0
    errors: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) if self.latencies else 0.0


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def http_client(base_url: str, headers: dict[str, str], connections: int) -> httpx.AsyncClient:
    """Keep-alive connections with TCP_NODELAY, as urllib3 (the twilio SDK) sets it.

    Without it, h11 writes headers and body separately and Nagle's algorithm meets
    the server's delayed ACK: every POST would wait ~40 ms.
    """
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.AsyncHTTPTransport(
        limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )
    return httpx.AsyncClient(base_url=base_url, headers=headers, transport=transport, timeout=30.0)


async def _worker(
    client: httpx.AsyncClient,
    path: str,
    body: BodyFactory,
    numbers: itertools.count[int],
    limit: tuple[int, float],
    result: LoadResult,
) -> None:
    requests, deadline = limit
    while (number := next(numbers)) < requests and time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post(path, data=body(number))
        except httpx.TransportError as exc:  # counted, not fatal: the row says how many
            result.errors += 1
            result.first_error = result.first_error or f"{type(exc).__name__} {exc}"
            continue
        if response.status_code == 201:
            result.completed += 1
            result.latencies.append(time.perf_counter() - started)
        else:
            result.errors += 1
            result.first_error = result.first_error or f"{response.status_code} {response.text}"


async def closed_loop(
    client: httpx.AsyncClient,
    path: str,
    body: BodyFactory,
    *,
    requests: int,
    seconds: float,
    concurrency: int,
) -> LoadResult:
    """POST `requests` forms (or for `seconds`), `concurrency` at a time."""
    result = LoadResult()
    numbers = itertools.count()
    with Stopwatch() as watch:
        limit = (requests, time.perf_counter() + seconds)
        workers = [_worker(client, path, body, numbers, limit, result) for _ in range(concurrency)]
        await asyncio.gather(*workers)
    result.seconds, result.client_cpu = watch.seconds, watch.cpu
    return result
