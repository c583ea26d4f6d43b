"""`GET /TaskQueues/Statistics` (paged) and `POST /TaskQueues/RealTimeStatistics` (1 to 50 sids)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.helpers import assert_error, ok
from tests.statistics.helpers import Scene


async def _bulk(scene: Scene, body: Any) -> httpx.Response:
    return await scene.client.post(f"{scene.url}/TaskQueues/RealTimeStatistics", json=body)


async def test_bulk_figures_per_queue_in_the_order_asked(scene: Scene) -> None:
    seniors = await scene.queue("Seniors", "level >= 5")
    everyone = await scene.queue("Everyone")
    workflow = await scene.workflow({"task_routing": {"default_filter": {"queue": everyone}}})
    await scene.worker("Junior", level=1)
    await scene.worker("Senior", activity="Offline", level=9)
    for priority in (0, 7):
        sid = await scene.task(workflow)
        await scene.update_task(sid, Priority=str(priority))
    await scene.settle()
    unknown = "WQ" + "f" * 32
    body = ok(await _bulk(scene, {"QueueSids": [everyone, unknown, seniors]}))
    assert body["task_queue_response_count"] == 3
    data = {item["task_queue_sid"]: item for item in body["task_queue_data"]}
    assert [item["task_queue_sid"] for item in body["task_queue_data"]] == [
        everyone,
        unknown,
        seniors,
    ]
    assert data[everyone]["total_tasks"] == 2
    assert data[everyone]["tasks_by_priority"] == {"0": 1, "7": 1}
    assert (
        data[everyone]["total_eligible_workers"],
        data[everyone]["total_available_workers"],
    ) == (
        2,
        1,
    )
    assert (data[seniors]["total_eligible_workers"], data[seniors]["total_available_workers"]) == (
        1,
        0,
    )
    assert data[seniors]["total_tasks"] == 0
    # a sid that is not a queue of this workspace comes back zeroed, as Twilio does
    assert data[unknown]["total_tasks"] == data[unknown]["total_eligible_workers"] == 0
    assert {a["workers"] for a in data[unknown]["activity_statistics"]} == {0}


async def test_bulk_accepts_the_docs_camel_case_key(scene: Scene) -> None:
    queue = await scene.queue("Support")
    body = ok(await _bulk(scene, {"queueSids": [queue]}))
    assert [item["task_queue_sid"] for item in body["task_queue_data"]] == [queue]


async def test_bulk_takes_1_to_50_queue_sids(scene: Scene) -> None:
    sids = ["WQ" + f"{n:032x}" for n in range(51)]
    assert ok(await _bulk(scene, {"QueueSids": sids[:50]}))["task_queue_response_count"] == 50
    assert_error(await _bulk(scene, {"QueueSids": sids}), 400, 20001, "QueueSids", "51")
    assert_error(await _bulk(scene, {"QueueSids": []}), 400, 20001, "QueueSids")
    assert_error(await _bulk(scene, {}), 400, 20001, "QueueSids")
    assert_error(await _bulk(scene, {"QueueSids": ["WQnope"]}), 400, 20001, "WQnope")
    assert_error(await _bulk(scene, {"QueueSids": ["WK" + "0" * 32]}), 400, 20001)


async def test_list_pages_and_filters_by_friendly_name(scene: Scene) -> None:
    queues = [await scene.queue(name) for name in ("A", "B", "C")]
    first = await scene.get("TaskQueues/Statistics", PageSize=2)
    assert [q["task_queue_sid"] for q in first["task_queues_statistics"]] == queues[:2]
    assert first["meta"]["next_page_url"] is not None
    second = ok(await scene.client.get(first["meta"]["next_page_url"]))
    assert [q["task_queue_sid"] for q in second["task_queues_statistics"]] == queues[2:]
    assert second["meta"]["next_page_url"] is None
    named = await scene.get("TaskQueues/Statistics", FriendlyName="B")
    assert [q["task_queue_sid"] for q in named["task_queues_statistics"]] == [queues[1]]
    none = await scene.get("TaskQueues/Statistics", FriendlyName="Z")
    assert none["task_queues_statistics"] == []


async def test_list_figures_match_the_single_queue_endpoints(scene: Scene) -> None:
    support = await scene.queue("Support")
    await scene.queue("Idle")
    workflow = await scene.workflow({"task_routing": {"default_filter": {"queue": support}}})
    await scene.worker("Alice")
    task = await scene.task(workflow)
    await scene.answer(task, "accepted")
    window = {"StartDate": "2000-01-01T00:00:00Z"}
    listing = await scene.get("TaskQueues/Statistics", **window)
    for item in listing["task_queues_statistics"]:
        sid = item["task_queue_sid"]
        single = await scene.get(f"TaskQueues/{sid}/Statistics", **window)
        assert item["cumulative"] == {
            **single["cumulative"],
            "end_time": item["cumulative"]["end_time"],
        }
        assert item["realtime"]["tasks_by_status"] == single["realtime"]["tasks_by_status"]
    by_sid = {i["task_queue_sid"]: i for i in listing["task_queues_statistics"]}
    assert by_sid[support]["cumulative"]["reservations_accepted"] == 1
    assert by_sid[support]["realtime"]["tasks_by_status"]["assigned"] == 1
