"""Single-column indexes on mostly-NULL columns hold only their non-NULL values (issue 10,
disk per task), and the lookups that need them still use them, on SQLite and PostgreSQL
(migrations 0019 and 0020)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from switchboard.database import SCHEMA, upgrade
from switchboard.store.sql import SqlStore
from tests.databases import create_postgres_database, drop_postgres_database, require_postgres

# index -> a lookup the platform makes through it
LOOKUPS = {
    "ix_events_task_sid": "SELECT seq FROM events WHERE task_sid = :v",
    "ix_events_worker_sid": "SELECT seq FROM events WHERE worker_sid IN (:v, :w)",
    "ix_events_legacy_sid": "SELECT seq FROM events WHERE legacy_sid = :v",
    "ix_tasks_timeout_at": "SELECT sid FROM tasks WHERE timeout_at <= :n ORDER BY timeout_at",
    "ix_tasks_step_deadline": "SELECT sid FROM tasks WHERE step_deadline <= :n",
}
COLUMNS = {
    "ix_events_task_sid": "task_sid",
    "ix_events_worker_sid": "worker_sid",
    "ix_events_legacy_sid": "legacy_sid",
    "ix_tasks_timeout_at": "timeout_at",
    "ix_tasks_step_deadline": "step_deadline",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'indexes.db'}"
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


def _definition(connection: Connection, name: str) -> str:
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return str(connection.execute(text(query), {"name": name}).scalar_one())


def _plan(connection: Connection, lookup: str) -> str:
    params = {"v": "WT" + "1" * 32, "w": "WK" + "2" * 32, "n": 1_700_000_000_000}
    used = {name: value for name, value in params.items() if f":{name}" in lookup}
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {lookup}"), used).all()
        return " ".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are empty
    rows = connection.execute(text(f"EXPLAIN {lookup}"), used).all()
    return " ".join(str(row[0]) for row in rows)


@pytest.mark.parametrize("index", sorted(LOOKUPS))
async def test_an_index_of_a_mostly_null_column_leaves_the_nulls_out_and_is_still_used(
    store: SqlStore, index: str
) -> None:
    async with store.engine.begin() as connection:
        definition = await connection.run_sync(_definition, index)
        plan = await connection.run_sync(_plan, LOOKUPS[index])
    assert f"{COLUMNS[index]} IS NOT NULL" in definition.replace("(", "").replace(")", "")
    assert index in plan
