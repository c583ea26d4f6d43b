"""Where the HTTP path's time goes, measured in process (no network, no client cost).

POST /Tasks through the ASGI app: SQL statements per request (counted at the sqlite3
driver: prepared statements run on it directly, past SQLAlchemy's events, ADR 0019),
CPU per request with routing on and with the dispatcher's doorbell disconnected, and
the cost of one trivial statement through SQLAlchemy's async session and aiosqlite
(each statement is a hop to aiosqlite's thread) against the same on the write
connection, which runs on the event loop (ADR 0017).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sqlite3.dbapi2
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.center import Center, create_center
from bench.common import Config, Result
from bench.load import basic_auth
from switchboard.database import SCHEMA
from switchboard.runtime import build_runtime
from switchboard.settings import Settings
from switchboard.store.sql import SqlStore

NAME = "HTTP path breakdown (in-process)"
CONCURRENCY = 8


# transaction control, not work: not counted as statements
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextmanager
def traced_connections(seen: Callable[[str], None]) -> Iterator[None]:
    """Every SQLite connection opened meanwhile (the loop's writer and aiosqlite's
    readers) reports each statement it runs to `seen`, for as long as it lives."""
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = original(*args, **kwargs)
        connection.set_trace_callback(seen)
        return connection

    sqlite3.connect = sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = sqlite3.dbapi2.connect = original


async def post_many(center: Center, requests: int, *, routing: bool) -> tuple[float, float]:
    """(CPU seconds per request, SQL statements per request) over `requests` POSTs."""
    statements = [0]

    def count(sql: str) -> None:
        if not sql.lstrip().upper().startswith(CONTROL):
            statements[0] += 1

    with traced_connections(count):
        return await _post_many(center, requests, routing, statements)


async def _post_many(
    center: Center, requests: int, routing: bool, statements: list[int]
) -> tuple[float, float]:
    runtime = build_runtime(Settings(database_url=center.database_url))
    body = {"WorkflowSid": center.workflow_sid, "Attributes": json.dumps({"type": "support"})}
    transport = httpx.ASGITransport(app=runtime.app)
    headers = basic_auth(center.account_sid, center.token)
    async with (
        runtime.app.router.lifespan_context(runtime.app),
        httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client,
    ):
        await client.post(center.tasks_path, data=body)  # warm caches
        await runtime.dispatcher.wait_idle()
        if not routing:
            await runtime.dispatcher.stop()  # the doorbell rings, nobody routes
        statements[0] = 0
        cpu = time.process_time()

        async def lane() -> None:
            for _ in range(requests // CONCURRENCY):
                await client.post(center.tasks_path, data=body)

        await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
        await runtime.dispatcher.wait_idle()
        done = requests // CONCURRENCY * CONCURRENCY
        return (time.process_time() - cpu) / done, statements[0] / done


async def _statement_cost(center: Center) -> tuple[float, float]:
    """CPU of `SELECT 1` in a read unit (aiosqlite) and in a write transaction (on the loop)."""
    store = SqlStore(center.database_url, SCHEMA)
    rounds = 500
    costs = []
    try:
        for unit_of in (store.read, store.transaction):
            async with unit_of() as unit:
                await unit.connection.execute(text("SELECT 1"))
                cpu = time.process_time()
                for _ in range(rounds):
                    await unit.connection.execute(text("SELECT 1"))
                costs.append((time.process_time() - cpu) / rounds)
        return costs[0], costs[1]
    finally:
        await store.dispose()


def run(config: Config, workdir: Path) -> list[Result]:
    requests = config.diagnose_requests
    with_routing = asyncio.run(create_center(workdir / "diag-a.db", workers=0))
    without = asyncio.run(create_center(workdir / "diag-b.db", workers=0))
    cpu_on, statements = asyncio.run(post_many(with_routing, requests, routing=True))
    cpu_off, statements_off = asyncio.run(post_many(without, requests, routing=False))
    statement, on_loop = asyncio.run(_statement_cost(with_routing))
    sizes = f"{requests} POST /Tasks, {CONCURRENCY} concurrent, ASGI transport, empty workspace"
    return [
        Result(
            NAME,
            "CPU per POST /Tasks (routing on vs doorbell off)",
            cpu_on,
            "s",
            cpu_off,
            better="lower",
            notes=[
                sizes,
                "routing passes would run in the same process; with no worker each new "
                "task's pass is put off until one has room, so the difference is the "
                "doorbell and the dispatcher's look at the claim",
            ],
        ),
        Result(
            NAME,
            "SQL statements per POST /Tasks (routing on vs off)",
            statements,
            "stmts",
            statements_off,
            better="lower",
            notes=[
                "counted at the sqlite3 driver (its trace callback), where prepared "
                "statements run directly (ADR 0019); transaction control not counted; "
                "includes routing passes, callback outbox and usage metering"
            ],
        ),
        Result(
            NAME,
            "CPU of one trivial statement (SQLAlchemy async + aiosqlite vs on the loop)",
            statement,
            "s",
            on_loop,
            better="lower",
            notes=[
                "`SELECT 1` in a read unit (aiosqlite: a greenlet switch and a hop to its "
                "thread) against the same in a write transaction, which runs on the event "
                "loop on one synchronous connection (ADR 0017); reads stay on aiosqlite"
            ],
        ),
    ]
