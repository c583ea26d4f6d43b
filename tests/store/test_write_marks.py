"""On PostgreSQL a process answers reads of the work in flight from the copies it last
committed, and never with a stale one (issue 10, store/write_marks.py).

Two `SqlStore`s on one database stand for two server processes. Every write
transaction under a workspace's lock bumps the workspace's write mark; a process uses
its copies of a workspace only while the mark says nobody wrote it since its own last
commit there. A unit that writes a workspace's tasks, reservations or workers without
holding its lock (no lock, another workspace's) bumps that workspace's mark too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from switchboard.database import SCHEMA
from switchboard.distribution.domain.records import Activity, Task, TaskChannel, Workspace
from switchboard.kernel.criteria import eq
from switchboard.store import direct
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import Account
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres
from tests.store.test_contract import ACCOUNT, CHANNEL, WS, sid, task

pytestmark = pytest.mark.postgres

WS2 = "WS" + "2" * 32
TASKS = 3


def _setup() -> list[Any]:
    records: list[Any] = [
        Account(sid=ACCOUNT, friendly_name="a", auth_token_hash="x", date_created=0,
                date_updated=0),
        *(Workspace(sid=ws, account_sid=ACCOUNT, friendly_name="w", date_created=0,
                    date_updated=0) for ws in (WS, WS2)),
        Activity(sid=sid("WA", 1), workspace_sid=WS, friendly_name="Available",
                 available=True, date_created=0, date_updated=0),
        TaskChannel(sid=CHANNEL, workspace_sid=WS, friendly_name="default",
                    unique_name="default", date_created=0, date_updated=0),
    ]  # fmt: skip
    return records + [task(n, priority=0) for n in range(1, TASKS + 1)]


@pytest.fixture
async def two() -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two processes' stores on one database holding tasks 1..3 of `WS`."""
    await require_postgres()
    url = await create_postgres_database()
    first, second = SqlStore(url, SCHEMA), SqlStore(url, SCHEMA)
    try:
        async with first.transaction() as unit:
            for record in _setup():
                unit.add(record)
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()
        await drop_postgres_database(url)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement run on asyncpg directly from now on."""
    ran: list[str] = []
    original = direct.DirectStatements.run_asyncpg

    async def counted(self: Any, raw: Any, plan: Any, parameters: Any) -> Any:
        ran.append(plan.sql)
        return await original(self, raw, plan, parameters)

    monkeypatch.setattr(direct.DirectStatements, "run_asyncpg", counted)
    return ran


def _task_reads(ran: list[str]) -> list[str]:
    return [sql for sql in ran if sql.startswith("SELECT") and "FROM tasks" in sql]


async def _priority(store: SqlStore, lock: str | None, n: int) -> int:
    async with store.transaction(lock) as unit:
        found = await unit.get(Task, sid("WT", n))
    assert found is not None
    return found.priority


async def _set_priority(store: SqlStore, lock: str | None, n: int, value: int) -> None:
    async with store.transaction(lock) as unit:
        found = await unit.get(Task, sid("WT", n))
        assert found is not None
        found.priority = value


async def test_a_task_committed_under_the_lock_is_read_back_without_a_query(
    two: tuple[SqlStore, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _second = two
    await _set_priority(first, WS, 1, 3)
    ran = _counting(monkeypatch)
    await _set_priority(first, WS, 1, 4)
    assert await _priority(first, WS, 1) == 4
    assert _task_reads(ran) == []
    assert await _priority(first, WS2, 1) == 4  # another lock: other copies, so a read
    assert len(_task_reads(ran)) == 1


async def test_another_processs_write_under_the_lock_drops_the_copies(
    two: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two
    await _set_priority(first, WS, 1, 1)
    await _set_priority(second, WS, 1, 5)
    assert await _priority(first, WS, 1) == 5


@pytest.mark.parametrize(
    "lock",
    [None, WS2, "conversation:1"],
    ids=["no lock", "another workspace's lock", "a lock that is no workspace's"],
)
async def test_a_write_without_the_workspaces_lock_bumps_its_mark(
    two: tuple[SqlStore, SqlStore], lock: str | None
) -> None:
    first, second = two
    await _set_priority(first, WS, 1, 1)
    await _set_priority(second, lock, 1, 6)
    assert await _priority(first, WS, 1) == 6


@pytest.mark.parametrize(
    "where", [eq("workspace_sid", WS), eq("sid", sid("WT", 1))], ids=["named", "unplaced"]
)
async def test_a_bulk_write_elsewhere_bumps_the_marks_it_reaches(
    two: tuple[SqlStore, SqlStore], where: Any
) -> None:
    first, second = two
    await _set_priority(first, WS, 1, 1)
    async with second.transaction() as unit:
        await unit.update_where(Task, {"priority": 8}, where)
    assert await _priority(first, WS, 1) == 8


async def test_a_delete_elsewhere_is_not_answered_from_a_copy(
    two: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two
    await _set_priority(first, WS, 2, 1)
    async with second.transaction() as unit:
        gone = await unit.get(Task, sid("WT", 2))
        assert gone is not None
        await unit.delete(gone)
    async with first.transaction(WS) as unit:
        assert await unit.get(Task, sid("WT", 2)) is None


async def test_a_unit_that_failed_leaves_the_copies_and_the_mark_as_committed(
    two: tuple[SqlStore, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _second = two
    await _set_priority(first, WS, 1, 1)
    with pytest.raises(RuntimeError):
        async with first.transaction(WS) as unit:
            held = await unit.get(Task, sid("WT", 1))
            assert held is not None
            held.priority = 9
            await unit.flush()
            raise RuntimeError("the handler failed after writing")
    ran = _counting(monkeypatch)
    assert await _priority(first, WS, 1) == 1
    assert _task_reads(ran) == []  # the rolled-back bump left the mark where it was


async def test_only_workspace_locks_keep_a_mark(two: tuple[SqlStore, SqlStore]) -> None:
    """A lock per conversation must not grow `write_marks` by a row per conversation."""
    first, _second = two
    for lock in (WS, "conversation:1", "routing:AC1"):
        async with first.transaction(lock) as unit:
            assert await unit.get(Task, sid("WT", 1)) is not None
    async with first.read() as unit:
        found = await unit.connection.execute(text("SELECT name FROM write_marks"))
        names = {row[0] for row in found}
    assert names == {WS}


# one step: (which process, which lock it writes under, which task, its new priority)
STEPS = st.lists(
    st.tuples(
        st.sampled_from([0, 1]),
        st.sampled_from([WS, WS2, None]),
        st.integers(1, TASKS),
        st.integers(0, 1_000),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
async def test_reads_under_the_lock_always_see_the_last_commit(
    two: tuple[SqlStore, SqlStore], steps: list[tuple[int, str | None, int, int]]
) -> None:
    """Whatever the two processes write, and under whichever lock, a read under the
    workspace's lock in either process sees what was committed last."""
    stores = two
    for who, lock, n, value in steps:
        await _set_priority(stores[who], lock, n, value)
        for reader in stores:
            assert await _priority(reader, WS, n) == value
