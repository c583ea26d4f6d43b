"""Short reads (a few rows by key) run on the event loop on SQLite (issue 10).

A read through aiosqlite hops to its thread and back, twice with the reset at check-in;
under load one such read cost about 2 ms of the server's CPU per task in the latency
benchmark. A read that says it is short runs on a synchronous connection on the loop;
it sees what was committed, like any read, and it cannot write.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from switchboard.database import SCHEMA, upgrade
from switchboard.kernel.criteria import eq
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import Account
from switchboard.tenancy.tables import accounts

SID = "AC" + "5" * 32


def _account(name: str) -> Account:
    return Account(sid=SID, friendly_name=name, auth_token_hash="h", date_created=1, date_updated=1)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'short.db'}", SCHEMA)
    await upgrade(store)

    def thread_function(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(
            "calling_thread", 0, lambda: threading.current_thread().name
        )

    # every connection the store opens can say which thread runs its statements
    event.listen(store.engine.sync_engine, "connect", thread_function)
    assert store._short_reads is not None
    event.listen(store._short_reads, "connect", thread_function)
    await store.engine.dispose()  # the connections the migrations opened lack it
    try:
        yield store
    finally:
        await store.dispose()


async def _thread_of(store: SqlStore, *, short: bool) -> str:
    async with store.read(short=short) as unit:
        result = await unit.connection.execute(select(func.calling_thread()))
        return str(result.scalar_one())


async def test_a_short_read_runs_on_the_loop_and_a_long_one_on_a_thread(
    store: SqlStore,
) -> None:
    assert await _thread_of(store, short=True) == threading.current_thread().name
    assert await _thread_of(store, short=False) != threading.current_thread().name


async def test_a_short_read_sees_each_commit(store: SqlStore) -> None:
    async with store.transaction() as unit:
        unit.add(_account("first"))
    async with store.read(short=True) as unit:
        assert (await unit.get(Account, SID)).friendly_name == "first"  # type: ignore[union-attr]
    async with store.transaction() as unit:
        row = await unit.get(Account, SID)
        assert row is not None
        row.friendly_name = "second"
    async with store.read(short=True) as unit:
        rows = await unit.select(Account, eq("friendly_name", "second"))
    assert [r.sid for r in rows] == [SID]


async def test_a_short_read_cannot_write(store: SqlStore) -> None:
    async with store.read(short=True) as unit:
        with pytest.raises(OperationalError, match="readonly"):
            await unit.connection.execute(
                accounts.insert().values(
                    sid=SID, friendly_name="x", auth_token_hash="h", date_created=1, date_updated=1
                )
            )


async def test_short_reads_at_once_each_get_a_connection(store: SqlStore) -> None:
    """The loop never waits for a pooled connection: a wait there would block it."""
    async with store.transaction() as unit:
        unit.add(_account("many"))
    units = [store.read(short=True) for _ in range(12)]
    opened = [await u.__aenter__() for u in units]
    try:
        for unit in opened:
            assert (await unit.get(Account, SID)) is not None
    finally:
        for u in units:
            await u.__aexit__(None, None, None)
