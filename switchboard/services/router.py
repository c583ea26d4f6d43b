"""The routing scheduler: runs passes when poked and when a workspace's next timer is due.

Pokes are coalesced: while a workspace's pass runs, further pokes only mark it
for one more pass. Timers live in the store (deadline columns), so after a
restart :meth:`Router.start` pokes every workspace with waiting work and the
first pass fires whatever fell due while the process was down.

With several processes (PostgreSQL), only the owner of a workspace's lease runs
its passes (see :mod:`switchboard.store.coordination`); other processes forward
their pokes to it, and a sweep every second takes over the workspaces whose owner
died.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import select, union

from switchboard.domain.clock import now_ms
from switchboard.services.context import Services
from switchboard.services.routing import run_pass
from switchboard.store import tables as t
from switchboard.store.coordination import Coordinator, LocalCoordinator

log = logging.getLogger(__name__)
RETRY_AFTER_ERROR_MS = 1000
SWEEP_SECONDS = 1.0

PassObserver = Callable[[str, float], None]


class Router:
    def __init__(self, svc: Services, coordinator: Coordinator | None = None) -> None:
        self.svc = svc
        self.coordinator: Coordinator = coordinator or LocalCoordinator()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        # the earliest timer each owned workspace had after its last pass (None: none)
        self._deadlines: dict[str, int | None] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self.passes = 0
        # called with (workspace_sid, seconds) after each pass this process ran
        self.observers: list[PassObserver] = []

    def poke(self, workspace_sid: str) -> None:
        """A change committed here: route locally (if owner) and tell the other processes."""
        self.poke_local(workspace_sid)
        if self.coordinator.distributed and not self._closed:
            self._spawn(self.coordinator.announce_poke(workspace_sid))

    def poke_local(self, workspace_sid: str) -> None:
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

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        try:
            if not await self.coordinator.owns(workspace_sid):
                self._deadlines.pop(workspace_sid, None)  # the owner may change timers
                return None  # the owner runs it; our timers would only duplicate its work
            self.passes += 1
            started = asyncio.get_running_loop().time()
            known = self._deadlines.get(workspace_sid, 0)
            due = known is not None and known <= now_ms()
            deadline = await run_pass(self.svc, workspace_sid, timers_due=due)
            self._deadlines[workspace_sid] = deadline
            elapsed = asyncio.get_running_loop().time() - started
            for observer in self.observers:
                observer(workspace_sid, elapsed)
            return deadline
        except Exception:  # a failing pass is retried, the loop must survive
            log.exception("routing pass failed for %s; retrying", workspace_sid)
            self._deadlines.pop(workspace_sid, None)
            return now_ms() + RETRY_AFTER_ERROR_MS

    def _schedule(self, workspace_sid: str, deadline: int | None) -> None:
        handle = self._timers.pop(workspace_sid, None)
        if handle is not None:
            handle.cancel()
        if deadline is None or self._closed:
            return
        delay = max(0.0, (deadline - now_ms()) / 1000) + 0.005
        loop = asyncio.get_running_loop()
        self._timers[workspace_sid] = loop.call_later(delay, self.poke_local, workspace_sid)

    async def _waiting_workspaces(self) -> list[str]:
        waiting = union(
            select(t.Task.workspace_sid).where(
                t.Task.assignment_status.in_(("pending", "reserved"))
            ),
            select(t.Reservation.workspace_sid).where(t.Reservation.status == "pending"),
        )
        async with self.svc.store.read() as session:
            return [row[0] for row in (await session.execute(waiting)).all()]

    async def start(self) -> None:
        """Resume: every workspace with waiting tasks or pending reservations gets a pass."""
        await self.coordinator.start(self.poke_local, self.svc.bus.publish)
        for workspace_sid in await self._waiting_workspaces():
            self.poke_local(workspace_sid)
        if self.coordinator.distributed:
            self._spawn(self._sweep())

    async def _sweep(self) -> None:
        """Take over workspaces whose owner is gone (their lease became free)."""
        while not self._closed:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                owned = self.coordinator.owned()
                for workspace_sid in await self._waiting_workspaces():
                    if workspace_sid not in owned:
                        self.poke_local(workspace_sid)
            except Exception:  # keep sweeping through database hiccups
                log.exception("ownership sweep failed")

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no pass runs or is queued (tests and graceful shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        self._closed = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._background):
            task.cancel()
        running = [*self._running.values(), *self._background]
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        await self.coordinator.stop()
