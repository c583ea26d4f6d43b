"""The callback engine: the outbox reader and a sender lane per kind of delivery."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial

from switchboard.distribution.callbacks.assignment import deliver_assignment
from switchboard.distribution.callbacks.events import deliver_event
from switchboard.distribution.callbacks.outbox import Outbox
from switchboard.distribution.work.context import Services
from switchboard.outbound.client import Outbound
from switchboard.outbound.poster import SignedPoster
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.sender import Lane
from switchboard.outbound.settings import OutboundSettings


class CallbackEngine:
    """Started and stopped with the app; subscribed to the bus from construction."""

    def __init__(self, svc: Services, client: Outbound, settings: OutboundSettings) -> None:
        self.svc = svc
        self.outbox = Outbox(svc, self.wake)
        poster = SignedPoster(svc.signing, client, svc.clock)
        # called with the delivery's kind each time one fails for good (metrics)
        self.failure_observers: list[Callable[[str], None]] = []
        self.lanes = [
            Lane(
                svc.store,
                svc.clock,
                "assignment",
                self._observed(partial(deliver_assignment, svc, poster, settings)),
                timeout=settings.assignment_timeout,
                limit=settings.max_concurrency,
            ),
            Lane(
                svc.store,
                svc.clock,
                "event",
                self._observed(partial(deliver_event, svc, poster, settings)),
                timeout=settings.event_timeout,
                limit=settings.max_concurrency,
            ),
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe = svc.bus.subscribe(self.outbox.notify)

    def _observed(
        self, deliver: Callable[[CallbackDelivery], Awaitable[str]]
    ) -> Callable[[CallbackDelivery], Awaitable[str]]:
        """`deliver`, telling the failure observers when a delivery fails for good."""

        async def send(delivery: CallbackDelivery) -> str:
            status = await deliver(delivery)
            if status == "failed":
                for observer in self.failure_observers:
                    observer(delivery.kind)
            return status

        return send

    def wake(self) -> None:
        for lane in self.lanes:
            lane.wake()

    async def start(self) -> None:
        """Resume: events not yet considered and deliveries not yet sent go out now."""
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

    def close(self) -> None:
        """Leave the bus (an engine built for one app instance only)."""
        self._unsubscribe()
