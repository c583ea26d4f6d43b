"""Coordination between server processes that share one PostgreSQL database.

* **Ownership.** Exactly one process runs a workspace's routing passes and timers:
  the one holding the workspace's *lease*, a session-level advisory lock on a
  dedicated connection. When that process dies its connection closes, PostgreSQL
  releases the lock, and another process takes the lease on its next sweep (every
  second) or on the next poke — then its first pass fires whatever fell due.
* **Pokes.** Any process may change a workspace (API calls land anywhere); it
  announces `poke` through LISTEN/NOTIFY so the owner runs a pass.
* **Events.** Committed events are announced too, so a worker's websocket gets its
  pushes whichever process it is connected to.

Correctness never depends on the lease: every write transaction of a workspace also
takes the workspace's transaction-level advisory lock (see `database.py`). The lease
only makes sure timers and passes run in one place.

With SQLite (one process) :class:`LocalCoordinator` owns everything and sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import asyncpg

from switchboard.store.database import lock_key

log = logging.getLogger(__name__)

CHANNEL = "switchboard"
# NOTIFY payloads are limited to 8000 bytes; larger events travel by sid
MAX_INLINE_EVENT = 7000
# after failing to take a lease, do not ask PostgreSQL again for this long
LEASE_RETRY_SECONDS = 0.5

PokeHandler = Callable[[str], None]
EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
EventLoader = Callable[[str], Awaitable[dict[str, Any] | None]]


def lease_key(workspace_sid: str) -> int:
    """A key space of its own: the lease must never block the write lock."""
    return lock_key("lease:" + workspace_sid)


class Coordinator(Protocol):
    """What the router and the event bus need from the deployment topology."""

    distributed: bool

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        """Begin listening for other processes' pokes and events."""

    async def owns(self, workspace_sid: str) -> bool:
        """True when this process holds (or just took) the workspace's lease."""

    async def announce_poke(self, workspace_sid: str) -> None:
        """Tell the other processes that the workspace changed."""

    async def announce_event(self, event: dict[str, Any]) -> None:
        """Share a committed event with the other processes."""

    def owned(self) -> set[str]:
        """The workspaces this process currently owns."""

    async def stop(self) -> None:
        """Release every lease and stop listening."""


class LocalCoordinator:
    """One process: it owns every workspace and has nobody to tell."""

    distributed = False

    def __init__(self) -> None:
        self._seen: set[str] = set()

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        return None

    async def owns(self, workspace_sid: str) -> bool:
        self._seen.add(workspace_sid)
        return True

    async def announce_poke(self, workspace_sid: str) -> None:
        return None

    async def announce_event(self, event: dict[str, Any]) -> None:
        return None

    def owned(self) -> set[str]:
        return set(self._seen)

    async def stop(self) -> None:
        return None


class PostgresCoordinator:
    """Leases as advisory locks on one connection; LISTEN/NOTIFY on another."""

    distributed = True

    def __init__(self, dsn: str, load_event: EventLoader) -> None:
        self.dsn = dsn
        self.instance = secrets.token_hex(6)
        self._load_event = load_event
        self._lease_conn: asyncpg.Connection | None = None
        self._notify_conn: asyncpg.Connection | None = None
        self._lease_lock = asyncio.Lock()
        self._notify_lock = asyncio.Lock()
        self._owned: set[str] = set()
        self._refused: dict[str, float] = {}
        self._on_poke: PokeHandler = lambda _ws: None
        self._on_event: EventHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        self._on_poke, self._on_event = on_poke, on_event
        self._lease_conn = await asyncpg.connect(self.dsn)
        self._lease_conn.add_termination_listener(self._lost)
        self._notify_conn = await asyncpg.connect(self.dsn)
        await self._notify_conn.add_listener(CHANNEL, self._received)

    def _lost(self, _conn: asyncpg.Connection) -> None:
        """The lease connection died: PostgreSQL released our locks with it."""
        log.warning("lease connection lost; giving up %d workspace(s)", len(self._owned))
        self._owned.clear()
        self._lease_conn = None

    async def _lease_connection(self) -> asyncpg.Connection:
        if self._lease_conn is None or self._lease_conn.is_closed():
            self._owned.clear()
            self._lease_conn = await asyncpg.connect(self.dsn)
            self._lease_conn.add_termination_listener(self._lost)
        return self._lease_conn

    async def owns(self, workspace_sid: str) -> bool:
        if workspace_sid in self._owned:
            return True
        if time.monotonic() - self._refused.get(workspace_sid, 0.0) < LEASE_RETRY_SECONDS:
            return False
        async with self._lease_lock:
            conn = await self._lease_connection()
            taken = bool(
                await conn.fetchval("SELECT pg_try_advisory_lock($1)", lease_key(workspace_sid))
            )
        if taken:
            self._owned.add(workspace_sid)
            self._refused.pop(workspace_sid, None)
            log.info("took the lease of workspace %s", workspace_sid)
        else:
            self._refused[workspace_sid] = time.monotonic()
        return taken

    async def _notify(self, payload: str) -> None:
        async with self._notify_lock:
            if self._notify_conn is None or self._notify_conn.is_closed():
                self._notify_conn = await asyncpg.connect(self.dsn)
                await self._notify_conn.add_listener(CHANNEL, self._received)
            await self._notify_conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    async def announce_poke(self, workspace_sid: str) -> None:
        await self._notify(f"p:{self.instance}:{workspace_sid}")

    async def announce_event(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, separators=(",", ":"))
        if len(body) <= MAX_INLINE_EVENT:
            await self._notify(f"e:{self.instance}:{body}")
        else:
            await self._notify(f"E:{self.instance}:{event['sid']}")

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, instance, body = payload.split(":", 2)
        if instance == self.instance:
            return
        if kind == "p":
            self._on_poke(body)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(kind, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, kind: str, body: str) -> None:
        event = json.loads(body) if kind == "e" else await self._load_event(body)
        if event is not None and self._on_event is not None:
            await self._on_event({**event, "remote": True})

    def owned(self) -> set[str]:
        return set(self._owned)

    async def stop(self) -> None:
        for conn in (self._notify_conn, self._lease_conn):
            if conn is not None and not conn.is_closed():
                await conn.close()
        self._owned.clear()
