"""The background sender: claims due deliveries and sends them, a bounded number at once.

One lane per kind, each with its own concurrency budget, so a slow event-callback
server can never hold up assignment callbacks. Nothing here runs inside a routing
transaction: routing only writes events; this loop reads the deliveries later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from switchboard.callbacks import ledger
from switchboard.callbacks.assignment import deliver_assignment
from switchboard.callbacks.events import deliver_event
from switchboard.callbacks.poster import SignedPoster
from switchboard.domain.clock import now_ms
from switchboard.store import tables as t

log = logging.getLogger(__name__)
Deliver = Callable[[SignedPoster, t.CallbackDelivery], Awaitable[None]]
IDLE_POLL_SECONDS = 5.0  # also picks up deliveries written by other processes
LEASE_MARGIN_MS = 30_000
ERROR_PAUSE_SECONDS = 1.0


class Lane:
    """Deliveries of one kind: claim what is due while there is room, send each in a task."""

    def __init__(self, poster: SignedPoster, kind: str, deliver: Deliver, timeout: float) -> None:
        self.poster = poster
        self.kind = kind
        self.deliver = deliver
        # a claim outlives every attempt of one round (primary + fallback) with a margin
        self.lease_ms = int(timeout * 2 * 1000) + LEASE_MARGIN_MS
        self.limit = poster.svc.outbound.max_concurrency
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
            rows = await ledger.claim_due(self.poster.svc, self.kind, room, self.lease_ms)
        except Exception:
            log.exception("claiming %s deliveries failed", self.kind)
            return False
        for row in rows:
            task = asyncio.create_task(self._send(row), name=f"callback-{row.sid}")
            self.in_flight[row.sid] = task
        return True

    async def _send(self, row: t.CallbackDelivery) -> None:
        try:
            await self.deliver(self.poster, row)
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
                delay = min(delay, max(0.0, (due - now_ms()) / 1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._bell.wait(), delay)

    async def _next_due(self) -> int | None:
        try:
            return await ledger.next_due(self.poster.svc, self.kind)
        except Exception:
            log.exception("reading the next %s delivery failed", self.kind)
            return None

    async def stop(self) -> None:
        """Cancel sends in flight and give their claims back, so a restart resends at once."""
        claimed, tasks = list(self.in_flight), list(self.in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ledger.release(self.poster.svc, claimed)
        self.in_flight.clear()


def lanes(poster: SignedPoster) -> list[Lane]:
    settings = poster.svc.outbound
    return [
        Lane(poster, "assignment", deliver_assignment, settings.assignment_timeout),
        Lane(poster, "event", deliver_event, settings.event_timeout),
    ]
