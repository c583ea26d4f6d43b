"""Events on disk are compact, events read through the store are whole (issue 10), on
SQLite and PostgreSQL: rows written before migration 0017 read back unchanged after it,
new rows are stored compact (on SQLite with 18-byte sids and coded types, old rows too:
migration 0018),
and going back down rewrites them in full."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, insert, select
from sqlalchemy.engine import Connection

from switchboard.database import SCHEMA, alembic_config, upgrade
from switchboard.distribution.domain.records import Event, event_sid_of
from switchboard.distribution.persistence import event_types
from switchboard.kernel.criteria import eq
from switchboard.store.compact_sid import unpack
from switchboard.store.sql import SqlStore
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

BEFORE = "0012_channels"
WS, TASK, QUEUE, FLOW = ("WS" + "1" * 32, "WT" + "2" * 32, "WQ" + "3" * 32, "WW" + "4" * 32)
PAYLOAD = {
    "workspace_sid": WS,
    "workspace_name": "Support",
    "task_sid": TASK,
    "task_attributes": json.dumps({"type": "support"}),
    "task_age": "0",
    "task_priority": "0",
    "task_assignment_status": "pending",
    "task_channel_sid": "TC" + "5" * 32,
    "task_queue_sid": QUEUE,
    "workflow_sid": FLOW,
    "task_queue_name": "All",
}


def _event(sid: str, description: str) -> dict[str, Any]:
    """An event row as `record` writes it in full (and as rows before 0017 are)."""
    return {
        "sid": sid,
        "account_sid": "AC" + "6" * 32,
        "workspace_sid": WS,
        "event_type": "task-queue.entered",
        "resource_type": "task",
        "resource_sid": TASK,
        "actor_type": "workspace",
        "actor_sid": WS,
        "description": description,
        "event_data": json.dumps(PAYLOAD, separators=(",", ":")),
        "source": "switchboard",
        "source_ip_address": None,
        "event_date": 1_700_000_000_000,
        "task_sid": TASK,
        "worker_sid": None,
        "reservation_sid": None,
        "task_queue_sid": QUEUE,
        "workflow_sid": FLOW,
        "task_channel": None,
    }


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """The fields of the record of an event row, but its number."""
    fields = {name: value for name, value in row.items() if name != "sid"}
    return {**fields, "legacy_sid": None, "seq": None}


OLD = _event("EV" + "a" * 32, f"Task {TASK} entered TaskQueue 100% All")
NEW = _event("EV" + "b" * 32, f"Task {TASK} entered TaskQueue 50%s %t All")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no migration applied yet)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
        return
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _sync(url: str, work: Any) -> Any:
    store = SqlStore(url, SCHEMA)
    try:
        async with store.engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await store.dispose()


def _raw(connection: Connection) -> dict[str, dict[str, Any]]:
    """The events table's rows as stored, by sid (a sid stored as bytes as its text, a
    type stored as its code as its name)."""
    meta = MetaData()
    meta.reflect(connection, only=["events"])
    table = meta.tables["events"]
    rows = connection.execute(select(table)).mappings().all()
    keys = _sid_keys(connection)
    found = {}
    for row in rows:
        stored = {
            "sid" if k == "legacy_sid" else k: event_types.unpack(v)
            if k == "event_type"
            else keys.get(v, v)
            if k in KEYED
            else unpack(v)
            for k, v in row.items()
            if k != "seq"
        }
        stored["sid"] = stored["sid"] or event_sid_of(row["seq"])  # derived: not stored
        found[stored["sid"]] = stored
    return found


KEYED = ("account_sid", "workspace_sid", "workflow_sid", "task_queue_sid")


def _sid_keys(connection: Connection) -> dict[str, str]:
    """`sid_keys` as stored, by the text of the key (SQLite, migration 0022), else {}."""
    if "sid_keys" not in connection.dialect.get_table_names(connection):
        return {}
    rows = connection.exec_driver_sql("SELECT CAST(key AS TEXT), sid FROM sid_keys").all()
    return dict(rows)


def _stored_types(connection: Connection) -> list[str]:
    return list(connection.exec_driver_sql("SELECT event_type FROM events").scalars())


def _sid_kinds(connection: Connection) -> set[type]:
    """The Python types the events' sid columns come back as, raw."""
    meta = MetaData()
    meta.reflect(connection, only=["events"])
    table = meta.tables["events"]
    sid = "sid" if "sid" in table.c else "legacy_sid"
    columns = [table.c[name] for name in (sid, "resource_sid", "task_sid")]
    rows = connection.execute(select(*columns))
    return {type(value) for row in rows for value in row if value is not None}


def _keyed_lengths(connection: Connection) -> set[int]:
    """The lengths of what the keyed columns hold, raw."""
    names = ", ".join(KEYED)
    rows = connection.exec_driver_sql(f"SELECT {names} FROM events").all()  # noqa: S608
    return {len(value) for row in rows for value in row if value is not None}


async def _read(url: str) -> dict[str, Event]:
    store = SqlStore(url, SCHEMA)
    try:
        async with store.read() as unit:
            return {e.sid: e for e in await unit.select(Event, eq("workspace_sid", WS))}
    finally:
        await store.dispose()


async def test_events_are_stored_compact_and_read_whole_across_the_migration(url: str) -> None:
    def fill_before(connection: Connection) -> None:
        command.upgrade(alembic_config(url, connection), BEFORE)
        meta = MetaData()
        meta.reflect(connection, only=["events"])
        connection.execute(insert(meta.tables["events"]).values(OLD))

    await _sync(url, fill_before)
    store = SqlStore(url, SCHEMA)
    try:
        await upgrade(store)
        written = Event(**{name: value for name, value in NEW.items() if name != "sid"})
        async with store.transaction(WS) as unit:
            unit.add(written)
    finally:
        await store.dispose()
    # a new event's sid is derived from its number (migration 0020), the old one's kept
    assert written.legacy_sid is None and written.seq is not None
    new_sid = written.sid
    assert new_sid == event_sid_of(written.seq)

    # through the store: both whole, exactly as written
    read = await _read(url)
    assert {sid: {**vars(e), "seq": None} for sid, e in read.items()} == {
        OLD["sid"]: {**_record(OLD), "legacy_sid": OLD["sid"]},
        new_sid: _record(NEW),
    }

    # on disk: the old row as it was (its `%` escaped), the new one compact; on SQLite
    # every sid, the old rows' too, is 18 bytes and every type a code (migration 0018)
    sqlite = url.startswith("sqlite")
    assert await _sync(url, _sid_kinds) == ({bytes} if sqlite else {str})
    # ... but the account, workspace, workflow and queue are keys (migration 0022)
    assert await _sync(url, _keyed_lengths) == ({1} if sqlite else {34})
    assert await _sync(url, _stored_types) == (["8", "8"] if sqlite else [OLD["event_type"]] * 2)
    raw = await _sync(url, _raw)
    assert raw[OLD["sid"]] == {**OLD, "description": OLD["description"].replace("%", "%%")}
    new = raw[new_sid]
    assert (new["resource_sid"], new["actor_type"], new["actor_sid"], new["source"]) == (
        None,
        None,
        None,
        None,
    )
    assert TASK not in new["description"] and TASK not in new["event_data"]
    assert "task_assignment_status" not in new["event_data"]
    assert len(new["event_data"]) < len(NEW["event_data"]) / 2

    # going back down leaves both rows whole on disk, their sids text again
    def down(connection: Connection) -> tuple[Any, ...]:
        command.downgrade(alembic_config(url, connection), BEFORE)
        return _raw(connection), _sid_kinds(connection), _stored_types(connection)

    whole = {OLD["sid"]: OLD, new_sid: {**NEW, "sid": new_sid}}
    assert await _sync(url, down) == (whole, {str}, [OLD["event_type"]] * 2)
