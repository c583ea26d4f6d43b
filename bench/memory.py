"""Memory and disk per 100k waiting tasks, and what loading them costs a routing pass.

A real task row is made through the service layer, then copied (new sid, number and
language in its attributes) into `memory_tasks` rows with one bulk insert, so the
table holds exactly what `create_task` writes. Then, on that file:

* disk: the `tasks` table and its indexes (SQLite's `dbstat`), per 100k rows;
* service path: file growth per task created through `create_task` (task row,
  events, indexes), for `disk_tasks` tasks, scaled to 100k;
* load time and memory of :func:`load_snapshot` (what each routing pass does),
  against fetching the same rows as plain tuples with the sqlite3 module.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bench.center import Center, create_center
from bench.common import Config, Result
from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.services.snapshot import load_snapshot
from switchboard.services.tasks import TaskCreate, create_task
from switchboard.store import tables as t
from switchboard.store.database import Store

NAME = "memory & disk per 100k waiting tasks"
PER = 100_000
CHUNK = 5_000
RAW_QUERY = (
    "SELECT * FROM tasks WHERE workspace_sid = ? AND assignment_status IN ('pending', 'reserved')"
)


def _store(center: Center) -> tuple[Store, Services]:
    store = Store(center.database_url)
    return store, Services(store=store)  # no router: nothing is routed here


async def _create(svc: Services, center: Center, count: int) -> list[str]:
    sids = []
    for number in range(count):
        params = TaskCreate(
            attributes=json.dumps({"type": "support", "n": number}),
            workflow_sid=center.workflow_sid,
        )
        sids.append((await create_task(svc, center.account_sid, center.workspace_sid, params)).sid)
    return sids


async def _bulk_copy(store: Store, template_sid: str, count: int) -> None:
    async with store.transaction() as session:
        row = await session.get(t.Task, template_sid)
        assert row is not None
        columns = {c.key: getattr(row, c.key) for c in t.Task.__table__.columns}
    langs = ("en", "es", "fr")
    for start in range(0, count, CHUNK):
        rows: list[dict[str, Any]] = []
        for number in range(start, min(count, start + CHUNK)):
            attributes = {"type": "support", "n": number, "lang": langs[number % 3]}
            rows.append(
                columns
                | {"sid": f"WT{number:032x}", "attributes": json.dumps(attributes)}
                | {"assignment_status": "pending"}
                | {"virtual_start_time": columns["virtual_start_time"] + number}
            )
        async with store.transaction() as session:
            await session.execute(insert(t.Task), rows)


def _file_path(center: Center) -> str:
    return center.database_url.removeprefix("sqlite+aiosqlite:///")


def _table_bytes(path: str) -> tuple[int, int]:
    """(tasks table, tasks table + its indexes) in bytes, from dbstat."""
    with sqlite3.connect(path) as conn:
        names = [
            n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'tasks'")
        ]
        sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    return int(sizes.get("tasks", 0)), sum(int(sizes.get(n, 0)) for n in names)


def _file_bytes(path: str) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * page_size)


async def _service_growth(center: Center, count: int) -> float:
    """Bytes the file grows by per task created through the service layer."""
    path = _file_path(center)
    before = _file_bytes(path)
    store, svc = _store(center)
    try:
        await _create(svc, center, count)
    finally:
        await store.dispose()
    return (_file_bytes(path) - before) / count


def _raw_rows(path: str, workspace_sid: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(RAW_QUERY, (workspace_sid,)).fetchall()


async def _load(store: Store, workspace_sid: str) -> Any:
    async with store.read() as session:
        workspace = await session.get(t.Workspace, workspace_sid)
        assert workspace is not None
        return await load_snapshot(session, workspace, now_ms())


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


def _traced(work: Callable[[], Any]) -> int:
    """Bytes still allocated after `work()` (its result is kept alive while measuring)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0]
        del result
    finally:
        tracemalloc.stop()
    return size


async def _measure_load(center: Center) -> dict[str, float]:
    path = _file_path(center)
    store = Store(center.database_url)
    try:
        await _load(store, center.workspace_sid)  # warm caches (compiled queries, workflow)
        load_s = await _timed(lambda: _load(store, center.workspace_sid))
        started = time.perf_counter()
        rows = _raw_rows(path, center.workspace_sid)
        raw_s = time.perf_counter() - started
    finally:
        await store.dispose()
    return {"load_s": load_s, "raw_s": raw_s, "rows": float(len(rows))}


def _load_memory(center: Center) -> tuple[int, int, int]:
    """(bytes held by load_snapshot's result, bytes of the raw tuples, tasks in the snapshot)."""
    path = _file_path(center)
    holder: dict[str, Any] = {}

    def load() -> Any:
        async def run() -> Any:
            store = Store(center.database_url)
            try:
                return await _load(store, center.workspace_sid)
            finally:
                await store.dispose()

        holder["loaded"] = asyncio.run(run())
        return holder["loaded"]

    loaded_bytes = _traced(load)
    raw_bytes = _traced(lambda: _raw_rows(path, center.workspace_sid))
    return loaded_bytes, raw_bytes, len(holder["loaded"].snapshot.tasks)


async def _prepare(workdir: Path, config: Config) -> tuple[Center, float]:
    """The center with `memory_tasks` waiting tasks; returns it and the service growth/task."""
    center = await create_center(workdir / "memory.db", workers=0)
    growth = await _service_growth(center, config.disk_tasks)
    store, svc = _store(center)
    try:
        [template] = await _create(svc, center, 1)
        async with store.transaction() as session:  # only the bulk copies stay waiting
            await session.execute(
                update(t.Task)
                .where(t.Task.workspace_sid == center.workspace_sid)
                .values(assignment_status="canceled")
            )
        await _bulk_copy(store, template, config.memory_tasks)
    finally:
        await store.dispose()
    return center, growth


def run(config: Config, workdir: Path) -> list[Result]:
    center, growth = asyncio.run(_prepare(workdir, config))
    scale = PER / config.memory_tasks
    table, with_indexes = _table_bytes(_file_path(center))
    timing = asyncio.run(_measure_load(center))
    loaded_bytes, raw_bytes, waiting = _load_memory(center)
    size = f"measured on {config.memory_tasks:,} waiting tasks, scaled to 100k"
    return [
        Result(
            NAME,
            "routing snapshot in memory (load_snapshot result)",
            loaded_bytes * scale,
            "bytes",
            raw_bytes * scale,
            better="lower",
            notes=[
                size,
                f"{waiting:,} tasks in the snapshot",
                "tracemalloc; ORM rows + "
                "decoded attributes + engine objects; baseline: the same rows as sqlite3 tuples",
            ],
        ),
        Result(
            NAME,
            "routing snapshot load time",
            timing["load_s"] * scale,
            "s",
            timing["raw_s"] * scale,
            better="lower",
            notes=[
                size,
                "every routing pass of the workspace pays this; baseline: sqlite3 "
                "fetchall of the same rows",
            ],
        ),
        Result(
            NAME,
            "SQLite tasks table + indexes",
            with_indexes * scale,
            "bytes",
            table * scale,
            better="lower",
            notes=["dbstat; baseline: the table alone (ratio = index overhead)"],
        ),
        Result(
            NAME,
            "SQLite file growth, tasks created via the service",
            growth * PER,
            "bytes",
            with_indexes * scale,
            better="lower",
            notes=[
                f"{config.disk_tasks:,} create_task calls (task row, 3 events, indexes), "
                "scaled to 100k; baseline: task rows + indexes alone"
            ],
        ),
    ]
