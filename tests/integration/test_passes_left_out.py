"""A routing pass runs when a change may let it offer something: an accept that takes
no one's slot back, a completion while no work waits, and a new task while no worker of
its queue has room, leave the pass to the next change that needs one (the writer's
claim, `Unit.claim`), and nothing waits longer for it: a put-off task's deadlines fire
on time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from switchboard.distribution.domain.records import Reservation, Task, Workspace
from switchboard.distribution.engine.resident import WorkspaceState
from switchboard.distribution.engine.routing import run_pass
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskCreate, TaskUpdate, create_task, update_task
from switchboard.kernel.changes import OPENS_NOTHING, Changes, Claim
from tests.integration.conftest import Center


async def _workflow(center: Center, max_reserved_workers: int = 1) -> str:
    queue_sid = await center.queue("All", max_reserved_workers=max_reserved_workers)
    return await center.workflow({"task_routing": {"default_filter": {"queue": queue_sid}}})


async def _answer(center: Center, offer: Reservation, status: str) -> None:
    update = ReservationUpdate(reservation_status=status)
    await update_reservation(
        center.svc, center.account_sid, center.workspace_sid, offer.sid, update
    )
    await center.settle()


async def _complete(center: Center, task: str) -> None:
    update = TaskUpdate(assignment_status="completed")
    await update_task(center.svc, center.account_sid, center.workspace_sid, task, update)
    await center.settle()


async def _offer(center: Center, task: str) -> Reservation:
    [offer] = await center.reservations(task_sid=task, status="pending")
    return offer


async def _picture_is_the_store(center: Center) -> None:
    kept = await center.dispatcher.settle(center.workspace_sid)
    async with center.svc.store.read() as unit:
        workspace = await unit.get(Workspace, center.workspace_sid)
        assert workspace is not None
        fresh = WorkspaceState(center.workspace_sid)
        await fresh.load(unit, workspace, center.svc.clock.now_ms())
    assert kept is not None and kept.describe() == fresh.describe()


async def test_an_accept_runs_no_pass(center: Center) -> None:
    await center.worker("Ann")
    workflow = await _workflow(center)
    task = await center.task(workflow)
    await center.settle()
    passes = center.dispatcher.passes
    await _answer(center, await _offer(center, task), "accepted")
    assert center.dispatcher.passes == passes
    await _picture_is_the_store(center)


async def test_a_completion_with_nothing_waiting_runs_no_pass(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await center.task(workflow)
    await center.settle()
    await _answer(center, await _offer(center, first), "accepted")
    passes = center.dispatcher.passes
    await _complete(center, first)
    assert center.dispatcher.passes == passes
    second = await center.task(workflow)
    await center.settle()
    assert (await _offer(center, second)).worker_sid == ann
    await _picture_is_the_store(center)


async def test_a_completion_while_work_waits_offers_it_to_the_freed_worker(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await center.task(workflow)
    await center.settle()
    await _answer(center, await _offer(center, first), "accepted")
    second = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=second) == []  # Ann is busy
    await _complete(center, first)
    assert (await _offer(center, second)).worker_sid == ann
    await _picture_is_the_store(center)


async def test_an_accept_that_rescinds_other_offers_frees_those_workers_at_once(
    center: Center,
) -> None:
    await center.worker("Ann")
    await center.worker("Bob")
    workflow = await _workflow(center, max_reserved_workers=2)
    first = await center.task(workflow)
    await center.settle()
    offers = await center.reservations(task_sid=first, status="pending")
    assert len(offers) == 2
    second = await center.task(workflow)
    await center.settle()
    assert await center.reservations(task_sid=second) == []  # both hold an offer
    taker, other = offers
    await _answer(center, taker, "accepted")
    assert (await _offer(center, second)).worker_sid == other.worker_sid
    await _picture_is_the_store(center)


async def _busy(center: Center, workflow: str) -> str:
    """A task offered and accepted: its worker has no room left."""
    task = await center.task(workflow)
    await center.settle()
    await _answer(center, await _offer(center, task), "accepted")
    return task


async def test_a_new_task_while_no_worker_has_room_waits_for_one_without_a_pass(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await _busy(center, workflow)
    passes = center.dispatcher.passes
    second = await center.task(workflow)
    third = await center.task(workflow)
    await center.settle()
    assert center.dispatcher.passes == passes
    assert await center.reservations(task_sid=second) == []
    await _complete(center, first)
    assert (await _offer(center, second)).worker_sid == ann  # the first created comes first
    assert await center.reservations(task_sid=third) == []
    await _picture_is_the_store(center)


async def test_a_new_task_is_offered_at_once_to_a_worker_with_room(center: Center) -> None:
    await center.worker("Ann")
    bob = await center.worker("Bob")
    workflow = await _workflow(center)
    await _busy(center, workflow)
    passes = center.dispatcher.passes
    second = await center.task(workflow)
    await center.settle()
    assert center.dispatcher.passes == passes + 1
    assert (await _offer(center, second)).worker_sid == bob


async def test_a_new_task_that_ignores_capacity_is_offered_to_a_busy_worker_at_once(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    await _busy(center, await _workflow(center))
    queue = await center.queue("Ann's")
    target = {"queue": queue, "known_worker_sid": "task.agent"}
    routing = {"filters": [{"expression": "1==1", "targets": [target]}]}
    workflow = await center.workflow({"task_routing": routing})
    attributes = json.dumps({"agent": ann})
    create = TaskCreate(workflow_sid=workflow, attributes=attributes, ignore_capacity=True)
    urgent = await create_task(center.svc, center.account_sid, center.workspace_sid, create)
    await center.settle()
    assert (await _offer(center, urgent.sid)).worker_sid == ann


async def test_a_new_task_for_a_busy_known_worker_outside_its_queue_is_offered_at_once(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    await _busy(center, workflow)
    create = TaskCreate(routing_target=ann)  # ignores capacity unless told otherwise
    direct = await create_task(center.svc, center.account_sid, center.workspace_sid, create)
    await center.settle()
    assert (await _offer(center, direct.sid)).worker_sid == ann


async def test_a_busy_worker_of_another_queue_leaves_the_new_task_waiting(
    center: Center,
) -> None:
    """Room is looked for in the task's own queue: a free worker elsewhere is no reason
    for a pass, and no worker of the queue is passed over either."""
    await center.worker("Ann", skill="sales")
    await center.worker("Bob", skill="support")
    sales = await center.queue("Sales", "skill == 'sales'")
    routing = {"task_routing": {"default_filter": {"queue": sales}}}
    workflow = await center.workflow(routing)
    await _busy(center, workflow)
    passes = center.dispatcher.passes
    second = await center.task(workflow)
    await center.settle()
    assert center.dispatcher.passes == passes
    assert await center.reservations(task_sid=second) == []


async def test_a_put_off_task_moves_to_its_next_target_on_time(center: Center) -> None:
    await center.worker("Ann")
    first_queue = await center.queue("First")
    second_queue = await center.queue("Second")
    targets = [{"queue": first_queue, "timeout": 10}, {"queue": second_queue}]
    routing = {"task_routing": {"filters": [{"expression": "1==1", "targets": targets}]}}
    workflow = await center.workflow(routing)
    await _busy(center, workflow)
    waiting = await center.task(workflow)
    await center.advance(9.9)
    assert (await center.get(Task, waiting)).task_queue_sid == first_queue
    await center.advance(0.2)
    assert (await center.get(Task, waiting)).task_queue_sid == second_queue


async def test_a_put_off_task_is_canceled_when_its_ttl_runs_out(center: Center) -> None:
    await center.worker("Ann")
    workflow = await _workflow(center)
    await _busy(center, workflow)
    create = TaskCreate(workflow_sid=workflow, timeout=5)
    waiting = await create_task(center.svc, center.account_sid, center.workspace_sid, create)
    await center.advance(4.9)
    assert (await center.get(Task, waiting.sid)).assignment_status == "pending"
    await center.advance(0.2)
    row = await center.get(Task, waiting.sid)
    assert (row.assignment_status, row.reason) == ("canceled", "Task TTL Exceeded")


class _HeldPass:
    """Holds the next routing pass at its start, after it took the changes it will
    read: what commits meanwhile meets a running pass."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

        async def held(*args: Any) -> Any:
            if not self.started.is_set():
                self.started.set()
                await self.release.wait()
            return await run_pass(*args)

        monkeypatch.setattr("switchboard.distribution.engine.dispatcher.run_pass", held)


async def test_a_new_task_committed_during_a_pass_waits_without_one_more_if_no_one_has_room(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    first = await _busy(center, workflow)
    passes = center.dispatcher.passes
    held = _HeldPass(monkeypatch)
    await center.worker("Bob", activity="Offline")  # a pass that finds no one with room
    await held.started.wait()
    second = await center.task(workflow)
    held.release.set()
    await center.settle()
    assert center.dispatcher.passes == passes + 1
    assert await center.reservations(task_sid=second) == []
    await _complete(center, first)
    assert (await _offer(center, second)).worker_sid == ann
    await _picture_is_the_store(center)


async def test_a_new_task_committed_during_a_pass_gets_one_more_if_someone_has_room(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center)
    await center.settle()
    held = _HeldPass(monkeypatch)
    await center.worker("Bob", activity="Offline")
    await held.started.wait()
    task = await center.task(workflow)
    held.release.set()
    await center.settle()
    assert (await _offer(center, task)).worker_sid == ann


def test_a_claim_holds_only_for_the_changes_it_covers() -> None:
    class Task:
        pass

    class Worker:
        pass

    covered = Changes()
    covered.note(Task, ("WT1",))
    claim = Claim(OPENS_NOTHING, covered)
    same = Changes()
    same.note(Task, ("WT1",))
    assert claim.holds_for(same)
    more = Changes()
    more.note(Task, ("WT1",))
    more.note(Worker, ("WK1",))
    assert not claim.holds_for(more)
    assert not claim.holds_for(Changes.everything())
