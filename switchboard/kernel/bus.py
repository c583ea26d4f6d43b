"""In-process publish/subscribe of committed events (websocket pushes, callbacks, metrics)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from switchboard.kernel.changes import Changes

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[str, Any]], Awaitable[None] | None]


class EventBus:
    """Delivers each event to every subscriber; a failing subscriber never blocks the others.

    Subscribers should be synchronous (hand work to a queue or a task): one that awaits
    lets the events of a transaction committed later overtake the ones it is handed."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

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
