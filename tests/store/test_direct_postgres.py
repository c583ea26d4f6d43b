"""Prepared statements on the asyncpg connection directly (issue 10): the same records,
types, errors and transaction as through SQLAlchemy, and SQLAlchemy's listeners still see
every statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from switchboard.distribution.domain.records import Activity, Event, Workspace
from switchboard.kernel.criteria import asc, eq
from switchboard.kernel.errors import Conflict
from switchboard.store import direct
from switchboard.store.sql import MAX_VALUES_ROWS, SqlStore
from switchboard.tenancy.domain.records import Account
from tests.databases import migrated_store, require_postgres

pytestmark = pytest.mark.postgres

ACCOUNT, WS = "AC" + "0" * 32, "WS" + "0" * 32


def _activity(n: int, available: bool) -> Activity:
    return Activity(
        sid=f"WA{n:032d}", workspace_sid=WS, friendly_name=f"a{n}", available=available,
        date_created=n, date_updated=n,
    )  # fmt: skip


def _event(n: int) -> Event:
    return Event(
        account_sid=ACCOUNT, workspace_sid=WS, event_type="x", resource_type="task",
        resource_sid=f"WT{n:032d}", description="", event_data="{}", event_date=n,
    )  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    await require_postgres()
    async with migrated_store("postgres", tmp_path) as store:
        assert isinstance(store, SqlStore)
        async with store.transaction() as unit:
            unit.add(Account(sid=ACCOUNT, friendly_name="a", auth_token_hash="x",
                             date_created=0, date_updated=0))  # fmt: skip
            unit.add(Workspace(sid=WS, account_sid=ACCOUNT, friendly_name="w",
                               date_created=0, date_updated=0))  # fmt: skip
        yield store


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement that runs on asyncpg directly."""
    ran: list[str] = []
    original = direct.DirectStatements.run_asyncpg

    async def counted(self: Any, raw: Any, plan: direct.Plan, parameters: Any) -> direct.Result:
        ran.append(plan.sql)
        return await original(self, raw, plan, parameters)

    monkeypatch.setattr(direct.DirectStatements, "run_asyncpg", counted)
    return ran


async def test_writes_and_reads_by_key_run_directly_with_sqlalchemys_types(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _counting(monkeypatch)
    async with store.transaction(WS) as unit:
        unit.add(_activity(1, True))
        unit.add(_activity(2, False))
    async with store.transaction(WS) as unit:
        first = await unit.get(Activity, f"WA{1:032d}")
        assert first is not None and first.available is True
        first.friendly_name = "renamed"
        listed = await unit.select(Activity, eq("workspace_sid", WS), order=[asc("sid")])
        assert [(a.available, type(a.available)) for a in listed] == [(True, bool), (False, bool)]
    assert any(sql.startswith("INSERT INTO write_marks") for sql in ran)  # the lock
    assert any(sql.startswith("INSERT INTO activities") for sql in ran)
    assert any(sql.startswith("UPDATE activities") for sql in ran)
    assert any(sql.startswith("SELECT activities") for sql in ran)
    before = len(ran)
    async with store.read() as unit:  # a read unit too (no transaction block)
        stored = await unit.select(Activity, eq("workspace_sid", WS), order=[asc("sid")])
    assert [a.friendly_name for a in stored] == ["renamed", "a2"]
    assert len(ran) == before + 1


@pytest.mark.parametrize("lock", [None, WS], ids=["no lock", "workspace lock"])
async def test_direct_statements_run_in_the_units_transaction(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch, lock: str | None
) -> None:
    """Without a lock the unit's first statement is a direct one: it begins the
    transaction itself, so a rollback undoes it."""
    ran = _counting(monkeypatch)
    with pytest.raises(RuntimeError):
        async with store.transaction(lock) as unit:
            unit.add(_activity(1, True))
            await unit.flush()
            assert any(sql.startswith("INSERT INTO activities") for sql in ran)
            raise RuntimeError("undo")
    async with store.read() as unit:
        assert await unit.get(Activity, f"WA{1:032d}") is None
    async with store.transaction(lock) as unit:
        unit.add(_activity(2, True))
        await unit.flush()
        ids = await unit.connection.execute(text("SELECT txid_current()"))
        inside = int(ids.scalar_one())
        unit.add(_activity(3, True))
        await unit.flush()
        again = await unit.connection.execute(text("SELECT txid_current()"))
        assert int(again.scalar_one()) == inside
    async with store.read() as unit:
        assert len(await unit.select(Activity, eq("workspace_sid", WS))) == 2


async def test_a_unique_conflict_on_the_direct_path_is_a_conflict(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with store.transaction(WS) as unit:
        unit.add(_activity(1, True))
    ran = _counting(monkeypatch)
    with pytest.raises(Conflict):
        async with store.transaction(WS) as unit:
            unit.add(_activity(1, False))
    assert any(sql.startswith("INSERT INTO activities") for sql in ran)
    async with store.transaction(WS) as unit:  # the pool's connection is still good
        unit.add(_activity(2, True))
    async with store.read() as unit:
        assert len(await unit.select(Activity, eq("workspace_sid", WS))) == 2


@pytest.mark.parametrize("watched", [False, True], ids=["direct", "through SQLAlchemy"])
async def test_rows_the_database_numbers_learn_their_numbers_in_the_order_added(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch, watched: bool
) -> None:
    """One row, a few (one multi-row INSERT of their own shape) and more than that (through
    SQLAlchemy's multi-row insert)."""
    ran = _counting(monkeypatch)

    def note(*_args: Any) -> None:
        pass

    if watched:  # a listener sends every statement through SQLAlchemy
        event.listen(store.engine.sync_engine, "before_cursor_execute", note)
    try:
        written = []
        batches = [[1], list(range(2, 6)), [6], list(range(7, 7 + MAX_VALUES_ROWS + 3))]
        for batch in batches:
            async with store.transaction(WS) as unit:
                for n in batch:
                    written.append(_event(n))
                    unit.add(written[-1])
    finally:
        if watched:
            event.remove(store.engine.sync_engine, "before_cursor_execute", note)
    async with store.read() as unit:
        stored = await unit.select(Event, order=[asc("seq")])
    assert [(e.seq, e.event_date) for e in written] == [(e.seq, e.event_date) for e in stored]
    assert len({e.seq for e in written}) == len(written)
    inserts = [sql for sql in ran if sql.startswith("INSERT INTO events")]
    assert (
        (len(inserts), sum(sql.count("), (") for sql in inserts))
        == ((0, 0) if watched else (3, 3))  # the batch of 4 runs as one statement of 4 rows
    )


async def test_sqlalchemy_listeners_still_see_every_statement(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _counting(monkeypatch)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", note)
    try:
        async with store.transaction(WS) as unit:
            unit.add(_activity(1, True))
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", note)
    assert any(sql.startswith("INSERT INTO activities") for sql in seen)
    assert ran == []
