"""Web chat across processes on PostgreSQL: every frame a process pushes to a visitor is
also NOTIFYed on `switchboard_chat`, and every other process LISTENing pushes it to the
visitor's sockets open there. So a visitor connected to one process sees a reply posted
through another (the same way the distribution pillar shares its events)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)
CHANNEL = "switchboard_chat"
MAX_PAYLOAD = 7900  # PostgreSQL caps NOTIFY payloads at 8000 bytes

Heard = Callable[[dict[str, Any]], Awaitable[None]]


class PostgresChatRelay:
    """Publishes a process's visitor frames and hands other processes' frames to `heard`."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.instance = secrets.token_hex(6)
        self.heard: Heard | None = None
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    async def start(self) -> None:
        self._closing = False
        await self._listen()

    async def _listen(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)
        self._conn.add_termination_listener(self._lost)
        await self._conn.add_listener(CHANNEL, self._received)

    def _lost(self, _conn: asyncpg.Connection) -> None:
        """Frames sent while reconnecting are missed; a reconnecting widget gets the history."""
        if not self._closing:
            log.warning("web chat relay connection lost; listening again on next publish")
            self._conn = None

    async def publish(self, message: dict[str, Any]) -> None:
        payload = json.dumps(
            {"from": self.instance, **message}, ensure_ascii=False, separators=(",", ":")
        )
        if len(payload.encode()) > MAX_PAYLOAD:
            log.warning("web chat frame too large to relay (%d bytes)", len(payload))
            return
        try:
            async with self._lock:
                if self._conn is None or self._conn.is_closed():
                    await self._listen()
                assert self._conn is not None
                await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            # the local sockets already have it; others get it with the history on reconnect
            log.warning("web chat frame not relayed: PostgreSQL unreachable", exc_info=True)
            self._conn = None

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        message = json.loads(payload)
        if message.pop("from", None) == self.instance or self.heard is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, message: dict[str, Any]) -> None:
        assert self.heard is not None
        try:
            await self.heard(message)
        except Exception:
            log.exception("a relayed web chat frame could not be delivered")

    async def stop(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None
