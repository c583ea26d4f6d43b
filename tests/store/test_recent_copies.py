"""The SQLite writer answers reads of tasks, reservations and workers it just committed
from its own copies (issue 10), and never with a stale one.

Every step of a task's life reads back what the step before wrote (the reservation a
worker accepts, its task, its worker; the routing owner's refresh): a read by key
through SQLite cost more than the step's own logic. The writer keeps the records its
units held as it committed them; another connection's commit (another process on the
same file) makes it drop them all, and a unit that deleted or bulk-wrote rows of a kind
does not use them for that kind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskChannel,
    Worker,
    Workspace,
)
from switchboard.kernel.criteria import eq, isin
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import Account
from tests.store.test_contract import ACCOUNT, CHANNEL, WS, sid, task, worker


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'recent.db'}", SCHEMA)
    await upgrade(store)
    async with store.transaction(WS) as unit:
        unit.add(Account(sid=ACCOUNT, friendly_name="a", auth_token_hash="x",
                         date_created=0, date_updated=0))  # fmt: skip
        unit.add(Workspace(sid=WS, account_sid=ACCOUNT, friendly_name="w",
                           date_created=0, date_updated=0))  # fmt: skip
        unit.add(Activity(sid=sid("WA", 1), workspace_sid=WS, friendly_name="Available",
                          available=True, date_created=0, date_updated=0))  # fmt: skip
        unit.add(TaskChannel(sid=CHANNEL, workspace_sid=WS, friendly_name="default",
                             unique_name="default", date_created=0, date_updated=0))  # fmt: skip
    async with store.transaction(WS) as unit:
        # the writer's first look at `data_version` (it drops what it kept before)
        assert await unit.get(Task, sid("WT", 0)) is None
    try:
        yield store
    finally:
        await store.dispose()


def _counting(store: SqlStore) -> list[str]:
    """The statements the writer runs from now on (a listener sends them through
    SQLAlchemy, where it sees them)."""
    seen: list[str] = []
    assert store.loop_engine is not None

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.loop_engine, "before_cursor_execute", record)
    return seen


def _reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s]


async def test_a_record_committed_by_the_writer_is_read_back_without_a_query(
    store: SqlStore,
) -> None:
    async with store.transaction(WS) as unit:
        unit.add(task(1, priority=3))
        unit.add(worker(1))
    seen = _counting(store)
    async with store.transaction(WS) as unit:
        found = await unit.get(Task, sid("WT", 1))
        assert found is not None and found.priority == 3
        found.priority = 7
        [held] = await unit.select(Worker, isin("sid", [sid("WK", 1)]))
        held.idle_since = 99
    async with store.transaction(WS) as unit:
        again = await unit.get(Task, sid("WT", 1))
        [moved] = await unit.select(Worker, isin("sid", [sid("WK", 1)]))
        assert again is not None and again.priority == 7  # as the last unit committed it
        assert moved.idle_since == 99
    assert _reads_of(seen, "tasks") == []
    assert _reads_of(seen, "workers") == []
    async with store.read() as unit:  # and that is what the database holds
        stored = await unit.get(Task, sid("WT", 1))
    assert stored is not None and stored.priority == 7


async def test_a_read_by_keys_mixes_copies_and_rows_in_key_order(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        for n in (1, 2):
            unit.add(task(n))
    raw = sqlite3.connect(store.url.split("///", 1)[1])
    raw.execute(  # a task the writer never saw, written by another connection
        "INSERT INTO tasks SELECT * FROM tasks WHERE sid = (SELECT MIN(sid) FROM tasks)"
        " ON CONFLICT DO NOTHING"
    )
    raw.close()
    async with store.transaction(WS) as unit:
        unit.add(task(3))
    seen = _counting(store)
    async with store.transaction(WS) as unit:
        found = await unit.select(Task, isin("sid", [sid("WT", 3), sid("WT", 1), sid("WT", 9)]))
    assert [t.sid for t in found] == [sid("WT", 1), sid("WT", 3)]
    assert len(_reads_of(seen, "tasks")) == 1  # the copies answered for 3 only: 1 and 9 read


async def test_another_connections_commit_drops_the_copies(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        unit.add(task(1, priority=1))
    async with store.transaction(WS) as unit:
        assert (await unit.get(Task, sid("WT", 1))) is not None
    other = sqlite3.connect(store.url.split("///", 1)[1])  # another process, say
    other.execute("UPDATE tasks SET priority = 5")
    other.commit()
    other.close()
    async with store.transaction(WS) as unit:
        fresh = await unit.get(Task, sid("WT", 1))
        assert fresh is not None and fresh.priority == 5
        fresh.reason = "seen"
    async with store.read() as unit:
        stored = await unit.get(Task, sid("WT", 1))
    assert stored is not None and (stored.priority, stored.reason) == (5, "seen")


async def test_a_bulk_write_or_a_delete_is_never_answered_from_a_copy(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        unit.add(task(1, priority=1))
        unit.add(worker(1))
        unit.add(
            Reservation(
                sid=sid("WR", 1),
                workspace_sid=WS,
                task_sid=sid("WT", 1),
                worker_sid=sid("WK", 1),
                task_channel_sid=CHANNEL,
                status="pending",
                date_created=0,
                date_updated=0,
            )
        )
    async with store.transaction(WS) as unit:
        await unit.update_where(Task, {"priority": 4}, eq("workspace_sid", WS))
        bulk = await unit.get(Task, sid("WT", 1))
        assert bulk is not None and bulk.priority == 4  # inside the unit
    async with store.transaction(WS) as unit:
        after = await unit.get(Task, sid("WT", 1))
        assert after is not None and after.priority == 4  # and after it
        await unit.delete(after)  # cascades to the reservation
        assert await unit.get(Task, sid("WT", 1)) is None
        assert await unit.get(Reservation, sid("WR", 1)) is None
    async with store.transaction(WS) as unit:
        assert await unit.get(Task, sid("WT", 1)) is None
        assert await unit.get(Reservation, sid("WR", 1)) is None
        assert await unit.select(Reservation, isin("sid", [sid("WR", 1)])) == []


async def test_a_unit_that_failed_leaves_the_copies_as_committed(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        unit.add(task(1, priority=1))
    with pytest.raises(RuntimeError):
        async with store.transaction(WS) as unit:
            held = await unit.get(Task, sid("WT", 1))
            assert held is not None
            held.priority = 9
            await unit.flush()
            raise RuntimeError("the handler failed after writing")
    async with store.transaction(WS) as unit:
        kept = await unit.get(Task, sid("WT", 1))
    assert kept is not None and kept.priority == 1


async def test_a_copy_handed_out_is_the_units_own(store: SqlStore) -> None:
    """Changing what a unit read never changes the copy another unit gets."""
    async with store.transaction(WS) as unit:
        unit.add(task(1, attributes='{"a": 1}'))
    async with store.transaction(WS) as unit:
        first = await unit.get(Task, sid("WT", 1))
    assert first is not None
    first.attributes = "changed outside any unit"
    async with store.transaction(WS) as unit:
        second = await unit.get(Task, sid("WT", 1))
    assert second is not None and second.attributes == '{"a": 1}'
