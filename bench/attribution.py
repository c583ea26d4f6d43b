"""`python -m bench.attribution`: leases per second and inbound lookup latency.

* leases/s: visitors leasing from one pool (each lease takes the pool's lock), one at a
  time and 16 at once, on SQLite and PostgreSQL (and memory, as the floor).
* lookup: with 100,000 live leases stored, the latency of crediting an inbound contact
  (address -> point -> lease, then the release), p50 and p99 over 300 contacts.

Prints a Markdown table with the machine it ran on; `--quick` uses tiny sizes. `./run
bench` runs the same measurements as its `attribution` rows (`run`), each against the
in-memory store measured in the same run (the floor: no SQL at all).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy import text

from bench.common import Config, Result
from switchboard.attribution.domain import leases as rules
from switchboard.attribution.domain.records import CONTACT_POINT, LEASE, ContactPoint, Lease
from switchboard.attribution.services import arrivals, leasing, pools
from switchboard.attribution.services.context import Attribution
from switchboard.database import SCHEMA, upgrade
from switchboard.kernel import sids
from switchboard.kernel.clock import SystemClock
from switchboard.kernel.ports import Store
from switchboard.store.memory import MemoryStore
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import Account
from switchboard.testing import postgres

PG_ADMIN = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ACCOUNT = "AC" + "b" * 32


async def _account(store: Store) -> None:
    async with store.transaction() as unit:
        # a placeholder hash: the benchmark never authenticates
        token_hash = "0" * 64
        unit.add(Account(sid=ACCOUNT, friendly_name="bench", auth_token_hash=token_hash,
                         date_created=0, date_updated=0))  # fmt: skip


async def _leases_per_second(store: Store, count: int, parallel: int) -> float:
    attribution = Attribution(store, SystemClock())
    fields = pools.PoolFields("bench", fallback=f"+1999{random.randrange(10**7):07d}")
    numbers = [f"+1{random.randrange(10**9):09d}{n}" for n in range(count)]
    pool = await pools.create_pool(attribution, ACCOUNT, fields, numbers)
    queue = list(range(count))

    async def worker() -> None:
        while queue:
            n = queue.pop()
            await leasing.lease(attribution, pool, {"visitor": f"v{n}", "utm_campaign": "c"})

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    return count / (time.perf_counter() - started)


async def _seed_live_leases(store: Store, attribution: Attribution, count: int) -> list[str]:
    """`count` points, each held by a live lease, written in batches."""
    fields = pools.PoolFields("big", fallback="+19990000000", lease_seconds=86_400)
    pool = await pools.create_pool(attribution, ACCOUNT, fields, [])
    now = attribution.now()
    addresses = [f"+2{n:010d}" for n in range(count)]
    for first in range(0, count, 5000):
        async with store.transaction() as unit:
            for address in addresses[first : first + 5000]:
                point = ContactPoint(sids.new_sid(CONTACT_POINT), ACCOUNT, pool.sid, address,
                                     None, 0, None, now)  # fmt: skip
                lease = Lease(sids.new_sid(LEASE), ACCOUNT, pool.sid, point.sid, address, None,
                              "c", None, None, None, None, None, None, "{}", "live", now,
                              now + 86_400_000, None, None, None, 0, None, None, None)  # fmt: skip
                rules.occupy(pool, point, lease)
                unit.add(point)
                unit.add(lease)
    return addresses


async def _analyze(store: Store) -> None:
    """Fresh statistics after the bulk load, as autovacuum would gather them in service."""
    if isinstance(store, SqlStore):
        async with store.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def _lookup_latency(store: Store, count: int, samples: int) -> tuple[float, float]:
    attribution = Attribution(store, SystemClock())
    addresses = await _seed_live_leases(store, attribution, count)
    await _analyze(store)
    timings = []
    for address in random.sample(addresses, samples):
        started = time.perf_counter()
        found = await arrivals.arrive(attribution, ACCOUNT, address, "+4915100000000")
        timings.append(time.perf_counter() - started)
        assert found is not None and found.contact.match == "attributed"
    timings.sort()
    return timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.99) - 1] * 1000


async def _with_store(kind: str, work: Callable[[Store], Awaitable[list[str]]]) -> list[str]:
    if kind == "memory":
        return await work(MemoryStore(SCHEMA))
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            store = SqlStore(f"sqlite+aiosqlite:///{Path(directory) / 'b.db'}", SCHEMA)
            await upgrade(store)
            try:
                return await work(store)
            finally:
                await store.dispose()
    name = postgres.owned_name("sb_bench")
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    store = SqlStore(f"{base}/{name}", SCHEMA)
    try:
        await upgrade(store)
        return await work(store)
    finally:
        await store.dispose()
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _row(kind: str, leases: int, live: int, samples: int) -> list[str]:
    async def work(store: Store) -> list[str]:
        await _account(store)
        one = await _leases_per_second(store, leases, 1)
        many = await _leases_per_second(store, leases, 16)
        p50, p99 = await _lookup_latency(store, live, samples)
        return [kind, f"{one:,.0f}", f"{many:,.0f}", f"{live:,}", f"{p50:.2f}", f"{p99:.2f}"]

    return await _with_store(kind, work)


async def main(quick: bool, stores: list[str]) -> None:
    leases, live, samples = (100, 2_000, 50) if quick else (1_000, 100_000, 300)
    load = os.getloadavg()[0]
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {load:.1f} at the start")  # fmt: skip
    print()
    print("| store | leases/s (1 client) | leases/s (16 clients) | live leases | "
          "lookup p50 ms | lookup p99 ms |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in stores:
        print("| " + " | ".join(await _row(kind, leases, live, samples)) + " |", flush=True)


async def _figures(kind: str, leases: int, live: int, samples: int) -> dict[str, float]:
    async def work(store: Store) -> list[str]:
        await _account(store)
        one = await _leases_per_second(store, leases, 1)
        many = await _leases_per_second(store, leases, 16)
        p50, p99 = await _lookup_latency(store, live, samples)
        return [str(one), str(many), str(p50), str(p99)]

    one, many, p50, p99 = (float(v) for v in await _with_store(kind, work))
    return {"one": one, "many": many, "p50": p50, "p99": p99}


def _postgres_reachable() -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(PG_ADMIN, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


def run(config: Config, _workdir: Path) -> list[Result]:
    """The `attribution` rows of `./run bench`: each store against the memory floor."""
    leases, live, samples = (40, 500, 30) if config.quick else (1_000, 100_000, 300)
    floor = asyncio.run(_figures("memory", leases, live, samples))
    stores = ["sqlite"] + (["postgresql"] if _postgres_reachable() else [])
    results = []
    for kind in stores:
        measured = asyncio.run(_figures(kind, leases, live, samples))
        note = f"{kind}; baseline: the in-memory store, same sizes, same run"
        results += [
            Result("attribution", f"leases/s, 1 client ({kind})", measured["one"], "leases/s",
                   baseline=floor["one"], notes=[note]),
            Result("attribution", f"leases/s, 16 clients ({kind})", measured["many"],
                   "leases/s", baseline=floor["many"], notes=[note]),
            Result("attribution", f"inbound lookup p99 with {live:,} live leases ({kind})",
                   measured["p99"] / 1000, "s", baseline=floor["p99"] / 1000, better="lower",
                   notes=[note, f"p50 {measured['p50']:.2f} ms"]),
        ]  # fmt: skip
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgresql", help="memory,sqlite,postgresql")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.stores.split(",")))
