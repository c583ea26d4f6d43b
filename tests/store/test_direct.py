"""Prepared statements on the sqlite3 driver directly: the same records, types and errors
as through SQLAlchemy, and SQLAlchemy's listeners still see every statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.domain.records import Activity, Event, Workspace
from switchboard.kernel.criteria import asc, eq, isin
from switchboard.kernel.errors import Conflict
from switchboard.store import direct
from switchboard.store.sql import FIXED_IN, SqlStore
from switchboard.tenancy.domain.records import Account

ACCOUNT, WS = "AC" + "0" * 32, "WS" + "0" * 32


def _activity(n: int, available: bool) -> Activity:
    return Activity(
        sid=f"WA{n:032d}", workspace_sid=WS, friendly_name=f"a{n}", available=available,
        date_created=n, date_updated=n,
    )  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", SCHEMA)
    await upgrade(store)
    async with store.transaction() as unit:
        unit.add(Account(sid=ACCOUNT, friendly_name="a", auth_token_hash="x",
                         date_created=0, date_updated=0))  # fmt: skip
        unit.add(Workspace(sid=WS, account_sid=ACCOUNT, friendly_name="w",
                           date_created=0, date_updated=0))  # fmt: skip
    try:
        yield store
    finally:
        await store.dispose()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement that runs on the driver directly."""
    ran: list[str] = []
    original = direct.DirectStatements.execute

    def counted(self: Any, raw: Any, plan: direct.Plan, parameters: Any) -> direct.Result:
        ran.append(plan.sql)
        return original(self, raw, plan, parameters)

    monkeypatch.setattr(direct.DirectStatements, "execute", counted)
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
        assert first is not None and first.available is True  # a bool, not SQLite's 1
        first.friendly_name = "renamed"
        listed = await unit.select(Activity, eq("workspace_sid", WS), order=[asc("sid")])
        assert [(a.available, type(a.available)) for a in listed] == [(True, bool), (False, bool)]
    assert any(sql.startswith("INSERT INTO activities") for sql in ran)
    assert any(sql.startswith("UPDATE activities") for sql in ran)
    assert any(sql.startswith("SELECT") for sql in ran)
    async with store.read() as unit:
        renamed = await unit.get(Activity, f"WA{1:032d}")
    assert renamed is not None and renamed.friendly_name == "renamed"


async def test_a_short_in_list_runs_directly_and_a_long_one_through_sqlalchemy(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with store.transaction(WS) as unit:
        for n in range(FIXED_IN + 3):
            unit.add(_activity(n, n % 2 == 0))
    ran = _counting(monkeypatch)
    short = [f"WA{n:032d}" for n in (0, 2)]
    long = [f"WA{n:032d}" for n in range(1, FIXED_IN + 2)]
    async with store.transaction(WS) as unit:
        found_short = await unit.select(Activity, isin("sid", short))
        assert sum(" IN " in sql for sql in ran) == 1
        found_long = await unit.select(Activity, isin("sid", long))
        assert sum(" IN " in sql for sql in ran) == 1
        again = await unit.select(Activity, isin("sid", short[::-1]))  # same shape
        assert sum(" IN " in sql for sql in ran) == 2
    assert sorted(a.sid for a in found_short) == short == sorted(a.sid for a in again)
    assert sorted(a.sid for a in found_long) == long


async def test_a_unique_conflict_on_the_direct_path_is_a_conflict(store: SqlStore) -> None:
    async with store.transaction(WS) as unit:
        unit.add(_activity(1, True))
    with pytest.raises(Conflict):
        async with store.transaction(WS) as unit:
            unit.add(_activity(1, False))
    async with store.transaction(WS) as unit:  # the writer connection is still good
        unit.add(_activity(2, True))
    async with store.read() as unit:
        assert len(await unit.select(Activity, eq("workspace_sid", WS))) == 2


async def test_sqlalchemy_listeners_still_see_every_statement(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _counting(monkeypatch)
    seen: list[str] = []
    assert store.loop_engine is not None

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(store.loop_engine, "before_cursor_execute", note)
    try:
        async with store.transaction(WS) as unit:
            unit.add(_activity(1, True))
    finally:
        event.remove(store.loop_engine, "before_cursor_execute", note)
    assert any(sql.startswith("INSERT INTO activities") for sql in seen)
    assert ran == []


def _event(n: int) -> Event:
    return Event(
        account_sid=ACCOUNT, workspace_sid=WS, event_type="x", resource_type="task",
        resource_sid=f"WT{n:032d}", description="", event_data="{}", event_date=n,
    )  # fmt: skip


@pytest.mark.parametrize("watched", [False, True], ids=["direct", "through SQLAlchemy"])
async def test_a_row_the_database_numbers_learns_its_number_alone_or_in_a_batch(
    store: SqlStore, watched: bool
) -> None:
    """One row: the cursor's rowid; several: the statement's last rowid, counted back."""
    assert store.loop_engine is not None

    def note(*_args: Any) -> None:
        pass

    if watched:  # a listener sends every statement through SQLAlchemy
        event.listen(store.loop_engine, "before_cursor_execute", note)
    try:
        written = []
        for batch in ([1], [2, 3, 4], [5]):
            async with store.transaction(WS) as unit:
                for n in batch:
                    written.append(_event(n))
                    unit.add(written[-1])
    finally:
        if watched:
            event.remove(store.loop_engine, "before_cursor_execute", note)
    async with store.read() as unit:
        stored = await unit.select(Event, order=[asc("seq")])
    assert [(e.seq, e.event_date) for e in written] == [(e.seq, e.event_date) for e in stored]
    assert len({e.seq for e in written}) == 5
