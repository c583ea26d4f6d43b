"""Plugging the worker channel into the app: websocket route, token route, bus subscription."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from switchboard.realtime.endpoint import PATH, worker_channel
from switchboard.realtime.hub import Hub, RealtimeSettings
from switchboard.realtime.routes import router
from switchboard.realtime.session import SHUTDOWN
from switchboard.services.context import Services


class Realtime:
    """The hub, subscribed to the bus for the app's life."""

    def __init__(self, svc: Services, settings: RealtimeSettings | None = None) -> None:
        self.hub = Hub(settings)
        self._unsubscribe = svc.bus.subscribe(self.hub.publish)

    async def start(self) -> None:
        """Nothing to resume: reconnecting workers get a snapshot from the store."""

    async def stop(self) -> None:
        """Close every socket (1001) so workers reconnect to another server."""
        for connection in self.hub.connections():
            try:
                connection.outgoing.put_nowait(SHUTDOWN)
            except asyncio.QueueFull:  # the writer closes an overflowed socket anyway
                connection.overflowed = True

    def close(self) -> None:
        self._unsubscribe()


def install(app: FastAPI, services: Services, settings: RealtimeSettings | None = None) -> Realtime:
    """Mount `/v1/wschannels/...` and the token route; subscribe the hub to the bus."""
    realtime = Realtime(services, settings)
    app.add_api_websocket_route(PATH, worker_channel)
    app.include_router(router)
    app.state.realtime_hub = realtime.hub
    return realtime
