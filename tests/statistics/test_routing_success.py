"""`routing_success`: accepted reservations by the workflow level the task had reached."""

from __future__ import annotations

from tests.api.helpers import listing
from tests.statistics.helpers import Scene


async def _wait_for_offer(scene: Scene, task: str) -> None:
    """Target timeouts fire from the dispatcher's timer: move time on until the task is offered."""
    url = f"{scene.url}/Tasks/{task}/Reservations"
    await scene.settle()
    if not await listing(scene.client, url, ReservationStatus="pending"):
        await scene.advance(1.1)  # the first target's 1 s timeout
    assert await listing(scene.client, url, ReservationStatus="pending"), task


async def test_each_level_is_counted(scene: Scene) -> None:
    seniors = await scene.queue("Seniors", "level >= 5")  # nobody qualifies
    everyone = await scene.queue("Everyone")
    routing = {
        "task_routing": {
            "filters": [
                {"expression": "type == 'vip'", "targets": [{"queue": everyone}]},
                {
                    "expression": "type == 'sales'",
                    "targets": [{"queue": seniors, "timeout": 1}, {"queue": everyone}],
                },
            ],
            "default_filter": {"queue": everyone},
        }
    }
    workflow = await scene.workflow(routing)
    for name in ("A", "B", "C"):
        await scene.worker(name, level=1)
    tasks = [await scene.task(workflow, type=kind) for kind in ("vip", "sales", "other")]
    for task in tasks:
        await _wait_for_offer(scene, task)
        await scene.answer(task, "accepted")

    steps = [
        (e["event_data"]["filter_index"], e["event_data"]["target_index"])
        for e in await scene.events(EventType="reservation.accepted")
    ]
    assert sorted(steps) == [(-1, 0), (0, 0), (1, 1)]
    expected = {"preferred": 1, "secondary": 1, "last_resort": 1}
    flow = await scene.get(f"Workflows/{workflow}/CumulativeStatistics")
    assert flow["routing_success"] == expected
    assert (await scene.get("Statistics"))["cumulative"]["routing_success"] == expected
    # the sales task moved from Seniors to Everyone on the way
    assert flow["tasks_moved"] == 1
    moved_in = await scene.get(f"TaskQueues/{everyone}/CumulativeStatistics")
    assert (moved_in["tasks_moved"], moved_in["tasks_entered"]) == (1, 3)
    # one routing success counts only its own workflow
    other = await scene.workflow({"task_routing": {"default_filter": {"queue": everyone}}}, "Other")
    assert (await scene.get(f"Workflows/{other}/CumulativeStatistics"))["routing_success"] == {
        "preferred": 0,
        "secondary": 0,
        "last_resort": 0,
    }
