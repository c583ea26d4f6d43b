"""Worker statistics: time per activity worked out by hand, reservations, worker selections."""

from __future__ import annotations

from typing import Any

from tests.statistics.helpers import Scene, iso, now_ms

SECOND = 1000


def _durations(body: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        entry["friendly_name"]: {k: entry[k] for k in ("avg", "min", "max", "total")}
        for entry in body["activity_durations"]
    }


def _same(seconds: int) -> dict[str, int]:
    return dict.fromkeys(("avg", "min", "max", "total"), seconds)


async def test_activity_durations_by_hand(scene: Scene) -> None:
    """W1: Available [T0, T0+600 s], Offline [T0+600, T0+900], Available since T0+900.

    W2: Available since T0+100. Window [T0+300, T0+1300]: W1's first stint counts
    300 s, its current one 400 s, its Offline stint 300 s; W2's stint 1000 s.
    """
    first = await scene.worker("W1")
    second = await scene.worker("W2")
    await scene.move_worker(first, "Offline")
    await scene.move_worker(first, "Available")
    t0 = (now_ms() - 3_600_000) // SECOND * SECOND
    changes = await scene.events(EventType="worker.activity.update", WorkerSid=first)
    assert [e["event_data"]["worker_activity_name"] for e in changes] == ["Offline", "Available"]
    for event, (at, spent) in zip(changes, ((600, 600), (900, 300)), strict=True):
        await scene.retime({event["sid"]: t0 + at * SECOND})
        await scene.set_event_data(
            event["sid"], worker_time_in_previous_activity_ms=str(spent * SECOND)
        )
    await scene.set_worker_since(first, t0 + 900 * SECOND)
    await scene.set_worker_since(second, t0 + 100 * SECOND)
    window = {"StartDate": iso(t0 + 300 * SECOND), "EndDate": iso(t0 + 1300 * SECOND)}

    everyone = _durations(await scene.get("Workers/CumulativeStatistics", **window))
    # Available: 300, 400 and 1000 s -> 1700 s over 3 stints, avg 566.7 -> 567
    assert everyone == {
        "Available": {"avg": 567, "min": 300, "max": 1000, "total": 1700},
        "Offline": _same(300),
        "Unavailable": _same(0),
    }
    one = await scene.get(f"Workers/{first}/Statistics", **window)
    assert one["worker_sid"] == first
    assert _durations(one["cumulative"]) == {
        "Available": {"avg": 350, "min": 300, "max": 400, "total": 700},
        "Offline": _same(300),
        "Unavailable": _same(0),
    }
    assert (one["cumulative"]["start_time"], one["cumulative"]["end_time"]) == (
        window["StartDate"],
        window["EndDate"],
    )
    named = await scene.get("Workers/Statistics", FriendlyName="w2", **window)
    assert _durations(named["cumulative"])["Available"] == _same(1000)
    assert named["realtime"]["total_workers"] == 1


async def test_reservations_and_selection_by_queue(scene: Scene) -> None:
    juniors = await scene.queue("Juniors", "level < 5")
    seniors = await scene.queue("Seniors", "level >= 5")
    routing = {"task_routing": {"default_filter": {"queue": juniors}}}
    workflow = await scene.workflow(routing)
    junior = await scene.worker("Junior", level=1)
    await scene.worker("Senior", activity="Offline", level=9)
    await scene.answer(await scene.task(workflow), "accepted")

    everyone = await scene.get("Workers/Statistics")
    assert everyone["cumulative"]["reservations_created"] == 1
    assert everyone["cumulative"]["reservations_accepted"] == 1
    assert everyone["realtime"]["total_workers"] == 2
    by_sid = await scene.get("Workers/Statistics", TaskQueueSid=juniors)
    by_name = await scene.get("Workers/Statistics", TaskQueueName="Juniors")
    assert by_sid["cumulative"] == by_name["cumulative"]
    assert by_sid["cumulative"]["reservations_accepted"] == 1
    assert by_sid["realtime"]["total_workers"] == 1
    senior_only = await scene.get("Workers/CumulativeStatistics", TaskQueueSid=seniors)
    assert senior_only["reservations_created"] == 0
    nobody = await scene.get("Workers/RealTimeStatistics", TaskQueueName="No such queue")
    assert nobody["total_workers"] == 0
    one = await scene.get(f"Workers/{junior}/Statistics")
    assert one["cumulative"]["reservations_accepted"] == 1
