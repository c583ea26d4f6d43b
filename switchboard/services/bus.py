"""In-process publish/subscribe of committed events (websocket pushes, callbacks, metrics)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[dict[str, Any]], Awaitable[None] | None]


class EventBus:
    """Delivers each event to every subscriber; a failing subscriber never blocks the others."""

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
