"""Test databases: a SQLite file per test, or a fresh PostgreSQL database per test.

PostgreSQL databases are copied from a migrated template (`CREATE DATABASE ... TEMPLATE`),
which takes milliseconds instead of running every migration per test. The template's
name carries a hash of the migration scripts, so a new migration builds a new template.

PostgreSQL tests run whenever the server at 127.0.0.1:5432 answers. When it does not,
they are skipped on a developer machine but fail under CI (`CI` set): CI must test both.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from switchboard.database import MIGRATIONS, SCHEMA, upgrade
from switchboard.kernel.ports import Store
from switchboard.store.memory import MemoryStore
from switchboard.store.sql import SqlStore
from switchboard.testing import postgres

TEST_PREFIX = "sb_test"
PG_ADMIN_DSN = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_available: bool | None = None


def _migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def asyncpg_url(dsn: str, database: str) -> str:
    """The SQLAlchemy URL of `database` on the admin DSN's server."""
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def postgres_available() -> bool:
    global _available
    if _available is None:
        try:
            conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            _available = False
        else:
            await conn.close()
            _available = True
    return _available


async def require_postgres() -> None:
    if await postgres_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {PG_ADMIN_DSN} does not answer")
    pytest.skip(f"PostgreSQL at {PG_ADMIN_DSN} is not reachable")


async def _ensure_template(conn: asyncpg.Connection) -> str:
    name = f"sb_template_{_migrations_hash()}"
    exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    if exists:
        return name
    # serialise template creation between concurrent test processes
    await conn.execute("SELECT pg_advisory_lock(4242)")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            building = f"{name}_build_{secrets.token_hex(3)}"
            await conn.execute(f'CREATE DATABASE "{building}"')
            store = SqlStore(asyncpg_url(PG_ADMIN_DSN, building), SCHEMA)
            await upgrade(store)
            await store.dispose()
            await conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    finally:
        await conn.execute("SELECT pg_advisory_unlock(4242)")
    return name


async def create_postgres_database(*, migrated: bool = True) -> str:
    """A new empty database, migrated unless told otherwise; returns its SQLAlchemy URL."""
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        template = await _ensure_template(conn) if migrated else "template0"
        await postgres.drop_orphans(conn, TEST_PREFIX)
        name = postgres.owned_name(TEST_PREFIX)
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return asyncpg_url(PG_ADMIN_DSN, name)


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlite_url(directory: Path, name: str = "test.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


@asynccontextmanager
async def migrated_store(kind: str, directory: Path) -> AsyncIterator[Store]:
    """A migrated, empty store of `kind` (memory, sqlite or postgres), dropped afterwards."""
    if kind == "memory":
        memory = MemoryStore(SCHEMA)
        yield memory
        await memory.dispose()
        return
    if kind == "sqlite":
        store = SqlStore(sqlite_url(directory), SCHEMA)
        await upgrade(store)
        yield store
        await store.dispose()
        return
    await require_postgres()
    url = await create_postgres_database()
    store = SqlStore(url, SCHEMA)
    try:
        yield store
    finally:
        await store.dispose()
        await drop_postgres_database(url)
