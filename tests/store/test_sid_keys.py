"""Sids that many rows repeat are stored as keys on SQLite (issue 10, disk per task;
store/sid_keys.py): written, compared, listed and changed through the store exactly as
sids, while the rows hold a few digits. PostgreSQL stores the sids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.domain.records import Event
from switchboard.kernel.criteria import asc, eq, isin, notin
from switchboard.store.sql import SqlStore
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

WS = "WS" + "1" * 32
QUEUES = [f"WQ{n:032x}" for n in range(12)]  # more than a short IN list (store FIXED_IN)


def _event(n: int, queue: str | None, channel: str | None = None) -> Event:
    return Event(
        account_sid="AC" + "2" * 32,
        workspace_sid=WS,
        event_type="task-queue.entered",
        resource_type="task",
        resource_sid=f"WT{n:032x}",
        description="",
        event_data="{}",
        event_date=n,
        task_sid=f"WT{n:032x}",
        task_queue_sid=queue,
        workflow_sid="WW" + "3" * 32,
        task_channel=channel,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    else:
        await require_postgres()
        url = await create_postgres_database(migrated=False)
    store = SqlStore(url, SCHEMA)
    await upgrade(store)
    try:
        yield store
    finally:
        await store.dispose()
        if request.param == "postgres":
            await drop_postgres_database(url)


async def _raw(store: SqlStore, query: str) -> list[Any]:
    def run(connection: Connection) -> list[Any]:
        return list(connection.exec_driver_sql(query).all())

    async with store.engine.connect() as connection:
        return await connection.run_sync(run)


async def _queues(store: SqlStore, *where: Any) -> list[str | None]:
    async with store.read() as unit:
        found = await unit.select(Event, *where, order=[asc("seq")])
    return [event.task_queue_sid for event in found]


async def test_keyed_sids_read_compare_and_list_as_sids(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        for n, queue in enumerate([*QUEUES, None]):
            unit.add(_event(n, queue, channel="voice" if n % 2 else "TC" + "4" * 32))
    assert await _queues(store) == [*QUEUES, None]
    assert await _queues(store, eq("task_queue_sid", QUEUES[3])) == [QUEUES[3]]
    assert await _queues(store, isin("task_queue_sid", QUEUES[:2])) == QUEUES[:2]  # short
    assert await _queues(store, isin("task_queue_sid", QUEUES[1:11])) == QUEUES[1:11]  # long
    assert await _queues(store, notin("task_queue_sid", QUEUES[1:])) == QUEUES[:1]
    assert await _queues(store, eq("task_queue_sid", "WQ" + "f" * 32)) == []  # no key
    assert len(await _queues(store, isin("task_channel", ["voice"]))) == 6  # names too
    assert len(await _queues(store, eq("task_channel", "TC" + "4" * 32))) == 7

    stored = await _raw(store, "SELECT workspace_sid, task_queue_sid FROM events ORDER BY seq")
    if store.kind == "sqlite":  # a few digits in place of the sid
        assert all(len(ws) <= 2 for ws, _queue in stored)
        assert all(queue is None or len(queue) <= 2 for _ws, queue in stored)
    else:
        assert [queue for _ws, queue in stored] == [*QUEUES, None]


async def test_a_sid_written_by_a_change_gets_its_key(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        unit.add(_event(1, QUEUES[0]))
    moved = "WQ" + "9" * 32
    async with store.transaction(WS) as unit:
        await unit.update_where(Event, {"task_queue_sid": moved}, eq("task_sid", f"WT{1:032x}"))
    assert await _queues(store) == [moved]
    async with store.transaction(WS) as unit:
        [event] = await unit.select(Event)
        event.task_queue_sid = QUEUES[5]  # through the record (the codec rewrites the row)
    assert await _queues(store) == [QUEUES[5]]


async def test_a_key_added_by_a_transaction_that_rolled_back_is_added_again(
    store: SqlStore,
) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction(WS) as unit:
            unit.add(_event(1, QUEUES[7]))
            await unit.flush()
            raise RuntimeError("rolled back")
    async with store.transaction(WS) as unit:
        unit.add(_event(2, QUEUES[7]))
    assert await _queues(store) == [QUEUES[7]]
