"""Random histories through the real services: no illegal state, every change told.

Hypothesis draws sequences of what agents, customers and the clock do (new tasks,
workers going on and off line, accepting, rejecting, letting offers time out,
canceling, wrapping up, completing, deleting). Each step runs through the same
services as the REST API, on the memory store with a fake clock, inside
:func:`verify_action`; after each step the lifecycle invariants must hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain import lifecycle as lc
from switchboard.distribution.domain.records import Activity, Reservation, Task, Workspace
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.engine.resident import WorkspaceState
from switchboard.distribution.work import reservations, tasks, workers
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import SwitchboardError
from switchboard.kernel.ports import Store
from switchboard.runtime import build_core
from switchboard.settings import Settings
from switchboard.store.memory import MemoryStore
from switchboard.store.sql import SqlStore
from switchboard.tenancy.sealing import Sealer
from tests.conftest import SECRET_KEY
from tests.verify import verify_action

WORKERS = 3
# how often each task status was seen: the histories must reach every one of them
REACHED: Counter[str] = Counter()
Step = tuple[str, int]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "task",
                "available",
                "offline",
                "accept",
                "reject",
                "time out",
                "cancel",
                "wrap up",
                "complete",
                "return",
                "delete",
            ]
        ),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=25,
)


class World:
    """One workspace with a two-offer queue, three workers, and the services around it."""

    def __init__(self, store: Store | None = None, strategy: str | None = "fewest_tasks") -> None:
        self.strategy = strategy
        self.clock = FakeClock(tick_ms=1)
        core = build_core(
            Settings(database_url="memory://"),
            store=store or MemoryStore(SCHEMA),
            clock=self.clock,
            sealer=Sealer(SECRET_KEY),
        )
        self.core, self.svc = core, core.services
        self.dispatcher = Dispatcher(self.svc)
        self.account = self.ws = self.workflow = ""
        self.workers: list[str] = []
        self.activities: dict[str, str] = {}

    async def build(self) -> None:
        account, _token = await self.core.accounts.create("props")
        self.account = account.sid
        workspace = await create_workspace(self.svc, self.account, WorkspaceCreate("P"))
        self.ws = workspace.sid
        async with self.svc.store.read() as unit:
            rows = await unit.select(Activity, eq("workspace_sid", self.ws))
        self.activities = {a.friendly_name: a.sid for a in rows}
        queue = await create_task_queue(
            self.svc, self.account, self.ws, TaskQueueFields("All", "1==1", max_reserved_workers=2)
        )
        # by default a strategy that compares today's work, and rests, so the picture
        # keeps those up to date too; without one, the picture counts slots in use itself
        rests = {"wrap_up_seconds": 3, "reject_delay_seconds": 5, "no_answer_delay_seconds": 5}
        target: dict[str, object] = {"queue": queue.sid, **rests, "max_no_answer": 2}
        if self.strategy is not None:
            target["strategy"] = self.strategy
        routing = {"task_routing": {"default_filter": target}}
        fields = WorkflowFields("wf", json.dumps(routing), task_reservation_timeout=30)
        self.workflow = (await create_workflow(self.svc, self.account, self.ws, fields)).sid
        for n in range(WORKERS):
            params = workers.WorkerCreate(f"w{n}", self.activities["Available"])
            self.workers.append(
                (await workers.create_worker(self.svc, self.account, self.ws, params)).sid
            )

    async def settle(self) -> None:
        await self.dispatcher.wait_idle()

    async def records(self) -> tuple[list[Task], list[Reservation]]:
        async with self.svc.store.read() as unit:
            found = await unit.select(Task, eq("workspace_sid", self.ws))
            offers = await unit.select(Reservation, eq("workspace_sid", self.ws))
        return found, offers

    async def pick(self, statuses: tuple[str, ...], n: int) -> Reservation | None:
        _tasks, offers = await self.records()
        chosen = [r for r in offers if r.status in statuses]
        return chosen[n % len(chosen)] if chosen else None

    async def pick_task(self, likely: tuple[str, ...], n: int) -> Task | None:
        """A task the action is likely to apply to (even `n`), else any task (odd `n`)."""
        found, _offers = await self.records()
        if n % 2 == 0:
            found = [t for t in found if t.assignment_status in likely] or found
        return found[n // 2 % len(found)] if found else None

    async def step(self, kind: str, n: int) -> None:
        acc, ws, svc = self.account, self.ws, self.svc
        if kind == "task":
            await tasks.create_task(svc, acc, ws, tasks.TaskCreate(workflow_sid=self.workflow))
        elif kind in ("available", "offline"):
            activity = self.activities["Available" if kind == "available" else "Offline"]
            update = workers.WorkerUpdate(activity_sid=activity, reject_pending_reservations=True)
            await workers.update_worker(svc, acc, ws, self.workers[n % WORKERS], update)
        elif kind == "time out":
            self.clock.advance(31)
        elif kind in ("accept", "reject"):
            offer = await self.pick(("pending",), n)
            if offer is not None:
                status = "accepted" if kind == "accept" else "rejected"
                answer = reservations.ReservationUpdate(reservation_status=status)
                await reservations.update_reservation(svc, acc, ws, offer.sid, answer)
        else:
            await self.task_step(kind, n)

    async def task_step(self, kind: str, n: int) -> None:
        likely = {
            "cancel": ("pending", "reserved"),
            "wrap up": ("assigned",),
            "complete": ("assigned", "wrapping"),
            "return": ("assigned",),
        }.get(kind, lc.TASK_STATUSES)
        task = await self.pick_task(likely, n)
        if task is None:
            return
        acc, ws, svc = self.account, self.ws, self.svc
        if kind == "delete":
            await tasks.delete_task(svc, acc, ws, task.sid, None)
            return
        status = {
            "cancel": "canceled",
            "wrap up": "wrapping",
            "complete": "completed",
            "return": "pending",
        }[kind]
        await tasks.update_task(svc, acc, ws, task.sid, tasks.TaskUpdate(assignment_status=status))


def _consistent(status: str, offers: Counter[str]) -> bool:
    """A task's status against its reservations' statuses."""
    assigned = offers["accepted"] + offers["wrapping"] + offers["completed"]
    live = offers["accepted"] + offers["wrapping"]
    if status in ("pending", "canceled"):
        return offers["pending"] == 0 and assigned == 0
    if status == "reserved":
        return offers["pending"] >= 1 and assigned == 0
    if status in ("assigned", "wrapping"):
        held = offers["accepted" if status == "assigned" else "wrapping"]
        return held == 1 and live == 1 and offers["pending"] == 0
    return status == "completed" and live == 0 and offers["pending"] == 0


def assert_lawful(found: list[Task], offers: list[Reservation]) -> None:
    """What no history may ever produce."""
    by_task: dict[str, list[Reservation]] = {t.sid: [] for t in found}
    for offer in offers:
        by_task[offer.task_sid].append(offer)
        assert offer.status in lc.RESERVATION_STATUSES
    for task in found:
        statuses = Counter(r.status for r in by_task[task.sid])
        assigned = statuses["accepted"] + statuses["wrapping"] + statuses["completed"]
        assert assigned <= 1, f"{task.sid} was assigned twice: {statuses}"
        assert _consistent(task.assignment_status, statuses), (task.assignment_status, statuses)
        REACHED[task.assignment_status] += 1
    busy = Counter(r.worker_sid for r in offers if r.status in lc.LIVE_RESERVATION_STATUSES)
    assert max(busy.values(), default=0) <= 1, f"a worker holds more than its capacity: {busy}"


def assert_every_member_with_room_is_ready(kept: WorkspaceState) -> None:
    """A pass reads a queue's ready members only: none with a free slot may be missing."""
    for queue_sid, members in kept.members.items():
        ready = kept.ready[queue_sid]
        assert set(ready) <= set(members), queue_sid
        for sid, worker in members.items():
            if any(worker.free_on(channel) > 0 for channel in worker.channels):
                assert ready.get(sid) is worker, (queue_sid, sid)
    # and a task's pool reads them longest idle first from the kept order
    assert kept.ready_in_order()


def assert_counts_are_the_members(kept: WorkspaceState) -> None:
    """skip_if's figures and the no-agent watch read kept counts: they must be what a
    count over every member of the queue gives."""
    for queue_sid, members in kept.members.items():
        by_activity = Counter(w.activity_sid for w in members.values())
        assert kept.by_activity[queue_sid] == by_activity, queue_sid
        channels = {channel for w in members.values() for channel in w.channels}
        for channel in channels:
            available = sum(1 for w in members.values() if w.free_on(channel) > 0)
            expected = {
                **by_activity,
                "available": available,
                "unavailable": len(members) - available,
            }
            assert kept.skip_counts(queue_sid, channel) == expected, (queue_sid, channel)


async def assert_nothing_is_left_to_offer(world: World) -> None:
    """Routing is idle: a plan over everything, loaded from the store, offers nothing.
    A change that could lead to an offer never waits for a later one (the passes left
    out for changes whose writer claims they offer nothing, `Unit.claim`)."""
    now = world.clock.now_ms()
    async with world.svc.store.read() as unit:
        workspace = await unit.get(Workspace, world.ws)
        assert workspace is not None
        fresh = WorkspaceState(world.ws)
        await fresh.load(unit, workspace, now)
    assert fresh.plan(now) == [], "an offer was left for a later change"


async def assert_picture_is_the_store(world: World) -> None:
    """The routing owner's picture, kept up to date change by change, equals one
    rebuilt from the store now."""
    kept = await world.dispatcher.settle(world.ws)
    assert kept is not None
    assert_every_member_with_room_is_ready(kept)
    assert_counts_are_the_members(kept)
    async with world.svc.store.read() as unit:
        workspace = await unit.get(Workspace, world.ws)
        assert workspace is not None
        fresh = WorkspaceState(world.ws)
        await fresh.load(unit, workspace, world.clock.now_ms())
    assert kept.describe() == fresh.describe()


async def _run(
    steps: list[Step],
    store: Store | None = None,
    strategy: str | None = "fewest_tasks",
    picture: bool = True,
) -> None:
    """`picture` False: check only that nothing is left to offer (comparing the kept
    picture runs the pass that changes left out wait for, which would hide a change
    left out wrongly)."""
    world = World(store, strategy)
    try:
        await world.build()
        for kind, n in steps:

            async def act(kind: str = kind, n: int = n) -> None:
                # a refused change must change nothing (verified all the same)
                with contextlib.suppress(SwitchboardError):
                    await world.step(kind, n)

            await verify_action(world.svc, world.ws, act, world.settle)
            assert_lawful(*await world.records())
            await assert_nothing_is_left_to_offer(world)
            if picture:
                await assert_picture_is_the_store(world)
    finally:
        await world.dispatcher.stop()
        await world.core.outbound.close()
        await world.svc.store.dispose()


# one known history per final status, so the exploration can never be vacuous by bad luck
@example([("task", 0), ("cancel", 0)])
@example([("offline", 0), ("offline", 1), ("offline", 2), ("task", 0), ("available", 1)])
@example([("available", 0), ("task", 0), ("accept", 0), ("wrap up", 0), ("complete", 0)])
@example([("task", 0), ("available", 1), ("reject", 0), ("delete", 0)])
@example([("task", 0), ("accept", 0), ("return", 0)])  # held, then waiting again
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def _histories(steps: list[Step]) -> None:
    asyncio.run(_run(steps))


def test_random_histories_stay_lawful_and_are_told_in_full() -> None:
    REACHED.clear()
    _histories()
    assert set(REACHED) == set(lc.TASK_STATUSES), REACHED  # not a vacuous exploration


@example([("available", 0), ("task", 0), ("accept", 0), ("wrap up", 0), ("complete", 0)])
# an accept rescinds the other offer: that worker takes the task that waits
@example([("offline", 2), ("task", 0), ("task", 1), ("accept", 0)])
# a completion while a task waits (once the accepted offer's timer is past): the
# worker takes it when its wrap-up rest ends
@example(
    [
        *[("offline", 1), ("offline", 2), ("task", 0), ("accept", 0), ("time out", 0)],
        *[("task", 1), ("complete", 0), ("time out", 0)],
    ]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_no_offer_waits_for_a_later_change(steps: list[Step]) -> None:
    """Passes are left out only for changes that can offer nothing: after every step,
    with no pass but the dispatcher's own, a plan over everything offers nothing more."""
    asyncio.run(_run(steps, picture=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_on_sqlite_the_kept_picture_is_the_store_after_random_histories(steps: list[Step]) -> None:
    """SQL units report bulk writes and cascades by criteria, not keys: same outcome."""
    with tempfile.TemporaryDirectory() as folder:

        async def run() -> None:
            store = SqlStore(f"sqlite+aiosqlite:///{folder}/p.db", SCHEMA)
            await upgrade(store)
            await _run(steps, store)

        asyncio.run(run())


@example([("task", 0), ("accept", 0), ("return", 0)])
@example([("task", 0), ("accept", 0), ("wrap up", 0), ("complete", 0), ("task", 1)])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_without_a_daily_strategy_the_kept_picture_counts_slots_as_the_store_does(
    steps: list[Step],
) -> None:
    """Longest idle (the default) reads no work of the day: the picture keeps a worker's
    channels and counts its slots in use from the live reservations it holds."""
    asyncio.run(_run(steps, strategy=None))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_on_sqlite_without_a_daily_strategy_the_kept_picture_is_the_store(
    steps: list[Step],
) -> None:
    with tempfile.TemporaryDirectory() as folder:

        async def run() -> None:
            store = SqlStore(f"sqlite+aiosqlite:///{folder}/p.db", SCHEMA)
            await upgrade(store)
            await _run(steps, store, strategy=None)

        asyncio.run(run())
