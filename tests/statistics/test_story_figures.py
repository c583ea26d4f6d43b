"""Every figure of the hand-computed story (see `story.py`), at each level.

Expected waits are recomputed here from the instants the /Events list shows,
then summarised by hand: seconds rounded half up, nearest-rank percentiles.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.statistics.helpers import Scene, iso
from tests.statistics.story import ACCEPT_WAITS, CANCEL_WAITS, Story, tell

ZERO_WAIT = {"avg": 0, "min": 0, "max": 0, "total": 0, "p50": 0, "p90": 0, "p99": 0}


@pytest.fixture
async def story(scene: Scene) -> Story:
    return await tell(scene)


async def _instants(story: Story, event_type: str) -> dict[str, int]:
    """`{task_sid: event_date_ms}` for one event type, as the /Events list reports them."""
    events = await story.scene.events(EventType=event_type)
    return {e["event_data"]["task_sid"]: e["event_date_ms"] for e in events}


async def test_counts(story: Story) -> None:
    body = await story.scene.get("CumulativeStatistics")
    counts = {key: value for key, value in body.items() if key.startswith(("tasks_", "reserv"))}
    assert counts == {
        "tasks_created": 5,
        "tasks_canceled": 1,
        "tasks_completed": 1,
        "tasks_deleted": 0,
        "tasks_moved": 0,
        "tasks_timed_out_in_workflow": 0,
        "tasks_returned": 0,
        "reservations_created": 3,
        "reservations_accepted": 2,
        "reservations_rejected": 1,
        "reservations_timed_out": 0,
        "reservations_canceled": 0,
        "reservations_rescinded": 0,
        "reservations_returned": 0,
    }


async def test_waits_until_accepted_and_canceled_by_hand(story: Story) -> None:
    created = await _instants(story, "task.created")
    accepted = await _instants(story, "reservation.accepted")
    canceled = await _instants(story, "task.canceled")
    accept_waits = sorted(accepted[task] - created[task] for task in accepted)
    cancel_waits = [canceled[task] - created[task] for task in canceled]
    assert accept_waits == [12_400, 31_600] == sorted(ACCEPT_WAITS.values())
    assert cancel_waits == [45_500] == list(CANCEL_WAITS.values())

    body = await story.scene.get("CumulativeStatistics")
    # (12.4 + 31.6) / 2 = 22.0; 12.4 -> 12; 31.6 -> 32; 44.0 in all; ranks ceil(.5*2)=1, 2, 2
    assert body["wait_duration_until_accepted"] == {
        "avg": 22,
        "min": 12,
        "max": 32,
        "total": 44,
        "p50": 12,
        "p90": 32,
        "p99": 32,
    }
    assert body["avg_task_acceptance_time"] == 22
    # one wait of 45.5 s: half up to 46 everywhere
    assert body["wait_duration_until_canceled"] == dict.fromkeys(ZERO_WAIT, 46)


async def test_queue_figures_measure_waits_from_queue_entry(story: Story) -> None:
    entered = await _instants(story, "task-queue.entered")
    accepted = await _instants(story, "reservation.accepted")
    in_queue = sorted(accepted[task] - entered[task] for task in accepted)
    assert in_queue == [12_150, 31_350]

    body = await story.scene.get(f"TaskQueues/{story.queue}/CumulativeStatistics")
    # 43.5 s in all -> 44 (half up); avg 21.75 -> 22; 12.15 -> 12; 31.35 -> 31
    assert body["wait_duration_in_queue_until_accepted"] == {
        "avg": 22,
        "min": 12,
        "max": 31,
        "total": 44,
        "p50": 12,
        "p90": 31,
        "p99": 31,
    }
    assert body["wait_duration_until_accepted"]["avg"] == 22
    assert (body["tasks_entered"], body["reservations_accepted"]) == (5, 2)
    assert (body["tasks_canceled"], body["tasks_completed"]) == (1, 1)


async def test_workflow_figures_and_routing_success(story: Story) -> None:
    body = await story.scene.get(f"Workflows/{story.workflow}/CumulativeStatistics")
    assert (body["tasks_entered"], body["tasks_canceled"], body["reservations_created"]) == (
        5,
        1,
        3,
    )
    # the workflow only has a default filter: every acceptance is a last resort
    assert body["routing_success"] == {"preferred": 0, "secondary": 0, "last_resort": 2}
    workspace = await story.scene.get("CumulativeStatistics")
    assert workspace["routing_success"] == body["routing_success"]


async def test_split_by_wait_time(story: Story) -> None:
    body = await story.scene.get("CumulativeStatistics", SplitByWaitTime="40,15, 45,46")
    assert body["split_by_wait_time"] == {
        # accepted waits 12.4 s and 31.6 s, canceled wait 45.5 s; "above" is strictly longer
        "15": _split(accepted=(1, 1), canceled=(1, 0)),
        "40": _split(accepted=(0, 2), canceled=(1, 0)),
        "45": _split(accepted=(0, 2), canceled=(1, 0)),
        "46": _split(accepted=(0, 2), canceled=(0, 1)),
    }
    assert (await story.scene.get("CumulativeStatistics"))["split_by_wait_time"] == {}


def _split(accepted: tuple[int, int], canceled: tuple[int, int]) -> dict[str, Any]:
    return {
        "above": {"tasks_canceled": canceled[0], "reservations_accepted": accepted[0]},
        "below": {"tasks_canceled": canceled[1], "reservations_accepted": accepted[1]},
    }


async def test_realtime_figures(story: Story) -> None:
    scene = story.scene
    by_status = {"pending": 2, "reserved": 0, "assigned": 1, "wrapping": 0}
    offline = {a["friendly_name"]: a["workers"] for a in _activities(scene, 3)}

    workspace = await scene.get("RealTimeStatistics")
    assert workspace["tasks_by_status"] == by_status
    assert (workspace["total_tasks"], workspace["tasks_by_priority"]) == (3, {"0": 3})
    assert workspace["total_workers"] == 3
    assert {a["friendly_name"]: a["workers"] for a in workspace["activity_statistics"]} == offline
    # T3 (created before T5) has waited longest
    assert workspace["longest_task_waiting_sid"] == story.tasks[2]

    queue = await scene.get(f"TaskQueues/{story.queue}/RealTimeStatistics")
    assert queue["tasks_by_status"] == by_status
    assert (queue["total_eligible_workers"], queue["total_available_workers"]) == (3, 0)
    assert queue["longest_relative_task_sid_in_queue"] == story.tasks[2]

    workflow = await scene.get(f"Workflows/{story.workflow}/RealTimeStatistics")
    assert (workflow["tasks_by_status"], workflow["total_tasks"]) == (by_status, 3)


def _activities(scene: Scene, offline: int) -> list[dict[str, Any]]:
    return [
        {"friendly_name": name, "sid": sid, "workers": offline if name == "Offline" else 0}
        for name, sid in scene.activities.items()
    ]


async def test_nested_statistics_repeat_the_flat_figures(story: Story) -> None:
    scene = story.scene
    window = {"StartDate": iso(story.base - 60_000), "EndDate": iso(story.base + 120_000)}
    identity = {"account_sid", "workspace_sid", "url", "task_queue_sid", "workflow_sid"}
    ages = {"longest_task_waiting_age", "longest_relative_task_age_in_queue"}
    for prefix in ("", f"TaskQueues/{story.queue}/", f"Workflows/{story.workflow}/"):
        nested = await scene.get(f"{prefix}Statistics", **window)
        flat = await scene.get(f"{prefix}CumulativeStatistics", **window)
        realtime = await scene.get(f"{prefix}RealTimeStatistics")
        assert nested["cumulative"] == {k: v for k, v in flat.items() if k not in identity}
        assert _without(nested["realtime"], ages) == _without(realtime, identity | ages)


def _without(body: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}
