"""The routing scheduler: runs passes when the doorbell rings and when a timer falls due.

Rings are coalesced: while a workspace's pass runs, further rings only mark it
for one more pass. A ring whose writer claims it can offer nothing (`Unit.claim`:
an accept, a completion while no work waits, a new task while no worker of its queue
has room) runs no pass; its changes wait for the next one. Timers live in the store
(deadline fields), so after a restart :meth:`Dispatcher.start` rings for every
workspace with waiting work and the first pass fires whatever fell due while the
process was down. Timers are set on the injected clock, so tests move time forward
instead of sleeping.

With several processes (PostgreSQL), only the owner of a workspace runs its
passes (see :mod:`switchboard.store.ownership`); other processes forward their
rings to it, and a sweep every second takes over the workspaces whose owner died. The
sweep asks for a workspace only when it found it waiting and routed elsewhere (or by no
one) on its previous round as well: the process whose write made it wait claims it
right after its commit, and a sweep that read that commit first would otherwise win a
workspace whose API traffic lands elsewhere, and forward every change of it over NOTIFY.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from switchboard.distribution.domain.records import Reservation, Task
from switchboard.distribution.engine.resident import CONFIG_KINDS, ROUTING_KINDS, WorkspaceState
from switchboard.distribution.engine.routing import run_pass
from switchboard.distribution.work.context import Services
from switchboard.kernel.changes import OPENS_NOTHING, OPENS_ROOM, OPENS_WORK, Changes, NewWork
from switchboard.kernel.clock import Timer
from switchboard.kernel.criteria import eq, isin
from switchboard.store.ownership import Coordinator, LocalCoordinator

log = logging.getLogger(__name__)
# the workspace whose pass is running in this task: its own commit needs no ring
_IN_PASS: contextvars.ContextVar[str | None] = contextvars.ContextVar("in_pass", default=None)
KIND_NAMES: dict[type[Any], str] = {kind: kind.__name__ for kind in ROUTING_KINDS}
KINDS_BY_NAME = {name: kind for kind, name in KIND_NAMES.items()}
# NOTIFY payloads are capped at 8000 bytes
MAX_NOTIFY_DETAIL = 7000
RETRY_AFTER_ERROR_MS = 1000
SWEEP_SECONDS = 1.0

PassObserver = Callable[[str, float], None]


class Dispatcher:
    """Connects itself to the services' doorbell: every committed change rings it."""

    def __init__(self, svc: Services, coordinator: Coordinator | None = None) -> None:
        self.svc = svc
        self.coordinator: Coordinator = coordinator or LocalCoordinator()
        self._running: dict[str, asyncio.Task[None]] = {}
        # the picture of each workspace this process routes, and what changed since
        self._states: dict[str, WorkspaceState] = {}
        self._dirty: dict[str, Changes] = {}
        self._again: set[str] = set()
        self._timers: dict[str, Timer] = {}
        self._timer_at: dict[str, int] = {}  # the instant each timer is set for
        # the earliest timer each owned workspace had after its last pass (None: none)
        self._deadlines: dict[str, int | None] = {}
        # workspaces whose unread changes hold new tasks put off (`OPENS_WORK`) or workers
        # who may have gained room (`OPENS_ROOM`): each voids the other's skip
        self._put_off: set[str] = set()
        self._unread_room: set[str] = set()
        # new work committed while a pass of its workspace ran (see `_after_pass`)
        self._held: dict[str, list[tuple[Changes, NewWork]]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self.passes = 0
        # called with (workspace_sid, seconds) after each pass this process ran
        self.observers: list[PassObserver] = []
        svc.doorbell.connect(self.poke)

    def poke(self, workspace_sid: str, changes: Changes | None = None) -> None:
        """A change committed here: route locally (if owner) and tell the other processes
        which records changed (ids only: the owner reads them back)."""
        if _IN_PASS.get() == workspace_sid:
            return  # the pass's own commit: its picture is up to date already
        if changes is not None:
            changes = changes.only(ROUTING_KINDS)
            if not changes:
                return  # events, deliveries...: nothing routing looks at
        if changes is not None and self._new_work_meets_a_pass(workspace_sid, changes):
            pass  # the running pass's outcome says whether it needs one more
        elif changes is not None and self._offers_nothing(workspace_sid, changes):
            # kept for the next pass, which reads them back before it plans
            self._dirty.setdefault(workspace_sid, Changes()).merge(changes)
        else:
            self.poke_local(workspace_sid, changes)
        if self.coordinator.distributed and not self._closed:
            detail = None
            if changes is not None:
                said = changes.only(ROUTING_KINDS).to_json(KIND_NAMES)
                detail = json.dumps(said, separators=(",", ":")) if said is not None else None
            if detail is not None and len(detail) > MAX_NOTIFY_DETAIL:
                detail = None  # too long to say: the owner rebuilds instead
            # configuration (or "unknown") makes every process's cached copies stale;
            # tasks, workers and reservations concern the owner alone
            everyone = changes is None or changes.unknown or bool(changes.kinds() & CONFIG_KINDS)
            # queued with the commit's events: one round trip for both
            self.coordinator.queue_poke(workspace_sid, detail, everyone)

    def _offers_nothing(self, workspace_sid: str, changes: Changes) -> bool:
        """Whether the writer's claim says a pass could offer nothing after these
        changes: an accept that takes no one's slot back, a completion while no work
        waits that a freed worker could be offered, or a new task while no worker of its
        queue has room (`Unit.claim`)."""
        claim = changes.claim
        if claim is None or not claim.holds_for(changes):
            return False
        if claim.opens == OPENS_NOTHING:
            return True
        if workspace_sid in self._running:
            return False  # its picture may not hold yet the work that waits for room
        state = self._states.get(workspace_sid)
        if state is None:
            return False
        if claim.opens == OPENS_ROOM:
            if workspace_sid in self._put_off or state.waits_for_room():
                return False
            self._unread_room.add(workspace_sid)
            return True
        work = claim.work
        if claim.opens != OPENS_WORK or work is None or not self._no_room(workspace_sid, [work]):
            return False
        self._put_off_until(workspace_sid, work.due)
        return True

    def _new_work_meets_a_pass(self, workspace_sid: str, changes: Changes) -> bool:
        """A new task (`OPENS_WORK`) committed while a pass of its workspace runs: held
        until the pass ends, when the picture tells whether a worker has room for it."""
        claim = changes.claim
        if (
            workspace_sid not in self._running
            or claim is None
            or claim.opens != OPENS_WORK
            or claim.work is None
            or not claim.holds_for(changes)
        ):
            return False
        self._held.setdefault(workspace_sid, []).append((changes, claim.work))
        return True

    def _no_room(self, workspace_sid: str, work: list[NewWork]) -> bool:
        """Whether the picture says no worker has room for any of `work` (and has read
        every change that could have given some)."""
        state = self._states.get(workspace_sid)
        return (
            state is not None
            and workspace_sid not in self._unread_room
            and not any(state.has_room(w.queue, w.channel) for w in work)
        )

    def _put_off_until(self, workspace_sid: str, due: int | None) -> None:
        """Keep the new work's pass for the next change that needs one; its pass comes
        by `due` (its first deadline) at the latest."""
        self._put_off.add(workspace_sid)
        if due is not None:
            timer = self._timer_at.get(workspace_sid)
            if timer is None or due < timer:
                self._schedule(workspace_sid, due)

    def _after_pass(self, workspace_sid: str) -> None:
        """The new work held while the pass ran: one more pass if a worker may have room
        for it (or one runs anyway), else put off like new work that meets no pass."""
        held = self._held.pop(workspace_sid, None)
        state = self._states.get(workspace_sid)
        if held and state is not None:  # a pass that read everything may have seen it
            held = [(c, w) for c, w in held if not all(k[0] in state.waiting for k in c.of(Task))]
        if not held:
            return
        dirty = self._dirty.setdefault(workspace_sid, Changes())
        for changes, _work in held:
            dirty.merge(changes)
        work = [w for _changes, w in held]
        if workspace_sid in self._again or not self._no_room(workspace_sid, work):
            self._again.add(workspace_sid)
            return
        dues = [w.due for w in work if w.due is not None]
        self._put_off_until(workspace_sid, min(dues, default=None))

    def picture(self, workspace_sid: str) -> WorkspaceState | None:
        """The in-memory picture this process keeps of a workspace it routes (if any), as
        of its last pass: changes that could offer nothing wait for the next one (see
        `settle`)."""
        return self._states.get(workspace_sid)

    async def settle(self, workspace_sid: str) -> WorkspaceState | None:
        """The picture with every change so far read back (tests: a pass, if changes
        wait for one)."""
        await self.wait_idle()  # a running pass may leave work put off
        if self._dirty.get(workspace_sid):
            self.poke_local(workspace_sid, Changes())
            await self.wait_idle()
        return self._states.get(workspace_sid)

    def poke_remote(self, workspace_sid: str, detail: str | None) -> None:
        """Another process changed the workspace (`detail`: which records, as JSON)."""
        data = json.loads(detail) if detail else None
        changes = Changes.from_json(data, KINDS_BY_NAME)
        self.svc.store.forget(changes)  # copies of configuration it changed are stale here
        self.poke_local(workspace_sid, changes)

    def poke_local(self, workspace_sid: str, changes: Changes | None = None) -> None:
        """Ask for a pass of this workspace soon (never blocks); `changes` None means
        "unknown": the pass rebuilds its picture from the store."""
        if self._closed:
            return
        self._dirty.setdefault(workspace_sid, Changes()).merge(changes)
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
                self._after_pass(workspace_sid)
                if workspace_sid not in self._again or self._closed:
                    break
        finally:
            del self._running[workspace_sid]
            if not self._running:
                self._idle.set()

    async def _pass(self, workspace_sid: str) -> int | None:
        clock = self.svc.clock
        try:
            changes = self._dirty.pop(workspace_sid, Changes())
            self._put_off.discard(workspace_sid)
            self._unread_room.discard(workspace_sid)
            if not await self.coordinator.owns(workspace_sid):
                self._deadlines.pop(workspace_sid, None)  # the owner may change timers
                self._states.pop(workspace_sid, None)
                return None  # the owner runs it; our timers would only duplicate its work
            self.passes += 1
            started = clock.monotonic()
            token = _IN_PASS.set(workspace_sid)
            try:
                deadline, state = await run_pass(
                    self.svc, workspace_sid, self._states.get(workspace_sid), changes
                )
            finally:
                _IN_PASS.reset(token)
            if state is None:
                self._states.pop(workspace_sid, None)
            else:
                self._states[workspace_sid] = state
            self._deadlines[workspace_sid] = deadline
            elapsed = clock.monotonic() - started
            for observer in self.observers:
                observer(workspace_sid, elapsed)
            return deadline
        except Exception:  # a failing pass is retried, the loop must survive
            log.exception("routing pass failed for %s; retrying", workspace_sid)
            self._deadlines.pop(workspace_sid, None)
            self._states.pop(workspace_sid, None)  # rebuilt from the store next time
            return clock.now_ms() + RETRY_AFTER_ERROR_MS

    def _schedule(self, workspace_sid: str, deadline: int | None) -> None:
        timer = self._timers.pop(workspace_sid, None)
        self._timer_at.pop(workspace_sid, None)
        if timer is not None:
            timer.cancel()
        if deadline is None or self._closed:
            return
        self._timer_at[workspace_sid] = deadline
        # a few ms late, so the instant has certainly passed when the pass looks
        self._timers[workspace_sid] = self.svc.clock.call_at(
            deadline + 5, lambda: self.poke_local(workspace_sid, Changes())
        )

    async def _waiting_workspaces(self) -> list[str]:
        async with self.svc.store.read() as unit:
            tasks = await unit.values(
                Task,
                "workspace_sid",
                isin("assignment_status", ("pending", "reserved")),
                distinct=True,
            )
            offers = await unit.values(
                Reservation, "workspace_sid", eq("status", "pending"), distinct=True
            )
        return sorted({*tasks, *offers})

    async def start(self) -> None:
        """Resume: every workspace with waiting tasks or pending reservations gets a pass."""
        await self.coordinator.start(self.poke_remote, self.svc.bus.publish)
        for workspace_sid in await self._waiting_workspaces():
            self.poke_local(workspace_sid, Changes())
        if self.coordinator.distributed:
            self._spawn(self._sweep())

    async def _sweep(self) -> None:
        """Take over workspaces whose owner is gone (their ownership lock became free),
        once they were waiting and not routed here for a whole round (see above)."""
        seen: set[str] = set()
        while not self._closed:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                owned = self.coordinator.owned()
                waiting = {ws for ws in await self._waiting_workspaces() if ws not in owned}
                for workspace_sid in sorted(waiting & seen):
                    self.poke_local(workspace_sid, Changes())
                seen = waiting
            except Exception:  # keep sweeping through database hiccups
                log.exception("ownership sweep failed")

    async def wait_idle(self, timeout: float = 60.0) -> None:
        """Until no pass runs or is queued (tests); the timeout is a safety net that a
        loaded 2-core CI machine on PostgreSQL went past at 10 s."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        self._closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._background):
            task.cancel()
        running = [*self._running.values(), *self._background]
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        await self.coordinator.stop()
