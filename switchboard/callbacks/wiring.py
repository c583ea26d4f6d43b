"""Plugging the callback engine into the app: routes, bus subscription, background tasks."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI

from switchboard.callbacks.outbound import Outbound
from switchboard.callbacks.outbox import Outbox
from switchboard.callbacks.poster import SignedPoster
from switchboard.callbacks.routes import router
from switchboard.callbacks.sender import Lane, lanes
from switchboard.services.context import Services


class CallbackEngine:
    """The outbox reader and the two sender lanes; started and stopped with the app."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.outbox = Outbox(svc, self.wake)
        self.lanes: list[Lane] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe = svc.bus.subscribe(self.outbox.notify)

    def wake(self) -> None:
        for lane in self.lanes:
            lane.wake()

    async def start(self) -> None:
        """Resume: events not yet considered and deliveries not yet sent go out now."""
        outbound = Outbound(self.svc.outbound)
        self.svc.http = outbound
        self.lanes = lanes(SignedPoster(self.svc, outbound))
        await self.outbox.catch_up()
        loops = [self.outbox.run(), *(lane.run() for lane in self.lanes)]
        self._tasks = [asyncio.create_task(loop, name="callbacks") for loop in loops]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for lane in self.lanes:
            await lane.stop()
        if self.svc.http is not None:
            await self.svc.http.close()
            self.svc.http = None

    def close(self) -> None:
        """Leave the bus (an engine built for one app instance only)."""
        self._unsubscribe()


def install(app: FastAPI, services: Services) -> CallbackEngine:
    """Mount `/CallbackDeliveries` and subscribe to the bus; the caller starts the engine."""
    app.include_router(router)
    engine = CallbackEngine(services)
    app.state.callbacks = engine
    return engine
