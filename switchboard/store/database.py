"""Connections, transactions and the per-workspace write lock.

Every write to a workspace happens inside :meth:`Store.transaction`, which
serialises writers of that workspace:

* SQLite (one process): an asyncio lock, held for the whole transaction; SQLite
  has a single writer anyway, so one lock for the database is both simplest and
  free of ``database is locked`` upgrades.
* PostgreSQL (many processes): ``pg_advisory_xact_lock`` on the workspace, so
  two processes never plan reservations for the same workspace at once; the
  lock is released by the commit itself.

Callbacks registered with :func:`after_commit` run only once the transaction
committed: events are never pushed for work that was rolled back.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

AfterCommit = Callable[[], Awaitable[None] | None]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def lock_key(workspace_sid: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    digest = hashlib.blake2b(workspace_sid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Store:
    """The database: engine, sessions and serialised write transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite and (":memory:" in url or url.endswith("sqlite+aiosqlite://")):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        elif not self.is_sqlite:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._global_lock = asyncio.Lock()
        self._locks: dict[str, asyncio.Lock] = {}

    def _local_lock(self, workspace_sid: str | None) -> asyncio.Lock:
        if self.is_sqlite or workspace_sid is None:
            return self._global_lock if self.is_sqlite else asyncio.Lock()
        lock = self._locks.get(workspace_sid)
        if lock is None:
            lock = self._locks[workspace_sid] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (no lock)."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self, workspace_sid: str | None = None) -> AsyncIterator[AsyncSession]:
        """A write transaction, serialised per workspace; after-commit hooks run on success."""
        async with self._local_lock(workspace_sid), self.sessions() as session:
            hooks: list[AfterCommit] = []
            session.info["after_commit"] = hooks
            async with session.begin():
                if workspace_sid is not None and not self.is_sqlite:
                    await session.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(workspace_sid)}
                    )
                yield session
        for hook in hooks:
            result = hook()
            if result is not None:
                await result

    async def dispose(self) -> None:
        await self.engine.dispose()


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run `hook` once the session's transaction has committed."""
    session.info.setdefault("after_commit", []).append(hook)
