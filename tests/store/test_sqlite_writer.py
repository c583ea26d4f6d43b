"""SQLite writes on the event loop (ADR 0017): the loop runs them, a thread checkpoints."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import event

from switchboard.database import SCHEMA, upgrade
from switchboard.store import sql
from switchboard.store.sql import LoopConnection, SqlStore
from switchboard.tenancy.domain.records import Account


def _account(n: int) -> Account:
    return Account(
        sid=f"AC{n:032d}", friendly_name=f"a{n}", auth_token_hash="x", date_created=0,
        date_updated=0,
    )  # fmt: skip


def _threads_running(engine: Any, marker: str) -> list[int]:
    """The threads that execute statements containing `marker` on `engine`."""
    seen: list[int] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if marker in statement:
            seen.append(threading.get_ident())

    event.listen(engine, "before_cursor_execute", note)
    return seen


async def test_a_write_transaction_runs_its_statements_on_the_loop_thread(
    tmp_path: Path,
) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", SCHEMA)
    try:
        await upgrade(store)
        assert store.loop_engine is not None
        inserts = _threads_running(store.loop_engine, "INSERT INTO accounts")
        async with store.transaction() as unit:
            assert isinstance(unit.connection, LoopConnection)
            unit.add(_account(1))
        assert inserts == [threading.get_ident()]
        async with store.read() as unit:  # and a reader on aiosqlite sees the commit
            assert await unit.get(Account, (_account(1).sid,)) is not None
    finally:
        await store.dispose()


async def test_the_wal_is_checkpointed_off_the_loop_every_hundred_writes(
    tmp_path: Path,
) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", SCHEMA)
    try:
        await upgrade(store)
        # through the aiosqlite engine, whose statements run on aiosqlite's thread
        checkpoints = _threads_running(store.engine.sync_engine, "wal_checkpoint")
        assert store.loop_engine is not None
        on_the_loop = _threads_running(store.loop_engine, "wal_checkpoint")
        for n in range(3 * sql.CHECKPOINT_EVERY):
            async with store.transaction() as unit:
                unit.add(_account(n))
            await asyncio.sleep(0)
            if (n + 1) % sql.CHECKPOINT_EVERY == 0:
                # one at a time: the next hundredth write waits for a checkpoint that still
                # runs (on a loaded machine it may), which would leave out the third here
                for _ in range(500):
                    if not store._checkpointing():
                        break
                    await asyncio.sleep(0.01)
        for _ in range(500):  # the last one may still run on aiosqlite's thread
            if len(checkpoints) >= 3 and not store._checkpointing():
                break
            await asyncio.sleep(0.01)
        assert len(checkpoints) == 3
        assert on_the_loop == []
        assert store._writer is not None
        mode = store._writer.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert mode == 0  # the writer never checkpoints on the loop itself
    finally:
        await store.dispose()


async def test_an_in_memory_database_keeps_one_connection_for_reads_and_writes() -> None:
    store = SqlStore("sqlite+aiosqlite://", SCHEMA)
    try:
        assert store.loop_engine is None  # a second engine would open a second database
        await upgrade(store)
        async with store.transaction() as unit:
            unit.add(_account(7))
        async with store.read() as unit:
            assert await unit.get(Account, (_account(7).sid,)) is not None
    finally:
        await store.dispose()


def _wal_restarts(path: Path) -> int:
    """The WAL header's checkpoint sequence number: SQLite adds one each time the WAL
    starts over from its beginning."""
    with path.open("rb") as wal:
        header = wal.read(16)
    return int.from_bytes(header[12:16], "big") if len(header) == 16 else 0


async def test_under_steady_writes_the_wal_starts_over_and_stays_small(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # writes never pause here, so the thread's checkpoint always leaves the frames
    # committed while it copied: without the writer's catch-up the WAL only grows
    monkeypatch.setattr(sql, "WAL_RESTART_FRAMES", 200)
    database = tmp_path / "s.db"
    store = SqlStore(f"sqlite+aiosqlite:///{database}", SCHEMA)
    try:
        await upgrade(store)
        wal = tmp_path / "s.db-wal"
        restarts = _wal_restarts(wal)
        for n in range(20 * sql.CHECKPOINT_EVERY):
            async with store.transaction() as unit:
                unit.add(replace(_account(n), friendly_name="x" * 3000))  # a page a write
            await asyncio.sleep(0)
        assert _wal_restarts(wal) >= restarts + 5
        assert wal.stat().st_size <= sql.WAL_SIZE_LIMIT
        async with store.read() as unit:  # nothing was lost on the way
            assert len(await unit.select(Account)) == 20 * sql.CHECKPOINT_EVERY
    finally:
        await store.dispose()
