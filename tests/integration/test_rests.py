"""Rests: wrap-up time, reject and no-answer delays, and max no answer (ACD settings on a
workflow target), each pausing a worker's offers for a while."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.distribution.domain.records import Reservation, Task, Worker, Workspace
from switchboard.distribution.engine.resident import WorkspaceState
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from switchboard.distribution.work.workers import WorkerUpdate, update_worker
from switchboard.kernel.errors import InvalidParameter
from tests.integration.conftest import Center


async def _workflow(center: Center, timeout: int = 120, **rests: Any) -> str:
    queue = await center.queue("All")
    routing = {"task_routing": {"default_filter": {"queue": queue, **rests}}}
    return await center.workflow(routing, timeout=timeout)


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


async def _task(center: Center, workflow: str) -> str:
    """A new task, routed before the clock moves on."""
    task = await center.task(workflow)
    await center.settle()
    return task


async def _offers(center: Center, worker: str) -> list[str]:
    return [r.task_sid for r in await center.reservations(worker_sid=worker)]


async def _served(center: Center, workflow: str, worker: str) -> str:
    """One task offered to `worker`, accepted and completed."""
    task = await center.task(workflow)
    await center.settle()
    [offer] = await center.reservations(task_sid=task)
    assert offer.worker_sid == worker
    await _answer(center, offer, "accepted")
    await _complete(center, task)
    return task


async def test_after_a_task_the_worker_wraps_up_before_the_next_offer(center: Center) -> None:
    worker = await center.worker("Ann")
    workflow = await _workflow(center, wrap_up_seconds=30)
    await _served(center, workflow, worker)
    waiting = await center.task(workflow)
    await center.advance(29)
    assert waiting not in await _offers(center, worker)
    await center.advance(2)
    assert waiting in await _offers(center, worker)


async def test_a_workers_own_wrap_up_time_overrides_the_targets(center: Center) -> None:
    worker = await center.worker("Ann", wrap_up_seconds=5)
    workflow = await _workflow(center, wrap_up_seconds=60)
    await _served(center, workflow, worker)
    waiting = await center.task(workflow)
    await center.advance(6)
    assert waiting in await _offers(center, worker)


async def test_without_a_wrap_up_time_the_next_offer_comes_at_once(center: Center) -> None:
    worker = await center.worker("Ann")
    workflow = await _workflow(center)
    await _served(center, workflow, worker)
    waiting = await center.task(workflow)
    await center.settle()
    assert waiting in await _offers(center, worker)


async def test_a_worker_who_rejects_gets_no_offer_for_the_reject_delay(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, reject_delay_seconds=20)
    first = await center.task(workflow)
    await center.settle()
    [offer] = await center.reservations(task_sid=first)
    await _answer(center, offer, "rejected")
    second = await center.task(workflow)
    await center.advance(19)
    assert second not in await _offers(center, ann)
    await center.advance(2)
    assert second in await _offers(center, ann)


async def test_a_rest_is_stored_so_a_new_routing_owner_keeps_it(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, reject_delay_seconds=20)
    first = await center.task(workflow)
    await center.settle()
    [offer] = await center.reservations(task_sid=first)
    await _answer(center, offer, "rejected")
    rest_until = (await center.get(Worker, ann)).rest_until
    rejected = await center.get(Reservation, offer.sid)
    assert rest_until == rejected.date_updated + 20_000
    async with center.svc.store.read() as unit:  # what an owner after a restart loads
        workspace = await unit.get(Workspace, center.workspace_sid)
        assert workspace is not None
        fresh = WorkspaceState(center.workspace_sid)
        await fresh.load(unit, workspace, center.svc.clock.now_ms())
    assert fresh.workers[ann].resting
    assert (rest_until, "rest", ann) in fresh.describe()["timers"]
    kept = await center.dispatcher.settle(center.workspace_sid)
    assert kept is not None and kept.describe() == fresh.describe()


async def test_a_missed_offer_rests_the_worker_for_the_no_answer_delay(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, timeout=10, no_answer_delay_seconds=30, max_no_answer=3)
    first = await _task(center, workflow)
    await center.advance(11)  # the offer timed out; Ann stays Available (1 of 3)
    assert (await center.get(Worker, ann)).available
    second = await _task(center, workflow)
    await center.advance(10)
    assert second not in await _offers(center, ann)
    await center.advance(25)
    assert await _offers(center, ann) == [first, second]  # a missed task is not offered again


async def test_max_no_answer_moves_the_worker_away_only_after_that_many_misses(
    center: Center,
) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, timeout=10, max_no_answer=2)
    await _task(center, workflow)
    await center.advance(11)
    worker = await center.get(Worker, ann)
    assert worker.available and worker.missed_in_a_row == 1
    await _task(center, workflow)  # a missed task is not offered again: another one
    await center.advance(11)  # missed again: away
    worker = await center.get(Worker, ann)
    assert not worker.available
    assert worker.activity_sid == center.activities["Offline"]  # the timeout activity
    assert worker.missed_in_a_row == 0


async def test_an_accepted_offer_starts_the_count_of_misses_again(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, timeout=10, max_no_answer=2)
    await _task(center, workflow)
    await center.advance(11)
    assert (await center.get(Worker, ann)).missed_in_a_row == 1
    await _task(center, workflow)
    [_missed, offer] = await center.reservations(worker_sid=ann)
    await _answer(center, offer, "accepted")
    assert (await center.get(Worker, ann)).missed_in_a_row == 0


async def test_without_max_no_answer_every_miss_moves_the_worker_away(center: Center) -> None:
    ann = await center.worker("Ann")
    workflow = await _workflow(center, timeout=10)
    await _task(center, workflow)
    await center.advance(11)
    assert not (await center.get(Worker, ann)).available  # as TaskRouter does


@pytest.mark.parametrize(
    ("rests", "message"),
    [
        ({"wrap_up_seconds": -1}, "wrap_up_seconds: must be between 0"),
        ({"reject_delay_seconds": 86_401}, "reject_delay_seconds: must be between 0 and 86400"),
        ({"no_answer_delay_seconds": "soon"}, "no_answer_delay_seconds: must be an integer"),
        ({"max_no_answer": 0}, "max_no_answer: must be between 1"),
        ({"no_agent_timeout": 0}, "no_agent_timeout: must be between 1"),
    ],
)
async def test_malformed_rests_are_refused_on_save(
    center: Center, rests: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        await _workflow(center, **rests)


async def _no_agent_workflow(center: Center) -> tuple[str, str]:
    """Sales waits up to 60 s with nobody logged in, then voicemail takes the task."""
    sales = await center.queue("Sales", "skill == 'sales'")
    voicemail = await center.queue("Voicemail", "skill == 'voicemail'")
    targets = [{"queue": sales, "no_agent_timeout": 60}, {"queue": voicemail}]
    routing = {"filters": [{"expression": "1==1", "targets": targets}]}
    return await center.workflow({"task_routing": routing}), voicemail


async def test_with_nobody_logged_in_a_task_moves_on_after_the_no_agent_timeout(
    center: Center,
) -> None:
    await center.worker("Sam", activity="Offline", skill="sales")
    workflow, voicemail = await _no_agent_workflow(center)
    task = await _task(center, workflow)
    await center.advance(59)
    assert (await center.get(Task, task)).task_queue_sid != voicemail
    await center.advance(2)
    assert (await center.get(Task, task)).task_queue_sid == voicemail


async def test_a_worker_logged_in_on_a_break_keeps_the_task_waiting(center: Center) -> None:
    await center.worker("Sam", activity="Unavailable", skill="sales")
    workflow, voicemail = await _no_agent_workflow(center)
    task = await _task(center, workflow)
    await center.advance(120)
    assert (await center.get(Task, task)).task_queue_sid != voicemail


async def test_the_no_agent_count_starts_again_when_someone_logs_in_and_out(
    center: Center,
) -> None:
    sam = await center.worker("Sam", activity="Offline", skill="sales")
    workflow, voicemail = await _no_agent_workflow(center)
    task = await _task(center, workflow)
    await center.advance(40)
    await _set_activity(center, sam, "Unavailable")
    await center.advance(1)
    await _set_activity(center, sam, "Offline")
    await center.advance(40)  # 81 s waiting, but only 40 s with nobody logged in
    assert (await center.get(Task, task)).task_queue_sid != voicemail
    await center.advance(21)
    assert (await center.get(Task, task)).task_queue_sid == voicemail


async def test_a_task_that_joins_a_queue_already_counting_waits_its_own_timeout(
    center: Center,
) -> None:
    await center.worker("Sam", activity="Offline", skill="sales")
    workflow, voicemail = await _no_agent_workflow(center)
    first = await _task(center, workflow)
    await center.advance(30)
    second = await _task(center, workflow)
    await center.advance(31)
    assert (await center.get(Task, first)).task_queue_sid == voicemail
    assert (await center.get(Task, second)).task_queue_sid != voicemail
    await center.advance(30)
    assert (await center.get(Task, second)).task_queue_sid == voicemail


async def _set_activity(center: Center, worker: str, activity: str) -> None:
    update = WorkerUpdate(activity_sid=center.activities[activity])
    await update_worker(center.svc, center.account_sid, center.workspace_sid, worker, update)
    await center.settle()
