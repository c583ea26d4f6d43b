"""Coordination between server processes that share one PostgreSQL database.

* **Ownership.** Exactly one process runs a workspace's routing passes and timers:
  the one holding the workspace's *ownership lock*, a session-level advisory lock on a
  dedicated connection. When that process dies its connection closes, PostgreSQL
  releases the lock, and another process takes ownership on its next sweep (every
  second) or on the next poke — then its first pass fires whatever fell due.
* **Pokes.** Any process may change a workspace (API calls land anywhere); it
  announces `poke` through LISTEN/NOTIFY so the owner runs a pass.
* **Events.** Committed events are announced too, so a worker's websocket gets its
  pushes whichever process it is connected to.
* **Channels.** Each workspace has a channel of its own, `switchboard:<sid>`, which a
  process listens on while it owns the workspace or *watches* it (a worker's socket or
  a supervisor's page shows it there). Events and pokes of tasks, workers and
  reservations travel on it, so with N processes each one handles the traffic of the
  workspaces it owns or shows, not N times its own. Only pokes that every process must
  hear (configuration changed: cached copies are stale; or "unknown") go to the common
  channel `switchboard`. A process that owns nothing of a workspace and shows nothing
  of it hears none of its traffic; if the owner dies, whichever process next writes to
  the workspace (or the sweep, every second) takes over.

Correctness never depends on ownership: every write transaction of a workspace also
takes the workspace's transaction-level advisory lock (see `store/sql.py`). Ownership
only makes sure timers and passes run in one place.

With SQLite (one process) :class:`LocalCoordinator` owns everything and sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import asyncpg

from switchboard.store.sql import lock_key

log = logging.getLogger(__name__)

CHANNEL = "switchboard"  # pokes every process must hear
# NOTIFY payloads are limited to 8000 bytes; larger events travel by sid
MAX_INLINE_EVENT = 7000
# after failing to take ownership, do not ask PostgreSQL again for this long
LEASE_RETRY_SECONDS = 0.5
# a poke that asks for a pass and says nothing changed: no cached copy is stale, and
# the first pass of a new owner reads the workspace from the store
_NOTHING_CHANGED = '{"keys":{},"sweeps":[]}'

# (workspace sid, what changed as the dispatcher wrote it, or None: unknown)
PokeHandler = Callable[[str, str | None], None]
EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
EventLoader = Callable[[str], Awaitable[dict[str, Any] | None]]


def workspace_channel(workspace_sid: str) -> str:
    """The channel of one workspace's events and routing pokes (at most 63 bytes)."""
    return f"{CHANNEL}:{workspace_sid}"


def ownership_key(workspace_sid: str) -> int:
    """A key space of its own: ownership must never block the write lock."""
    return lock_key("lease:" + workspace_sid)  # the key string predates the rename


class Coordinator(Protocol):
    """What the dispatcher and the event bus need from the deployment topology."""

    distributed: bool
    # notifications from other processes handled here, by kind: `poke`, `event` (decoded
    # and published), `skipped` (events of a workspace not shown here: not decoded)
    received: Counter[str]

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        """Begin listening for other processes' pokes and events."""

    async def owns(self, workspace_sid: str) -> bool:
        """True when this process holds (or just took) the workspace's ownership lock."""

    async def announce_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        """Tell the other processes that the workspace changed (`detail`: which records);
        `everyone` False: only its owner (and whoever watches it) needs to know."""

    def queue_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        """`announce_poke` without waiting: it leaves with what else is queued."""

    async def watch(self, workspace_sid: str) -> None:
        """Receive the workspace's events from now on (something here shows it)."""

    def unwatch(self, workspace_sid: str) -> None:
        """Nothing here shows the workspace any more."""

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
        self.received: Counter[str] = Counter()

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        return None

    async def owns(self, workspace_sid: str) -> bool:
        self._seen.add(workspace_sid)
        return True

    async def announce_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        return None

    def queue_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        return None

    async def watch(self, workspace_sid: str) -> None:
        return None

    def unwatch(self, workspace_sid: str) -> None:
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
        self._ownership_conn: asyncpg.Connection | None = None
        self._notify_conn: asyncpg.Connection | None = None
        self._ownership_lock = asyncio.Lock()
        self._notify_lock = asyncio.Lock()
        self._owned: set[str] = set()
        self._refused: dict[str, float] = {}
        self._on_poke: PokeHandler = lambda _ws, _detail: None
        self._on_event: EventHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        # events (dicts) and pokes ((channel, payload)) waiting to be sent, in order
        self._outgoing: deque[dict[str, Any] | tuple[str, str]] = deque()
        self._stopping = False
        self._sender: asyncio.Task[None] | None = None
        self._watched: set[str] = set()  # workspaces something here shows
        self.received: Counter[str] = Counter()
        self._listening: set[str] = set()  # workspaces whose channel we LISTEN on

    async def start(self, on_poke: PokeHandler, on_event: EventHandler) -> None:
        self._on_poke, self._on_event = on_poke, on_event
        self._ownership_conn = await asyncpg.connect(self.dsn)
        self._ownership_conn.add_termination_listener(self._lost)
        await self._listen()

    async def _listen(self) -> None:
        """A new listening connection: the common channel, then every workspace channel
        wanted here (owned or watched)."""
        conn = await asyncpg.connect(self.dsn)
        conn.add_termination_listener(self._deaf)
        await conn.add_listener(CHANNEL, self._received)
        self._notify_conn, self._listening = conn, set()
        for workspace_sid in sorted(self._owned | self._watched):
            await conn.add_listener(workspace_channel(workspace_sid), self._received)
            self._listening.add(workspace_sid)

    async def _listener(self) -> asyncpg.Connection:
        """The listening connection (call with `_notify_lock` held), reopened if lost."""
        if self._notify_conn is None or self._notify_conn.is_closed():
            await self._listen()
        assert self._notify_conn is not None
        return self._notify_conn

    async def _tune(self, workspace_sid: str) -> None:
        """LISTEN on the workspace's channel while it is owned or watched here, else not."""
        async with self._notify_lock:
            conn = await self._listener()
            wanted = workspace_sid in self._owned or workspace_sid in self._watched
            channel = workspace_channel(workspace_sid)
            if wanted and workspace_sid not in self._listening:
                await conn.add_listener(channel, self._received)
                self._listening.add(workspace_sid)
            elif not wanted and workspace_sid in self._listening:
                self._listening.discard(workspace_sid)
                await conn.remove_listener(channel, self._received)

    async def watch(self, workspace_sid: str) -> None:
        self._watched.add(workspace_sid)
        try:
            await self._tune(workspace_sid)
        except Exception:  # listening again (on reconnect) includes it
            log.exception("could not listen to workspace %s", workspace_sid)

    def unwatch(self, workspace_sid: str) -> None:
        self._watched.discard(workspace_sid)
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._quietly_tune(workspace_sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quietly_tune(self, workspace_sid: str) -> None:
        try:
            await self._tune(workspace_sid)
        except Exception:
            log.exception("could not stop listening to workspace %s", workspace_sid)

    def _deaf(self, _conn: asyncpg.Connection) -> None:
        """The listening connection died: notifications sent meanwhile are lost, so every
        owned workspace must be read again from the store (detail None: unknown)."""
        if self._closing:
            return
        log.warning("notification connection lost; re-reading %d workspace(s)", len(self._owned))
        self._notify_conn = None
        for workspace_sid in sorted(self._owned):
            self._on_poke(workspace_sid, None)
        task = asyncio.get_running_loop().create_task(self._relisten())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relisten(self) -> None:
        async with self._notify_lock:
            await self._listener()
        for workspace_sid in sorted(self._owned):  # what was sent while reconnecting
            self._on_poke(workspace_sid, None)

    def _lost(self, _conn: asyncpg.Connection) -> None:
        """Ownership connection died: PostgreSQL released our locks with it."""
        log.warning("ownership connection lost; giving up %d workspace(s)", len(self._owned))
        self._owned.clear()
        self._ownership_conn = None

    async def _ownership_connection(self) -> asyncpg.Connection:
        if self._ownership_conn is None or self._ownership_conn.is_closed():
            self._owned.clear()
            self._ownership_conn = await asyncpg.connect(self.dsn)
            self._ownership_conn.add_termination_listener(self._lost)
        return self._ownership_conn

    async def owns(self, workspace_sid: str) -> bool:
        if workspace_sid in self._owned:
            return True
        if time.monotonic() - self._refused.get(workspace_sid, 0.0) < LEASE_RETRY_SECONDS:
            return False
        async with self._ownership_lock:
            if workspace_sid in self._owned:  # taken while this waited for the lock
                return True
            if time.monotonic() - self._refused.get(workspace_sid, 0.0) < LEASE_RETRY_SECONDS:
                return False
            conn = await self._ownership_connection()
            taken = bool(
                await conn.fetchval("SELECT pg_try_advisory_lock($1)", ownership_key(workspace_sid))
            )
        if taken:
            self._owned.add(workspace_sid)
            self._refused.pop(workspace_sid, None)
            log.info("took ownership of workspace %s", workspace_sid)
            # listening before the first pass reads the store: nothing committed after
            # that read goes unheard (if this fails, the listening connection is gone and
            # listens again to every owned workspace when it is back, poking each)
            try:
                await self._tune(workspace_sid)
            except Exception:
                log.exception("could not listen to workspace %s", workspace_sid)
        else:
            self._refused[workspace_sid] = time.monotonic()
        return taken

    async def _notify(self, channel: str, payload: str) -> None:
        async with self._notify_lock:
            conn = await self._listener()
            await conn.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def announce_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        self.queue_poke(workspace_sid, detail, everyone)
        if self._sender is not None:
            await asyncio.shield(self._sender)

    def queue_poke(
        self, workspace_sid: str, detail: str | None = None, everyone: bool = True
    ) -> None:
        """Synchronous, queued with the events: a commit's poke and its events (and
        those of the commits around it) leave in one round trip, in the order queued."""
        if self._closing:
            return
        suffix = "" if detail is None else f":{detail}"
        channel = CHANNEL if everyone else workspace_channel(workspace_sid)
        self._outgoing.append((channel, f"p:{self.instance}:{workspace_sid}{suffix}"))
        self._send_soon()

    async def announce_event(self, event: dict[str, Any]) -> None:
        await self._notify_all(self._payloads([event]))  # (a channel event: not queued)

    def queue_event(self, event: dict[str, Any]) -> None:
        """Synchronous, for the event bus: events leave in the order they were committed
        (a subscriber awaiting the NOTIFY would let a later commit's events overtake)."""
        if self._stopping:  # shutting down: what is committed stays in the store
            return
        self._outgoing.append(event)
        self._send_soon()

    def _send_soon(self) -> None:
        """Start the task that sends what is queued, unless one runs (`_sender`)."""
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_queued())

    async def _send_queued(self) -> None:
        """Everything queued leaves in one round trip: events packed several to a payload
        (each listening process is woken once per payload, not once per event), pokes
        as they are."""
        while self._outgoing:
            items = list(self._outgoing)
            self._outgoing.clear()
            try:
                await self._claim_unowned(items)
            except Exception:  # told all the same: whoever hears first may take it
                log.exception("could not ask for the lease of a poked workspace")
            try:
                await self._notify_all(self._payloads(items))
            except Exception:  # the next ones still go; the owner re-reads on poke
                log.exception("could not share %d event(s) and poke(s)", len(items))

    async def _claim_unowned(self, items: list[dict[str, Any] | tuple[str, str]]) -> None:
        """Ask for the lease of each poked workspace nobody here routes before the
        others hear of the change, so the process that writes first routes (a new
        workspace, or one whose owner died); a lease taken here starts a pass that
        reads the workspace from the store. Refusals are remembered for a moment
        (`LEASE_RETRY_SECONDS`), so a process writing to a workspace routed elsewhere
        asks at most that often."""
        if self._stopping:
            return
        for item in items:
            if not isinstance(item, tuple):
                continue
            workspace_sid = item[1].split(":", 3)[2]
            if workspace_sid not in self._owned and await self.owns(workspace_sid):
                self._on_poke(workspace_sid, _NOTHING_CHANGED)

    def _payloads(self, items: list[dict[str, Any] | tuple[str, str]]) -> list[tuple[str, str]]:
        """(channel, payload) in the order queued: a poke as it is; an event on its
        workspace's channel, `e:` one event, `b:` a JSON array of several (consecutive,
        same channel), `E:` a sid alone (an event too large to travel inline; the
        receiver loads it)."""
        payloads: list[tuple[str, str]] = []
        group: list[str] = []
        size = 0
        channel = CHANNEL

        def close_group() -> None:
            nonlocal size
            if len(group) == 1:
                payloads.append((channel, f"e:{self.instance}:{group[0]}"))
            elif group:
                payloads.append((channel, f"b:{self.instance}:[{','.join(group)}]"))
            group.clear()
            size = 0

        for event in items:
            if isinstance(event, tuple):  # a poke, ready to go
                close_group()
                payloads.append(event)
                continue
            workspace_sid = event.get("workspace_sid")
            target = workspace_channel(workspace_sid) if isinstance(workspace_sid, str) else CHANNEL
            if target != channel:
                close_group()
                channel = target
            body = json.dumps(event, separators=(",", ":"))
            if len(body) > MAX_INLINE_EVENT:
                close_group()
                payloads.append((channel, f"E:{self.instance}:{event['sid']}"))
                continue
            if size + len(body) + 1 > MAX_INLINE_EVENT:
                close_group()
            group.append(body)
            size += len(body) + 1
        close_group()
        return payloads

    async def _notify_all(self, payloads: list[tuple[str, str]]) -> None:
        if len(payloads) == 1:
            await self._notify(*payloads[0])
            return
        async with self._notify_lock:
            conn = await self._listener()
            # one statement: PostgreSQL delivers a transaction's notifications in order
            await conn.execute(
                "SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) "
                "WITH ORDINALITY AS sent(channel, payload, n) ORDER BY n",
                [channel for channel, _payload in payloads],
                [payload for _channel, payload in payloads],
            )

    def _received(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        kind, instance, body = payload.split(":", 2)
        if instance == self.instance:
            return
        if kind != "p" and channel != CHANNEL and channel[len(CHANNEL) + 1 :] not in self._watched:
            self.received["skipped"] += 1
            return  # owned, not shown here: the owner routes from pokes, not from events
        self.received["poke" if kind == "p" else "event"] += 1
        if kind == "p":
            workspace_sid, _colon, detail = body.partition(":")
            self._on_poke(workspace_sid, detail or None)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(kind, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, kind: str, body: str) -> None:
        if kind == "b":
            events = json.loads(body)
        else:
            event = json.loads(body) if kind == "e" else await self._load_event(body)
            events = [] if event is None else [event]
        if self._on_event is not None:
            for event in events:
                await self._on_event({**event, "remote": True})

    def owned(self) -> set[str]:
        return set(self._owned)

    async def stop(self) -> None:
        self._stopping = True
        if self._sender is not None:  # what was committed is still shared
            await asyncio.wait([self._sender], timeout=5)
        self._closing = True
        for conn in (self._notify_conn, self._ownership_conn):
            if conn is not None and not conn.is_closed():
                await conn.close()
        self._owned.clear()
