"""The one database of a deployment: every package's tables, stores by URL, migrations.

This module knows every pillar's tables (it assembles the schema), so like the
composition root it sits outside the import contracts.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from switchboard.attribution import tables as attribution_tables
from switchboard.channels import tables as channel_tables
from switchboard.conversations import tables as conversation_tables
from switchboard.distribution.persistence import tables as distribution_tables
from switchboard.kernel import sids
from switchboard.kernel.ports import Store
from switchboard.outbound import tables as outbound_tables
from switchboard.store.memory import MemoryStore
from switchboard.store.schema import Schema, metadata
from switchboard.store.sql import SqlStore
from switchboard.tenancy import tables as tenancy_tables
from switchboard.web import tables as web_tables

MIGRATIONS = Path(__file__).parent / "migrations"
MEMORY_URL = "memory://"
SCHEMA = Schema(
    {
        **tenancy_tables.BINDINGS,
        **outbound_tables.BINDINGS,
        **distribution_tables.BINDINGS,
        **attribution_tables.BINDINGS,
        **web_tables.BINDINGS,
        **conversation_tables.BINDINGS,
        **channel_tables.BINDINGS,
    },
    cached=distribution_tables.CONFIGURATION,
    recent=distribution_tables.IN_FLIGHT,
    scope_prefix=sids.WORKSPACE,
)
METADATA = metadata


SUPPORTED = ("sqlite+aiosqlite:///path.db", "postgresql+asyncpg://user@host/db", MEMORY_URL)
_SQLITE = "sqlite+aiosqlite:///"
_HINTS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class UnsupportedDatabase(ValueError):
    """A database URL Switchboard cannot use; the message says what to write instead."""


def check_url(url: str) -> None:
    """Refuse, with a hint, a URL no store adapter opens (before anything connects)."""
    if url == MEMORY_URL:
        return
    scheme, separator, rest = url.partition("://")
    if scheme in ("sqlite+aiosqlite", "postgresql+asyncpg") and separator:
        return
    if scheme in _HINTS and separator:
        raise UnsupportedDatabase(
            f"unsupported database URL scheme {scheme}://: write {_HINTS[scheme]}://{rest}"
        )
    raise UnsupportedDatabase(
        f"unsupported database URL {scheme + separator or url!r}: use one of "
        + ", ".join(SUPPORTED)
    )


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory SQLite)."""
    if not url.startswith(_SQLITE) or ":memory:" in url:
        return None
    return Path(url.removeprefix(_SQLITE).split("?", 1)[0])


def describe(url: str) -> str:
    """The database in words, without any password."""
    path = sqlite_path(url)
    if path is not None:
        return f"SQLite file {path.resolve()}"
    if url == MEMORY_URL:
        return "memory (nothing is kept after the process ends)"
    _scheme, _sep, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return f"PostgreSQL {host}"


def open_store(url: str, *, group_commit: bool = False) -> Store:
    """`memory://`, `sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://user@host/db`
    (`group_commit`: PostgreSQL only, see :mod:`switchboard.store.group_commit`)."""
    if url == MEMORY_URL:
        return MemoryStore(SCHEMA)
    return SqlStore(url, SCHEMA, group_commit=group_commit)


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(store: Store, revision: str = "head") -> None:
    """Apply every pending migration (a memory store has no schema to migrate)."""
    if not isinstance(store, SqlStore):
        return

    def _upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(store.url, connection), revision)

    async with store.engine.begin() as connection:
        if store.kind == "postgresql":
            # several processes may start at once: one migrates, the others wait
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_117})
        await connection.run_sync(_upgrade)
