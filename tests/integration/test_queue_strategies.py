"""Queue strategies: which fitting worker is offered a task first, one strategy at a time.

Three workers, created W1, W2, W3, all free whenever a task arrives (each offer is
accepted and completed before the next task), so only the strategy decides. W3 went
available first and W1 last: longest idle would start with W3.
"""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.distribution.domain.records import Reservation
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from switchboard.distribution.work.workers import WorkerUpdate, update_worker
from switchboard.kernel.errors import InvalidParameter
from tests.integration.conftest import Center


async def _three_workers(center: Center) -> list[str]:
    names = [await center.worker(f"W{n}", activity="Offline") for n in (1, 2, 3)]
    for sid in reversed(names):  # W3 becomes idle first, W1 last
        await _set(center, sid, "Available")
        await center.advance(1)
    return names


async def _set(center: Center, worker: str, activity: str) -> None:
    update = WorkerUpdate(activity_sid=center.activities[activity])
    await update_worker(center.svc, center.account_sid, center.workspace_sid, worker, update)


async def _workflow(center: Center, **target: Any) -> str:
    queue = await center.queue("All")
    return await center.workflow({"task_routing": {"default_filter": {"queue": queue, **target}}})


async def _offer(center: Center, workflow: str, talk_seconds: float = 0.0) -> Reservation:
    """One task: whom it was offered to; then accepted, talked through and completed."""
    task = await center.task(workflow)
    await center.settle()
    [offer] = await center.reservations(task_sid=task)
    svc, account, ws = center.svc, center.account_sid, center.workspace_sid
    accept = ReservationUpdate(reservation_status="accepted")
    await update_reservation(svc, account, ws, offer.sid, accept)
    await center.advance(talk_seconds)
    await update_task(svc, account, ws, task, TaskUpdate(assignment_status="completed"))
    await center.settle()
    return offer


async def _order(center: Center, workflow: str, tasks: int = 4) -> list[str]:
    return [(await _offer(center, workflow)).worker_sid for _ in range(tasks)]


async def test_longest_idle_stays_the_default(center: Center) -> None:
    w1, w2, w3 = await _three_workers(center)
    assert await _order(center, await _workflow(center)) == [w3, w2, w1, w3]


async def test_round_robin_goes_round_in_creation_order(center: Center) -> None:
    w1, w2, w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="round_robin")
    assert await _order(center, workflow) == [w1, w2, w3, w1]


async def test_round_robin_skips_a_busy_worker_and_goes_on_after_the_last_offered(
    center: Center,
) -> None:
    w1, w2, w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="round_robin")
    assert (await _offer(center, workflow)).worker_sid == w1
    await _set(center, w2, "Offline")
    assert await _order(center, workflow, 3) == [w3, w1, w3]


async def test_top_down_always_starts_from_the_first_worker(center: Center) -> None:
    w1, _w2, _w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="top_down")
    assert await _order(center, workflow) == [w1, w1, w1, w1]


async def test_fewest_tasks_today_goes_to_whoever_handled_fewest(center: Center) -> None:
    w1, w2, w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="fewest_tasks")
    # W3 (idle longest) and W2 break the ties: then everyone has one, then W3 again
    assert await _order(center, workflow) == [w3, w2, w1, w3]


async def test_least_talk_time_today_goes_to_whoever_talked_least(center: Center) -> None:
    w1, w2, w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="least_talk_time")
    talks = [30.0, 10.0, 20.0]
    offered = [(await _offer(center, workflow, talk)).worker_sid for talk in talks]
    assert offered == [w3, w2, w1]  # ties broken by idle time
    # talk time today: W3 30 s, W2 10 s, W1 20 s -> W2 next (then 25 s), then W1
    then = [(await _offer(center, workflow, 15.0)).worker_sid for _ in range(2)]
    assert then == [w2, w1]


async def test_lowest_average_handling_time_goes_to_the_quickest(center: Center) -> None:
    w1, w2, w3 = await _three_workers(center)
    workflow = await _workflow(center, strategy="lowest_average_handling_time")
    offered = [(await _offer(center, workflow, talk)).worker_sid for talk in (5.0, 50.0, 20.0)]
    assert offered == [w3, w2, w1]  # a worker without an average yet comes first
    assert await _order(center, workflow, 2) == [w3, w3]  # 5 s beats 20 s and 50 s


async def test_random_spreads_the_work_out_of_idle_order(
    center: Center,
) -> None:
    await _three_workers(center)
    workflow = await _workflow(center, strategy="random", random_seed=7)
    offered = await _order(center, workflow, 24)
    # sids are random here, so only what holds with near certainty (the even spread
    # and the seed are specified in tests/unit/test_strategies.py)
    assert len(set(offered)) >= 2  # one worker for all 24: 3 in 3^24
    assert offered != await _order(center, await _workflow(center), 24)  # not idle order


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"strategy": "fastest"}, "strategy: must be one of longest_idle, round_robin"),
        ({"random_seed": 3}, "random_seed: needs 'strategy': 'random'"),
        ({"strategy": "top_down", "random_seed": 3}, "random_seed: needs 'strategy': 'random'"),
        ({"strategy": "random", "random_seed": -1}, "random_seed: must be between 0"),
        (
            {"strategy": "fewest_tasks", "handling_times": "task.handling"},
            "handling_times: needs 'strategy': 'lowest_average_handling_time'",
        ),
        (
            {"strategy": "lowest_average_handling_time", "handling_times": "worker.aht"},
            "handling_times: must be a task attribute like 'task.agent_sid'",
        ),
    ],
)
async def test_an_unknown_strategy_or_a_stray_seed_is_refused_on_save(
    center: Center, target: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        await _workflow(center, **target)
