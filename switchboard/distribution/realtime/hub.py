"""Who is connected, and which committed events each connection must see.

The hub is a bus subscriber. Subscribers run after the publishing transaction has
committed, but still inside the request that made the change: so the hub only appends to
per-connection queues (never awaits, never touches the store) and the request is not
slowed by a slow socket. Each connection's writer drains its
queue. A connection that cannot keep up is closed; on reconnect its snapshot is the
truth again.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# the bus's `watch`: other processes' events of a workspace, until the returned call
Watch = Callable[[str], Awaitable[Callable[[], None]]]

WAKE: dict[str, Any] = {"type": "__wake__"}  # the writer looks at its close reasons again

# a reservation ending like this returns the task to routing: the worker lets go at once
RELEASING = frozenset({"reservation.rejected", "reservation.timeout", "reservation.rescinded"})
# a completed or canceled reservation is followed by its task's own final event, which the
# worker still gets; the task is let go after that one
TASK_FINAL = frozenset({"task.completed", "task.canceled", "task.deleted"})


@dataclass
class RealtimeSettings:
    """Heartbeats: the server pings a socket idle this long, and drops one silent longer;
    the JavaScript SDK's socket gets a whitespace heartbeat after `heartbeat_interval`
    without a message (the SDK drops a socket silent for 30 s)."""

    ping_interval: float = 20.0
    idle_timeout: float = 60.0
    heartbeat_interval: float = 10.0
    queue_size: int = 1000


@dataclass(eq=False)
class Connection:
    """One open worker channel: its identity, outgoing queue and the tasks it holds."""

    account_sid: str
    workspace_sid: str
    worker_sid: str
    queue_size: int = 1000
    held_tasks: set[str] = field(default_factory=set)
    overflowed: bool = False
    replaced: bool = False  # a newer session of the worker asked to close this one
    outgoing: asyncio.Queue[dict[str, Any]] = field(init=False)
    # the hub's index of who holds which task (workspace, task sid): kept by hold/let_go
    holders: dict[tuple[str, str], set[Connection]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.outgoing = asyncio.Queue(self.queue_size)

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; a full queue marks the connection for closing."""
        if self.overflowed:
            return
        try:
            self.outgoing.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    def concerns(self, event: dict[str, Any]) -> bool:
        """Events about this worker, and task events of the tasks it holds."""
        if event.get("worker_sid") == self.worker_sid:
            return True
        return str(event.get("event_type", "")).startswith("task.") and (
            event.get("task_sid") in self.held_tasks
        )

    def track(self, event: dict[str, Any]) -> None:
        """Keep `held_tasks` in step with this worker's reservation and task events."""
        task_sid, event_type = event.get("task_sid"), str(event.get("event_type"))
        if not isinstance(task_sid, str):
            return
        if event_type in RELEASING or event_type in TASK_FINAL:
            self.let_go(task_sid)
        elif event_type.startswith("reservation.") and event.get("worker_sid") == self.worker_sid:
            self.hold((task_sid,))

    def hold(self, task_sids: Iterable[str]) -> None:
        """The worker holds these tasks: their task events reach this connection."""
        for task_sid in task_sids:
            self.held_tasks.add(task_sid)
            if self.holders is not None:
                self.holders.setdefault((self.workspace_sid, task_sid), set()).add(self)

    def let_go(self, task_sid: str) -> None:
        self.held_tasks.discard(task_sid)
        if self.holders is not None:
            key = (self.workspace_sid, task_sid)
            held_by = self.holders.get(key)
            if held_by is not None:
                held_by.discard(self)
                if not held_by:
                    del self.holders[key]


def event_message(event: dict[str, Any]) -> dict[str, Any]:
    """The wire form of a committed event."""
    return {
        "type": "event",
        "event_type": event.get("event_type"),
        "sid": event.get("sid"),
        "resource_sid": event.get("resource_sid"),
        "date_ms": event.get("event_date_ms"),
        "data": event.get("event_data") or {},
    }


class Hub:
    """Connections by workspace; fans committed events out to the ones they concern."""

    def __init__(
        self, settings: RealtimeSettings | None = None, watch: Watch | None = None
    ) -> None:
        self.settings = settings or RealtimeSettings()
        self._by_workspace: dict[str, set[Connection]] = defaultdict(set)
        # who an event can concern: the connections of its worker, and (task events)
        # those holding its task; looked up, not scanned, whatever the number connected
        self._by_worker: dict[tuple[str, str], set[Connection]] = {}
        self._holders: dict[tuple[str, str], set[Connection]] = {}
        self._watch = watch
        self._unwatch: dict[int, Callable[[], None]] = {}  # by id(connection)

    async def register(self, account_sid: str, workspace_sid: str, worker_sid: str) -> Connection:
        """Registered, and (once this returns) other processes' events of the workspace
        reach this one: whatever commits from then on is pushed."""
        connection = Connection(account_sid, workspace_sid, worker_sid, self.settings.queue_size)
        connection.holders = self._holders
        self._by_workspace[workspace_sid].add(connection)
        self._by_worker.setdefault((workspace_sid, worker_sid), set()).add(connection)
        if self._watch is not None:
            try:
                self._unwatch[id(connection)] = await self._watch(workspace_sid)
            except BaseException:  # cancelled meanwhile: the caller never unregisters it
                self.unregister(connection)
                raise
        return connection

    def unregister(self, connection: Connection) -> None:
        group = self._by_workspace.get(connection.workspace_sid)
        if group is not None:
            group.discard(connection)
            if not group:
                del self._by_workspace[connection.workspace_sid]
        key = (connection.workspace_sid, connection.worker_sid)
        same_worker = self._by_worker.get(key)
        if same_worker is not None:
            same_worker.discard(connection)
            if not same_worker:
                del self._by_worker[key]
        for task_sid in list(connection.held_tasks):
            connection.let_go(task_sid)
        connection.holders = None
        unwatch = self._unwatch.pop(id(connection), None)
        if unwatch is not None:
            unwatch()

    def replace(self, workspace_sid: str, worker_sid: str) -> None:
        """`closeExistingSessions=true`: the worker's open sockets close (their writers
        see the flag on their next tick)."""
        for connection in self._by_worker.get((workspace_sid, worker_sid), ()):
            connection.replaced = True
            connection.send(WAKE)

    def connections(self, workspace_sid: str | None = None) -> list[Connection]:
        if workspace_sid is not None:
            return list(self._by_workspace.get(workspace_sid, ()))
        return [c for group in self._by_workspace.values() for c in group]

    def publish(self, event: dict[str, Any]) -> None:
        """Bus subscriber (synchronous on purpose: see the module docstring)."""
        workspace_sid = event.get("workspace_sid")
        if not isinstance(workspace_sid, str):
            return
        worker_sid = event.get("worker_sid")
        candidates = []
        if isinstance(worker_sid, str):
            candidates = list(self._by_worker.get((workspace_sid, worker_sid), ()))
        task_sid = event.get("task_sid")
        if task_sid and str(event.get("event_type", "")).startswith("task."):
            for holder in self._holders.get((workspace_sid, task_sid), ()):
                if holder not in candidates:
                    candidates.append(holder)
        for connection in candidates:
            if connection.concerns(event):
                connection.track(event)
                connection.send(event_message(event))
