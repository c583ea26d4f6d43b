"""Group commit on PostgreSQL: writers queued on one lock share a transaction and its commit.

What each writer could rely on before stays true: its block exits only once its work is
committed, its own failure undoes only its own work, and it sees what the writers before
it wrote (never an older cached copy).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from switchboard.distribution.domain.records import Task, Workspace
from switchboard.kernel.errors import Conflict
from switchboard.kernel.ports import Store
from switchboard.store import direct
from switchboard.store.sql import SqlStore, SqlUnit
from tests.databases import migrated_store
from tests.store.test_contract import WS, seeded, sid, task

pytestmark = pytest.mark.postgres
__all__ = ["seeded"]  # the contract suite's seeding, on the PostgreSQL store below


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store("postgres", tmp_path) as postgres:
        assert isinstance(postgres, SqlStore)
        grouped = SqlStore(postgres.url, postgres.schema, group_commit=True)
        yield grouped
        await grouped.dispose()


async def _txid(unit: object) -> int:
    assert isinstance(unit, SqlUnit)
    return int((await unit.connection.execute(text("SELECT txid_current()"))).scalar_one())


async def _stored(store: Store, n: int) -> bool:
    async with store.read() as unit:
        return await unit.get(Task, sid("WT", n)) is not None


async def test_writers_queued_on_one_lock_share_one_commit(seeded: Store) -> None:
    txids: dict[int, int] = {}

    async def write(n: int) -> bool:
        async with seeded.transaction(WS) as unit:
            unit.add(task(n))
            txids[n] = await _txid(unit)
        return await _stored(seeded, n)  # committed by the time the block exits

    committed = await asyncio.gather(*(write(n) for n in range(1, 9)))
    assert committed == [True] * 8
    assert len(set(txids.values())) == 1


async def test_writers_on_different_locks_do_not_share(seeded: Store) -> None:
    txids: list[int] = []

    async def write(n: int, lock: str) -> None:
        async with seeded.transaction(lock) as unit:
            unit.add(task(n))
            txids.append(await _txid(unit))

    await asyncio.gather(write(1, WS), write(2, "another lock"))
    assert len(set(txids)) == 2


async def test_one_writers_failure_undoes_only_its_own_work(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1))

    async def write(n: int) -> int:
        async with seeded.transaction(WS) as unit:
            unit.add(task(n + 10))
            unit.add(task(1) if n == 2 else task(n + 20))  # 2 repeats an existing task
            return await _txid(unit)

    results = await asyncio.gather(write(1), write(2), write(3), return_exceptions=True)
    assert isinstance(results[1], Conflict)
    assert results[0] == results[2]  # the same group
    assert [await _stored(seeded, n) for n in (11, 21, 12, 13, 23)] == [
        True,
        True,
        False,
        True,
        True,
    ]


async def test_a_writer_hears_of_its_commit_only_after_the_writers_it_waited_for(
    seeded: Store,
) -> None:
    log: list[str] = []

    async def first() -> None:
        async with seeded.transaction(WS) as unit:
            unit.add(task(1))
            unit.after_commit(lambda: log.append("first committed"))
            await asyncio.sleep(0.05)  # the second writer queues meanwhile
        log.append(f"first exits, stored: {await _stored(seeded, 1)}")

    async def second() -> None:
        await asyncio.sleep(0.01)
        async with seeded.transaction(WS) as unit:
            log.append("second runs")
            unit.add(task(2))

    await asyncio.gather(first(), second())
    assert log[:3] == ["second runs", "first committed", "first exits, stored: True"]
    assert await _stored(seeded, 2)


async def test_a_later_writer_reads_what_an_earlier_one_wrote_not_a_cached_copy(
    seeded: Store,
) -> None:
    async with seeded.read() as unit:  # a copy of the workspace is cached now
        workspace = await unit.get(Workspace, WS)
        assert workspace is not None and workspace.friendly_name == "w"
    seen: list[str] = []

    async def rename() -> None:
        async with seeded.transaction(WS) as unit:
            found = await unit.get(Workspace, WS)
            assert found is not None
            found.friendly_name = "renamed"
            await asyncio.sleep(0.05)

    async def read_it() -> None:
        await asyncio.sleep(0.01)
        async with seeded.transaction(WS) as unit:
            found = await unit.get(Workspace, WS)
            assert found is not None
            seen.append(found.friendly_name)

    await asyncio.gather(rename(), read_it())
    assert seen == ["renamed"]
    async with seeded.read() as unit:
        found = await unit.get(Workspace, WS)
        assert found is not None and found.friendly_name == "renamed"


async def test_the_group_commits_even_when_its_first_writer_is_cancelled(seeded: Store) -> None:
    started = asyncio.Event()

    async def first() -> None:
        async with seeded.transaction(WS) as unit:
            unit.add(task(1))
            await unit.flush()
            started.set()
            await asyncio.sleep(60)

    async def second() -> bool:
        async with seeded.transaction(WS) as unit:
            unit.add(task(2))
        return await _stored(seeded, 2)

    leader = asyncio.create_task(first())
    await started.wait()
    follower = asyncio.create_task(second())
    await asyncio.sleep(0.05)  # queued behind the first
    leader.cancel()
    assert await asyncio.wait_for(follower, 30) is True
    assert not await _stored(seeded, 1)


async def test_without_group_commit_each_writer_commits_alone(tmp_path: Path) -> None:
    """The default (SWITCHBOARD_GROUP_COMMIT=false)."""
    async with migrated_store("postgres", tmp_path) as alone:
        txids: list[int] = []

        async def write() -> None:
            async with alone.transaction(WS) as unit:
                txids.append(await _txid(unit))

        await asyncio.gather(write(), write(), write())
        assert len(set(txids)) == 3


async def _mark(store: Store) -> int:
    async with store.read() as unit:
        connection = unit.connection  # type: ignore[attr-defined]
        found = await connection.execute(
            text("SELECT n FROM write_marks WHERE name = :ws"), {"ws": WS}
        )
        return int(found.scalar_one_or_none() or 0)


async def test_members_run_prepared_statements_on_asyncpg_directly(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As single writes do (ADR 0021): a member's inserts and reads by key do not go
    through SQLAlchemy's async layer; and each group's lock bumps the workspace's write
    mark (ADR 0022), so that other processes drop their copies."""
    ran: list[str] = []
    original = direct.DirectStatements.run_asyncpg

    async def counted(self: object, raw: object, plan: direct.Plan, parameters: object) -> object:
        ran.append(plan.sql)
        return await original(self, raw, plan, parameters)  # type: ignore[arg-type]

    monkeypatch.setattr(direct.DirectStatements, "run_asyncpg", counted)
    before = await _mark(seeded)

    async def write(n: int) -> None:
        async with seeded.transaction(WS) as unit:
            unit.add(task(n))
            assert await unit.get(Task, sid("WT", n)) is not None

    await asyncio.gather(*(write(n) for n in range(1, 5)))
    assert sum(sql.startswith("INSERT INTO tasks") for sql in ran) == 4
    assert await _mark(seeded) > before
