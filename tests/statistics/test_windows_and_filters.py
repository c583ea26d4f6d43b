"""`Minutes`, `StartDate`, `EndDate`, `TaskChannel` and bad parameters."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_error
from tests.statistics.helpers import Scene, iso
from tests.statistics.story import Story, tell


@pytest.fixture
async def story(scene: Scene) -> Story:
    return await tell(scene)


async def test_windows(story: Story) -> None:
    scene, base = story.scene, story.base
    # the story happened ten minutes ago: inside the default 15 minutes, outside the last 5
    default = await scene.get("CumulativeStatistics")
    assert (default["tasks_created"], default["reservations_accepted"]) == (5, 2)
    recent = await scene.get("CumulativeStatistics", Minutes=5)
    assert (recent["tasks_created"], recent["reservations_created"]) == (0, 0)
    assert recent["wait_duration_until_accepted"]["max"] == 0

    # from B + 20 s on: T2's acceptance (B + 32.6 s) and T4's cancellation (B + 48.5 s)
    later = await scene.get("CumulativeStatistics", StartDate=iso(base + 20_000))
    assert (later["tasks_created"], later["reservations_accepted"]) == (0, 1)
    assert (later["tasks_canceled"], later["avg_task_acceptance_time"]) == (1, 32)
    assert later["start_time"] == iso(base + 20_000)

    # ...until B + 40 s: the cancellation falls out; both ends are shown
    between = await scene.get(
        "CumulativeStatistics", StartDate=iso(base + 20_000), EndDate=iso(base + 40_000)
    )
    assert (between["reservations_accepted"], between["tasks_canceled"]) == (1, 0)
    assert (between["start_time"], between["end_time"]) == (
        iso(base + 20_000),
        iso(base + 40_000),
    )

    # Minutes counts back from EndDate: [B + 40 s - 1 min, B + 40 s]
    counted_back = await scene.get("CumulativeStatistics", Minutes=1, EndDate=iso(base + 40_000))
    assert (counted_back["tasks_created"], counted_back["reservations_accepted"]) == (5, 2)
    assert counted_back["tasks_canceled"] == 0


async def test_bad_window_parameters(scene: Scene) -> None:
    for params, fragment in (
        ({"Minutes": "0"}, "Minutes"),
        ({"Minutes": "43201"}, "Minutes"),
        ({"Minutes": "soon"}, "Minutes"),
        ({"StartDate": "yesterday"}, "StartDate"),
        ({"StartDate": "2030-01-02T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}, "StartDate"),
        ({"SplitByWaitTime": "5,abc"}, "SplitByWaitTime"),
        ({"TaskChannel": "carrier-pigeon"}, "TaskChannel"),
    ):
        response = await scene.client.get(f"{scene.url}/CumulativeStatistics", params=params)
        assert_error(response, 400, 20001, fragment)


async def test_task_channel_filters_both_kinds_of_figures(scene: Scene) -> None:
    queue = await scene.queue("Everything")
    workflow = await scene.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    # nobody is available: every task waits
    await scene.worker("Sleepy", activity="Offline")
    for channel in ("sms", "sms", "voice"):
        await scene.task(workflow, channel=channel)
    await scene.settle()
    channels = {c["unique_name"]: c["sid"] for c in await _channels(scene)}

    for name, tasks in (("sms", 2), ("voice", 1), ("chat", 0)):
        for value in (name, channels[name]):  # unique name or sid
            cumulative = await scene.get("CumulativeStatistics", TaskChannel=value)
            assert cumulative["tasks_created"] == tasks
            realtime = await scene.get(f"TaskQueues/{queue}/RealTimeStatistics", TaskChannel=value)
            assert realtime["tasks_by_status"]["pending"] == realtime["total_tasks"] == tasks
    everything = await scene.get(f"Workflows/{workflow}/Statistics")
    assert everything["cumulative"]["tasks_entered"] == everything["realtime"]["total_tasks"] == 3


async def test_task_channel_counts_only_workers_with_capacity_on_it(scene: Scene) -> None:
    worker = await scene.worker("Voice only")
    await scene.worker("Everything")
    [voice] = [c for c in await _channels(scene) if c["unique_name"] == "voice"]
    url = f"{scene.url}/Workers/{worker}/Channels/{voice['sid']}"
    assert (await scene.client.post(url, data={"Capacity": "0"})).status_code == 200
    assert (await scene.get("Workers/RealTimeStatistics"))["total_workers"] == 2
    on_voice = await scene.get("Workers/RealTimeStatistics", TaskChannel="voice")
    assert on_voice["total_workers"] == 1
    available = {a["friendly_name"]: a["workers"] for a in on_voice["activity_statistics"]}
    assert available["Available"] == 1


async def _channels(scene: Scene) -> list[dict[str, str]]:
    body = await scene.get("TaskChannels")
    channels: list[dict[str, str]] = body["channels"]
    return channels
