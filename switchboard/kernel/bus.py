"""In-process publish/subscribe of committed events (websocket pushes, callbacks, metrics)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from switchboard.kernel.changes import Changes

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[str, Any]], Awaitable[None] | None]


class Watcher(Protocol):
    """Who brings other processes' events of a workspace onto this bus (the coordinator)."""

    async def watch(self, workspace_sid: str) -> None:
        """From now on (once this returns) the workspace's events reach this process."""

    def unwatch(self, workspace_sid: str) -> None:
        """Nobody here shows the workspace any more: its events may stop coming."""


class EventBus:
    """Delivers each event to every subscriber; a failing subscriber never blocks the others.

    Subscribers should be synchronous (hand work to a queue or a task): one that awaits
    lets the events of a transaction committed later overtake the ones it is handed.

    Events committed here always travel on this bus. Another process's events of a
    workspace arrive only while something here *watches* it (a worker's socket, a
    supervisor's page): with many processes, each one then handles the events of the
    workspaces it shows, not every event of the deployment."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._watcher: Watcher | None = None
        self._watching: dict[str, int] = {}
        self._starting: dict[str, asyncio.Task[None]] = {}

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def attend(self, watcher: Watcher) -> None:
        """Wiring: `watcher` is told which workspaces are watched here (once)."""
        self._watcher = watcher
        for workspace_sid in self._watching:
            self._start(workspace_sid)

    async def watch(self, workspace_sid: str) -> Callable[[], None]:
        """Other processes' events of the workspace reach this bus (once this returns)
        until the returned function is called."""
        count = self._watching.get(workspace_sid, 0)
        self._watching[workspace_sid] = count + 1
        if count == 0:
            self._start(workspace_sid)
        starting = self._starting.get(workspace_sid)
        if starting is not None:
            try:
                await asyncio.shield(starting)
            except Exception:  # served from this process's own events meanwhile
                log.exception("could not watch workspace %s", workspace_sid)
        done = False

        def unwatch() -> None:
            nonlocal done
            if done:
                return
            done = True
            left = self._watching[workspace_sid] - 1
            if left > 0:
                self._watching[workspace_sid] = left
                return
            del self._watching[workspace_sid]
            if self._watcher is not None:
                self._watcher.unwatch(workspace_sid)

        return unwatch

    def watched(self) -> set[str]:
        return set(self._watching)

    def _start(self, workspace_sid: str) -> None:
        if self._watcher is None:
            return
        task = asyncio.get_running_loop().create_task(self._watcher.watch(workspace_sid))
        self._starting[workspace_sid] = task

        def started(_task: asyncio.Task[None]) -> None:
            if self._starting.get(workspace_sid) is task:
                del self._starting[workspace_sid]

        task.add_done_callback(started)

    async def publish(self, event: dict[str, Any]) -> None:
        for subscriber in list(self._subscribers):
            try:
                result = subscriber(event)
                if isinstance(result, Awaitable):
                    await asyncio.shield(result)
            except Exception:
                log.exception("event subscriber failed for %s", event.get("event_type"))


Listener = Callable[[str, Changes | None], None]


class Doorbell:
    """Committed changes ring it with their workspace; the dispatcher is its one listener.

    Rings before the listener connects are kept and handed over on connect, so a
    service used before the dispatcher starts loses nothing.
    """

    def __init__(self) -> None:
        self._listener: Listener | None = None
        self._early: dict[str, Changes] = {}

    def connect(self, listener: Listener) -> None:
        """Make `listener` the one that hears every ring (once, at wiring time)."""
        if self._listener is not None:
            raise RuntimeError("the doorbell already has a listener")
        self._listener = listener
        early, self._early = self._early, {}
        for workspace_sid in sorted(early):
            listener(workspace_sid, early[workspace_sid])

    def ring(self, workspace_sid: str, changes: Changes | None = None) -> None:
        if self._listener is not None:
            self._listener(workspace_sid, changes)
            return
        self._early.setdefault(workspace_sid, Changes()).merge(changes)
