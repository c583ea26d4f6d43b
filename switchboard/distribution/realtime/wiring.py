"""Plugging the worker channel into the app: the websocket route and the bus subscription."""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI

from switchboard.distribution.realtime.bridge import bridge_endpoint
from switchboard.distribution.realtime.endpoint import PATH, worker_channel
from switchboard.distribution.realtime.hub import Hub, RealtimeSettings
from switchboard.distribution.realtime.sdk_channel import sdk_channel
from switchboard.distribution.realtime.session import SHUTDOWN
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.worker_tokens import BRIDGE_PATH
from switchboard.wire.deps import Deps


class Realtime:
    """The hub, subscribed to the bus for the app's life."""

    def __init__(self, svc: Services, settings: RealtimeSettings | None = None) -> None:
        self.hub = Hub(settings, watch=svc.bus.watch)
        self._unsubscribe = svc.bus.subscribe(self.hub.publish)

    async def start(self) -> None:
        """Nothing to resume: reconnecting workers get a snapshot from the store."""

    async def stop(self, grace: float = 3.0) -> None:
        """Close every socket (1001) so workers reconnect to another server; waits (up to
        `grace` seconds) until the sockets are closed. Runs before uvicorn closes the
        connections itself (:mod:`switchboard.serving`), and again, idle, at shutdown."""
        for connection in self.hub.connections():
            try:
                connection.outgoing.put_nowait(SHUTDOWN)
            except asyncio.QueueFull:  # the writer closes an overflowed socket anyway
                connection.overflowed = True
        deadline = time.monotonic() + grace
        while self.hub.connections() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def close(self) -> None:
        self._unsubscribe()


def install(
    app: FastAPI, services: Services, registry: Deps, settings: RealtimeSettings | None = None
) -> Realtime:
    """Mount `/v1/wschannels/...` and the JavaScript SDK's `/v1/wschannels` (websocket and
    request bridge); subscribe the hub to the bus."""
    realtime = Realtime(services, settings)
    app.add_api_websocket_route(PATH, worker_channel)
    app.add_api_websocket_route(BRIDGE_PATH, sdk_channel)
    app.add_api_route(BRIDGE_PATH, bridge_endpoint, methods=["POST"], include_in_schema=False)
    registry.provide(Hub, realtime.hub)
    return realtime
