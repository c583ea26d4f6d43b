"""pgqueuer's enqueue -> dequeue -> ack rate on the same PostgreSQL server, same run.

The baseline of the PostgreSQL lifecycle row: a job queue does the least a queue can
do per item (one insert, one claim, one acknowledgement), so its rate says what the
database allows, and Switchboard's tasks created -> reserved -> accepted -> completed
per second say what TaskRouter's extra work per task costs (routing, reservations,
events, callbacks, statistics, an HTTP round trip per step).

To compare like with like, producers enqueue one job per call (a task is one POST),
12 at a time (the lifecycle driver's 12 producers), and one pgqueuer consumer with its
default batch size runs a no-op entrypoint; a job counts once its entrypoint returned
(as pgqueuer's own benchmark counts). pgqueuer is an optional, bench-only dependency
(`pip install -e '.[bench]'`); without it the row says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

import asyncpg

PRODUCERS = 12
# jobs enqueued and not yet through the entrypoint, at most: the lifecycle driver's bound
# (bench.scaleout.MAX_OUTSTANDING), so both sides are measured in a steady state
MAX_OUTSTANDING = 60
ENTRYPOINT = "bench"


def available() -> str | None:
    """None when pgqueuer imports, else why not."""
    try:
        import pgqueuer  # noqa: F401
    except ImportError as exc:
        return f"pgqueuer not installed ({exc}); `pip install -e '.[bench]'`"
    return None


async def _produce(
    pool: asyncpg.Pool, until: float, numbers: itertools.count[int], done: list[int]
) -> None:
    from pgqueuer.db import AsyncpgPoolDriver
    from pgqueuer.queries import Queries

    queries = Queries(AsyncpgPoolDriver(pool))
    while time.monotonic() < until:
        number = next(numbers)
        while number - done[0] >= MAX_OUTSTANDING and time.monotonic() < until:
            await asyncio.sleep(0.001)  # the consumer catches up
        await queries.enqueue(ENTRYPOINT, str(number).encode())


async def rate(dsn: str, seconds: float) -> tuple[float, int, float]:
    """(jobs through their entrypoint per second, jobs enqueued, this process's CPU seconds
    per job: pgqueuer's producers and consumer) on the database at `dsn`."""
    from pgqueuer import PgQueuer
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.queries import Queries

    setup = await asyncpg.connect(dsn)
    try:
        await Queries(AsyncpgDriver(setup)).install()
    finally:
        await setup.close()
    done = [0]
    connection = await asyncpg.connect(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=PRODUCERS)
    try:
        pgq = PgQueuer(AsyncpgDriver(connection))

        async def bench(_job: Any) -> None:
            done[0] += 1

        # not a decorator: pgqueuer may be absent, and then mypy sees an untyped one
        pgq.entrypoint(ENTRYPOINT)(bench)

        consumer = asyncio.create_task(pgq.run())
        numbers = itertools.count()
        cpu = time.process_time()
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(_produce(pool, until, numbers, done) for _ in range(PRODUCERS)))
        elapsed = time.monotonic() - started
        counted = done[0]
        cpu = time.process_time() - cpu
        pgq.shutdown.set()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(consumer, timeout=10)
        return counted / elapsed, next(numbers), cpu / max(1, counted)
    finally:
        await pool.close()
        await connection.close()
