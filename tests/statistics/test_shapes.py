"""Each statistics endpoint shows exactly its spec schema's properties (plus documented extras)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.helpers import SPEC, assert_error, ok
from tests.statistics.helpers import Scene, spec_properties

IDENTITY = {"account_sid", "workspace_sid", "url", "task_queue_sid", "workflow_sid", "worker_sid"}
WAIT_KEYS = {"avg", "min", "max", "total", "p50", "p90", "p99"}
# our addition to workspace and workflow cumulative statistics
ROUTING = {"routing_success"}
# Switchboard extensions: tasks handed back by a worker (see the compatibility reference)
RETURNS = {"tasks_returned", "reservations_returned"}


@pytest.fixture
async def sids(scene: Scene) -> dict[str, str]:
    queue = await scene.queue("Support")
    workflow = await scene.workflow({"task_routing": {"default_filter": {"queue": queue}}})
    worker = await scene.worker("Alice")
    await scene.task(workflow)
    await scene.settle()
    return {"queue": queue, "workflow": workflow, "worker": worker}


def _nested(schema: str) -> set[str]:
    return spec_properties(schema) - IDENTITY


async def _fetch(scene: Scene, path: str) -> dict[str, Any]:
    body = await scene.get(path)
    assert body["url"] == f"{scene.url}/{path}"
    return body


async def test_workspace_endpoints(scene: Scene, sids: dict[str, str]) -> None:
    both = await _fetch(scene, "Statistics")
    assert set(both) == spec_properties("workspace")
    assert set(both["cumulative"]) == _nested("workspace_cumulative") | ROUTING | RETURNS
    assert set(both["realtime"]) == _nested("workspace_realtime")
    cumulative = await _fetch(scene, "CumulativeStatistics")
    assert set(cumulative) == spec_properties("workspace_cumulative") | ROUTING | RETURNS
    assert set(cumulative["wait_duration_until_accepted"]) == WAIT_KEYS
    assert set(cumulative["routing_success"]) == {"preferred", "secondary", "last_resort"}
    realtime = await _fetch(scene, "RealTimeStatistics")
    assert set(realtime) == spec_properties("workspace_realtime")
    assert {frozenset(a) for a in realtime["activity_statistics"]} == {
        frozenset({"friendly_name", "sid", "workers"})
    }
    assert realtime["tasks_by_status"] == {
        "pending": 0,
        "reserved": 1,
        "assigned": 0,
        "wrapping": 0,
    }


async def test_task_queue_endpoints(scene: Scene, sids: dict[str, str]) -> None:
    prefix = f"TaskQueues/{sids['queue']}"
    both = await _fetch(scene, f"{prefix}/Statistics")
    assert set(both) == spec_properties("queue")
    assert set(both["cumulative"]) == _nested("queue_cumulative") | RETURNS
    assert set(both["realtime"]) == _nested("queue_realtime")
    cumulative = await _fetch(scene, f"{prefix}/CumulativeStatistics")
    assert set(cumulative) == spec_properties("queue_cumulative") | RETURNS
    assert set(cumulative["wait_duration_in_queue_until_accepted"]) == WAIT_KEYS
    realtime = await _fetch(scene, f"{prefix}/RealTimeStatistics")
    assert set(realtime) == spec_properties("queue_realtime")
    assert realtime["task_queue_sid"] == cumulative["task_queue_sid"] == sids["queue"]


async def test_task_queue_list_and_bulk(scene: Scene, sids: dict[str, str]) -> None:
    listing = await scene.get("TaskQueues/Statistics")
    assert listing["meta"]["key"] == "task_queues_statistics"
    [item] = listing["task_queues_statistics"]
    assert set(item) == spec_properties("queues_list_item")
    assert set(item["cumulative"]) == _nested("queue_cumulative") | RETURNS
    assert set(item["realtime"]) == _nested("queue_realtime")
    bulk = ok(
        await scene.client.post(
            f"{scene.url}/TaskQueues/RealTimeStatistics", json={"QueueSids": [sids["queue"]]}
        )
    )
    assert set(bulk) == spec_properties("queue_bulk")
    assert bulk["url"] == f"{scene.url}/TaskQueues/RealTimeStatistics"
    [data] = bulk["task_queue_data"]
    assert set(data) == set(_spec_bulk_example()["task_queue_data"][0])


def _spec_bulk_example() -> dict[str, Any]:
    spec = json.loads(SPEC.read_text())
    operation = spec["paths"]["/v1/Workspaces/{WorkspaceSid}/TaskQueues/RealTimeStatistics"]
    content = operation["post"]["responses"]["200"]["content"]["application/json"]
    example: dict[str, Any] = content["examples"]["create"]["value"]
    return example


async def test_workflow_endpoints(scene: Scene, sids: dict[str, str]) -> None:
    prefix = f"Workflows/{sids['workflow']}"
    both = await _fetch(scene, f"{prefix}/Statistics")
    assert set(both) == spec_properties("workflow")
    assert set(both["cumulative"]) == _nested("workflow_cumulative") | ROUTING | RETURNS
    assert set(both["realtime"]) == _nested("workflow_realtime")
    cumulative = await _fetch(scene, f"{prefix}/CumulativeStatistics")
    assert set(cumulative) == spec_properties("workflow_cumulative") | ROUTING | RETURNS
    realtime = await _fetch(scene, f"{prefix}/RealTimeStatistics")
    assert set(realtime) == spec_properties("workflow_realtime")
    assert realtime["workflow_sid"] == sids["workflow"]


async def test_worker_endpoints(scene: Scene, sids: dict[str, str]) -> None:
    both = await _fetch(scene, "Workers/Statistics")
    assert set(both) == spec_properties("workers")
    assert set(both["cumulative"]) == _nested("workers_cumulative") | {"reservations_returned"}
    assert set(both["realtime"]) == _nested("workers_realtime")
    cumulative = await _fetch(scene, "Workers/CumulativeStatistics")
    assert set(cumulative) == spec_properties("workers_cumulative") | {"reservations_returned"}
    assert {frozenset(a) for a in cumulative["activity_durations"]} == {
        frozenset({"sid", "friendly_name", "avg", "min", "max", "total"})
    }
    assert len(cumulative["activity_durations"]) == len(scene.activities)
    realtime = await _fetch(scene, "Workers/RealTimeStatistics")
    assert set(realtime) == spec_properties("workers_realtime")
    one = await _fetch(scene, f"Workers/{sids['worker']}/Statistics")
    assert set(one) == spec_properties("worker")
    assert set(one["cumulative"]) == _nested("workers_cumulative") | {"reservations_returned"}
    # the literal paths did not swallow the item routes
    assert (await scene.get(f"Workers/{sids['worker']}"))["friendly_name"] == "Alice"
    assert (await scene.get(f"TaskQueues/{sids['queue']}"))["friendly_name"] == "Support"


async def test_unknown_resources_and_other_tenants_get_404(
    scene: Scene, sids: dict[str, str], other_client: httpx.AsyncClient
) -> None:
    missing = "WQ" + "0" * 32
    assert_error(await scene.client.get(f"{scene.url}/TaskQueues/{missing}/Statistics"), 404, 20404)
    missing_worker = f"{scene.url}/Workers/WK{'0' * 32}/Statistics"
    assert_error(await scene.client.get(missing_worker), 404, 20404)
    for path in ("Statistics", "Workers/Statistics", f"Workflows/{sids['workflow']}/Statistics"):
        assert_error(await other_client.get(f"{scene.url}/{path}"), 404, 20404)
