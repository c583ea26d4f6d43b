"""The routing scheduler: runs passes when poked and when a workspace's next timer is due.

Pokes are coalesced: while a workspace's pass runs, further pokes only mark it
for one more pass. Timers live in the store (deadline columns), so after a
restart :meth:`Router.start` pokes every workspace with waiting work and the
first pass fires whatever fell due while the process was down.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, union

from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.services.routing import run_pass
from switchboard.store import tables as t

log = logging.getLogger(__name__)
RETRY_AFTER_ERROR_MS = 1000


class Router:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self.passes = 0

    def poke(self, workspace_sid: str) -> None:
        """Ask for a pass of this workspace soon (never blocks)."""
        if self._closed:
            return
        if workspace_sid in self._running:
            self._again.add(workspace_sid)
            return
        self._idle.clear()
        self._running[workspace_sid] = asyncio.get_running_loop().create_task(
            self._run(workspace_sid), name=f"route-{workspace_sid}"
        )

    async def _run(self, workspace_sid: str) -> None:
        try:
            while True:
                self._again.discard(workspace_sid)
                self._schedule(workspace_sid, await self._pass(workspace_sid))
                if workspace_sid not in self._again or self._closed:
                    break
        finally:
            del self._running[workspace_sid]
            if not self._running:
                self._idle.set()

    async def _pass(self, workspace_sid: str) -> int | None:
        self.passes += 1
        try:
            return await run_pass(self.svc, workspace_sid)
        except Exception:
            log.exception("routing pass failed for %s; retrying", workspace_sid)
            return now_ms() + RETRY_AFTER_ERROR_MS

    def _schedule(self, workspace_sid: str, deadline: int | None) -> None:
        handle = self._timers.pop(workspace_sid, None)
        if handle is not None:
            handle.cancel()
        if deadline is None or self._closed:
            return
        delay = max(0.0, (deadline - now_ms()) / 1000) + 0.005
        loop = asyncio.get_running_loop()
        self._timers[workspace_sid] = loop.call_later(delay, self.poke, workspace_sid)

    async def start(self) -> None:
        """Resume: every workspace with waiting tasks or pending reservations gets a pass."""
        waiting = union(
            select(t.Task.workspace_sid).where(
                t.Task.assignment_status.in_(("pending", "reserved"))
            ),
            select(t.Reservation.workspace_sid).where(t.Reservation.status == "pending"),
        )
        async with self.svc.store.read() as session:
            for (workspace_sid,) in (await session.execute(waiting)).all():
                self.poke(workspace_sid)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no pass runs or is queued (tests and graceful shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        self._closed = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        running = list(self._running.values())
        if running:
            await asyncio.gather(*running, return_exceptions=True)
