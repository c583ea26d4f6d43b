"""Copies of configuration records across processes: stale until told, fresh once told."""

from __future__ import annotations

from pathlib import Path

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.domain.records import Workflow, Workspace
from switchboard.kernel.changes import Changes
from switchboard.store.cache import RecordCache
from switchboard.store.sql import SqlStore
from switchboard.tenancy.domain.records import Account

WS = "WS" + "1" * 32


async def test_another_processs_change_shows_once_the_store_is_told(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    here, there = SqlStore(url, SCHEMA), SqlStore(url, SCHEMA)  # two processes, one database
    try:
        await upgrade(here)
        async with here.transaction(WS) as unit:
            unit.add(
                Account(
                    sid="AC" + "1" * 32,
                    friendly_name="a",
                    auth_token_hash="x",
                    date_created=0,
                    date_updated=0,
                )
            )
            unit.add(
                Workspace(
                    sid=WS,
                    account_sid="AC" + "1" * 32,
                    friendly_name="old",
                    date_created=0,
                    date_updated=0,
                )
            )
        async with here.read() as unit:
            assert (await unit.get(Workspace, WS)).friendly_name == "old"  # type: ignore[union-attr]
        told: list[Changes] = []
        there.observe(lambda _lock, changes: told.append(changes))
        async with there.transaction(WS) as unit:
            workspace = await unit.get(Workspace, WS)
            assert workspace is not None
            workspace.friendly_name = "new"
        async with here.read() as unit:
            stale = await unit.get(Workspace, WS)
        assert stale is not None and stale.friendly_name == "old"  # the copy, until told
        here.forget(told[-1])  # what LISTEN/NOTIFY carries between processes
        async with here.read() as unit:
            fresh = await unit.get(Workspace, WS)
        assert fresh is not None and fresh.friendly_name == "new"
    finally:
        await here.dispose()
        await there.dispose()


def test_a_read_that_raced_a_commit_is_not_kept() -> None:
    cache = RecordCache(frozenset({Workflow}))
    epoch = cache.epoch  # a read starts...
    changes = Changes()
    changes.note(Workflow, ("WW1",))
    cache.forget(changes)  # ...a commit changes the record meanwhile...
    cache.put(Workflow, ("WW1",), object(), epoch)  # ...the old value must not be kept
    assert cache.get(Workflow, ("WW1",)) is None


def test_unknown_changes_drop_every_copy() -> None:
    cache = RecordCache(frozenset({Workflow}))
    cache.put(Workflow, ("WW1",), Workflow.__new__(Workflow), cache.epoch)
    cache.forget(Changes.everything())
    assert cache.get(Workflow, ("WW1",)) is None
