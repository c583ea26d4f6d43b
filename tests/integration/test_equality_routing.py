"""Routing by a target that compares a worker attribute with `==` or `HAS` reads only
the matching group of ready workers, and misses nobody.

The routing owner keeps each queue's members grouped by the attribute a target
compares (`worker.lang == task.lang`, or `task.lang IN worker.langs`: a worker in the
group of each language of its list), built when a pass first asks and then kept up
to date with every worker change. Tasks of even number take the list target.
Hypothesis draws histories through the real services (tasks in a language, workers
changing language, going on and off line, accepting and completing); after each
step the kept groups must equal groups built afresh from the queue's members, the
picture must equal one loaded from the store, and a pass that scans every member
must find nothing the grouped passes left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain.equality_index import EqualityIndex
from switchboard.distribution.domain.records import Activity, Reservation, Task, Workspace
from switchboard.distribution.engine.resident import WorkspaceState
from switchboard.distribution.work import reservations, tasks, workers
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import SwitchboardError
from tests.integration import test_lifecycle_properties as lifecycle

WORKERS = 4
# what a worker or a task may say its language is: equal values in other types
# (1 and 1.0), values that must not be equal (true and 1), and nothing at all
LANGS: tuple[object, ...] = ("en", "fr", 1, 1.0, True, None)
Step = tuple[str, int]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["task", "lang", "available", "offline", "accept", "complete"]),
        st.integers(0, 11),
    ),
    min_size=1,
    max_size=20,
)


def _attributes(n: int) -> str:
    lang = LANGS[n % len(LANGS)]
    spoken = [LANGS[(n + step) % len(LANGS)] for step in (0, 2)]
    found: dict[str, object] = {"langs": [s for s in spoken if s is not None], "list": n % 2 == 0}
    return json.dumps(found if lang is None else {**found, "lang": lang})


class World(lifecycle.World):
    """The lifecycle properties' world, with a target on the language and workers that
    speak one (or none)."""

    def __init__(self) -> None:
        super().__init__(strategy=None)

    async def build(self) -> None:
        account, _token = await self.core.accounts.create("eq")
        self.account = account.sid
        self.ws = (await create_workspace(self.svc, self.account, WorkspaceCreate("E"))).sid
        async with self.svc.store.read() as unit:
            rows = await unit.select(Activity, eq("workspace_sid", self.ws))
        self.activities = {a.friendly_name: a.sid for a in rows}
        queue = await create_task_queue(
            self.svc, self.account, self.ws, TaskQueueFields("All", "1==1")
        )
        target = {"queue": queue.sid, "expression": "worker.lang == task.lang"}
        by_list = {"queue": queue.sid, "expression": "task.lang IN worker.langs"}
        filters = [
            {"filter_friendly_name": "list", "expression": "list == true", "targets": [by_list]}
        ]
        routing = {"task_routing": {"filters": filters, "default_filter": target}}
        fields = WorkflowFields("wf", json.dumps(routing), task_reservation_timeout=30)
        self.workflow = (await create_workflow(self.svc, self.account, self.ws, fields)).sid
        for n in range(WORKERS):
            params = workers.WorkerCreate(f"w{n}", self.activities["Available"], _attributes(n))
            self.workers.append(
                (await workers.create_worker(self.svc, self.account, self.ws, params)).sid
            )

    async def step(self, kind: str, n: int) -> None:
        acc, ws, svc = self.account, self.ws, self.svc
        worker = self.workers[n % WORKERS]
        if kind == "task":
            create = tasks.TaskCreate(attributes=_attributes(n), workflow_sid=self.workflow)
            await tasks.create_task(svc, acc, ws, create)
        elif kind == "lang":
            update = workers.WorkerUpdate(attributes=_attributes(n // WORKERS))
            await workers.update_worker(svc, acc, ws, worker, update)
        elif kind in ("available", "offline"):
            activity = self.activities["Available" if kind == "available" else "Offline"]
            update = workers.WorkerUpdate(activity_sid=activity, reject_pending_reservations=True)
            await workers.update_worker(svc, acc, ws, worker, update)
        elif kind == "accept":
            await self._answer("pending", n, reservations.ReservationUpdate("accepted"))
        else:
            await self._answer("accepted", n, reservations.ReservationUpdate("completed"))

    async def _answer(self, status: str, n: int, update: reservations.ReservationUpdate) -> None:
        async with self.svc.store.read() as unit:
            offers = await unit.select(Reservation, eq("workspace_sid", self.ws))
        chosen = [r for r in offers if r.status == status]
        if chosen:
            offer = chosen[n % len(chosen)]
            await reservations.update_reservation(
                self.svc, self.account, self.ws, offer.sid, update
            )


def assert_groups_are_the_ready_members(kept: WorkspaceState) -> None:
    for queue_sid, indexes in kept.indexes.items():
        for (path, mode), index in indexes.items():
            fresh: EqualityIndex[m.WorkerState] = EqualityIndex(path, mode)
            for sid, worker in kept.ready[queue_sid].items():
                fresh.add(sid, worker.context, worker)
            assert index.where == fresh.where, (queue_sid, path)
            assert {k: sorted(g) for k, g in index.groups.items()} == {
                k: sorted(g) for k, g in fresh.groups.items()
            }
            assert sorted(index.everywhere) == sorted(fresh.everywhere)


async def assert_nothing_left_to_match(world: World, kept: WorkspaceState) -> None:
    """A pass over every member (no groups) finds no task a worker with room fits."""
    now = world.clock.now_ms()
    waiting = tuple(e.task for e in kept.waiting.values() if e.task is not None)
    planner = m.Planner(kept.snapshot(now, waiting), kept.member_lists(), narrow=False)
    assert planner.plan() == []
    async with world.svc.store.read() as unit:
        workspace = await unit.get(Workspace, world.ws)
        assert workspace is not None
        fresh = WorkspaceState(world.ws)
        await fresh.load(unit, workspace, now)
    assert kept.describe() == fresh.describe()


async def _run(steps: list[Step]) -> None:
    world = World()
    try:
        await world.build()
        for kind, n in steps:
            with contextlib.suppress(SwitchboardError):
                await world.step(kind, n)
            kept = await world.dispatcher.settle(world.ws)
            assert kept is not None
            lifecycle.assert_every_member_with_room_is_ready(kept)
            assert_groups_are_the_ready_members(kept)
            await assert_nothing_left_to_match(world, kept)
    finally:
        await world.dispatcher.stop()
        await world.core.outbound.close()
        await world.svc.store.dispose()


@example([("task", 0), ("task", 1), ("lang", 1), ("task", 3), ("task", 4)])
@example([("offline", 0), ("task", 0), ("lang", 4), ("available", 0), ("accept", 0)])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_grouped_routing_keeps_its_groups_and_misses_no_match(steps: list[Step]) -> None:
    asyncio.run(_run(steps))


def test_a_task_goes_to_the_worker_of_its_language_and_to_nobody_else() -> None:
    async def scenario() -> None:
        world = World()
        try:
            await world.build()
            # workers: w0 en, w1 fr, w2 1, w3 1.0; a task in 1.0 matches w2 and w3 (1 == 1.0),
            # one in `true` matches nobody (booleans are not numbers)
            for attributes in ({"lang": 1.0}, {"lang": True}, {"lang": "fr"}, {}):
                create = tasks.TaskCreate(json.dumps(attributes), workflow_sid=world.workflow)
                await tasks.create_task(world.svc, world.account, world.ws, create)
            await world.dispatcher.wait_idle()
            async with world.svc.store.read() as unit:
                offers = await unit.select(Reservation, eq("workspace_sid", world.ws))
                rows = await unit.select(Task, eq("workspace_sid", world.ws))
            lang_of = {t.sid: json.loads(t.attributes).get("lang") for t in rows}
            got = sorted(
                (repr(lang_of[r.task_sid]), world.workers.index(r.worker_sid)) for r in offers
            )
            assert got == [("'fr'", 1), ("1.0", 2)]  # w2 idles longer than w3
        finally:
            await world.dispatcher.stop()
            await world.core.outbound.close()
            await world.svc.store.dispose()

    asyncio.run(scenario())


def test_a_freed_worker_passes_over_the_tasks_it_cannot_take_to_one_it_can() -> None:
    """Waiting tasks are kept in runs that fit the same workers; a run that fits nobody
    is not read past its first task, and the runs behind it are still read."""

    async def scenario() -> None:
        world = World()
        try:
            await world.build()
            offline = world.activities["Offline"]
            for worker in world.workers:
                update = workers.WorkerUpdate(activity_sid=offline)
                await workers.update_worker(world.svc, world.account, world.ws, worker, update)
            # oldest first: three in English (w0, the English speaker, stays away), then
            # one in French
            for lang in ("en", "en", "en", "fr"):
                attributes = json.dumps({"lang": lang})
                create = tasks.TaskCreate(attributes, workflow_sid=world.workflow)
                await tasks.create_task(world.svc, world.account, world.ws, create)
            kept = await world.dispatcher.settle(world.ws)
            assert kept is not None
            runs = [len(run.places) for queue in kept.runs.values() for run in queue.values()]
            assert sorted(runs) == [1, 3]
            available = workers.WorkerUpdate(activity_sid=world.activities["Available"])
            await workers.update_worker(
                world.svc, world.account, world.ws, world.workers[1], available
            )
            await world.dispatcher.wait_idle()
            async with world.svc.store.read() as unit:
                offers = await unit.select(Reservation, eq("workspace_sid", world.ws))
                rows = await unit.select(Task, eq("workspace_sid", world.ws))
            lang_of = {t.sid: json.loads(t.attributes)["lang"] for t in rows}
            assert [(lang_of[r.task_sid], r.worker_sid) for r in offers] == [
                ("fr", world.workers[1])
            ]
        finally:
            await world.dispatcher.stop()
            await world.core.outbound.close()
            await world.svc.store.dispose()

    asyncio.run(scenario())
