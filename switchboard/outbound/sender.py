"""The background sender: claims due deliveries and sends them, a bounded number at once.

One lane per kind, each with its own concurrency budget, so a slow event-callback
server can never hold up assignment callbacks. Nothing here runs inside a routing
transaction: routing only writes events; this loop reads the deliveries later.
What a delivery means (an event form, an assignment and its instruction) is the
pillar's `deliver` function; the lane only claims, sends and releases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from switchboard.kernel.ports import Clock, Store
from switchboard.outbound import ledger
from switchboard.outbound.records import CallbackDelivery

log = logging.getLogger(__name__)
# sends one delivery and records it; returns its new status (pending, delivered, failed)
Deliver = Callable[[CallbackDelivery], Awaitable[str]]
IDLE_POLL_SECONDS = 5.0  # also picks up deliveries written by other processes
CLAIM_MARGIN_MS = 30_000
ERROR_PAUSE_SECONDS = 1.0


class Lane:
    """Deliveries of one kind: claim what is due while there is room, send each in a task."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        kind: str,
        deliver: Deliver,
        *,
        timeout: float,
        limit: int,
    ) -> None:
        self.store = store
        self.clock = clock
        self.kind = kind
        self.deliver = deliver
        # a claim outlives every attempt of one round (primary + fallback) with a margin
        self.claim_ms = int(timeout * 2 * 1000) + CLAIM_MARGIN_MS
        self.limit = limit
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self._bell = asyncio.Event()
        self._bell.set()

    def wake(self) -> None:
        self._bell.set()

    async def run(self) -> None:
        while True:
            self._bell.clear()
            if not await self._claim_and_send():
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
            await self._sleep()

    async def _claim_and_send(self) -> bool:
        room = self.limit - len(self.in_flight)
        try:
            rows = await ledger.claim_due(self.store, self.clock, self.kind, room, self.claim_ms)
        except Exception:
            log.exception("claiming %s deliveries failed", self.kind)
            return False
        for row in rows:
            if row.sid in self.in_flight:
                continue  # its claim ran out while it is still being sent: let that finish
            task = asyncio.create_task(self._send(row), name=f"callback-{row.sid}")
            self.in_flight[row.sid] = task
        return True

    async def _send(self, row: CallbackDelivery) -> None:
        try:
            await self.deliver(row)
        except Exception:
            log.exception("delivering %s failed unexpectedly", row.sid)
        finally:
            self.in_flight.pop(row.sid, None)
            self.wake()

    async def _sleep(self) -> None:
        """Until woken, the next retry falls due, or the idle poll."""
        delay = IDLE_POLL_SECONDS
        if len(self.in_flight) < self.limit:
            due = await self._next_due()
            if due is not None:
                delay = min(delay, max(0.0, (due - self.clock.now_ms()) / 1000))
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
        # that arrives as the bell rings, and the lane then outlived its own stop
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._bell.wait()

    async def _next_due(self) -> int | None:
        try:
            return await ledger.next_due(self.store, self.clock, self.kind)
        except Exception:
            log.exception("reading the next %s delivery failed", self.kind)
            return None

    async def stop(self) -> None:
        """Cancel sends in flight and give their claims back, so a restart resends at once."""
        claimed, tasks = list(self.in_flight), list(self.in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ledger.release(self.store, claimed)
        self.in_flight.clear()
