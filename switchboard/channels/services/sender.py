"""The background sender of replies: one ledger lane beside the server."""

from __future__ import annotations

import asyncio
import contextlib

from switchboard.channels.services import outbound
from switchboard.channels.services.context import Channels
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.sender import Lane
from switchboard.outbound.settings import OutboundSettings


class ReplySender:
    """Claims queued replies and tries their provider, a bounded number at once."""

    def __init__(self, svc: Channels, settings: OutboundSettings) -> None:
        self.svc = svc
        self.settings = settings
        self.lane = Lane(
            svc.store,
            svc.clock,
            outbound.KIND,
            self._deliver,
            timeout=settings.media_timeout,
            limit=settings.max_concurrency,
        )
        self._task: asyncio.Task[None] | None = None

    async def _deliver(self, row: CallbackDelivery) -> str:
        return (await outbound.deliver(self.svc, self.settings, row)).status

    async def start(self) -> None:
        self.svc.wake = self.lane.wake
        self._task = asyncio.create_task(self.lane.run(), name="channel-replies")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.lane.stop()
