"""TaskQueues: TargetWorkers validation, activity references, filters, protected deletion."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    activity_sids,
    assert_error,
    assert_shape,
    create,
    create_workspace,
    listing,
    ok,
)


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client)


async def test_crud(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/TaskQueues"
    activities = await activity_sids(client, workspace["url"])
    queue = await create(client, url, FriendlyName="Support")
    assert_shape(queue, "task_queue")
    assert queue["target_workers"] == "1==1"
    assert (queue["max_reserved_workers"], queue["task_order"]) == (1, "FIFO")
    assert queue["reservation_activity_sid"] is None
    assert queue["links"]["list_statistics"] == f"{url}/Statistics"
    assert queue["links"]["statistics"] == f"{queue['url']}/Statistics"
    assert ok(await client.get(queue["url"])) == queue
    updated = ok(
        await client.post(
            queue["url"],
            data={
                "FriendlyName": "Tier 2",
                "TargetWorkers": "languages HAS 'en'",
                "MaxReservedWorkers": "5",
                "TaskOrder": "LIFO",
                "ReservationActivitySid": activities["Unavailable"],
                "AssignmentActivitySid": activities["Offline"],
            },
        )
    )
    assert updated["friendly_name"] == "Tier 2"
    assert updated["target_workers"] == "languages HAS 'en'"
    assert (updated["max_reserved_workers"], updated["task_order"]) == (5, "LIFO")
    assert updated["reservation_activity_name"] == "Unavailable"
    assert updated["assignment_activity_name"] == "Offline"
    assert updated["links"]["assignment_activity"].endswith(activities["Offline"])
    assert (await client.delete(queue["url"])).status_code == 204
    assert_error(await client.get(queue["url"]), 404, 20404)


async def test_a_bad_target_expression_reports_its_position(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = f"{workspace['url']}/TaskQueues"
    response = await client.post(url, data={"FriendlyName": "q", "TargetWorkers": "skill =="})
    assert_error(response, 400, 20001, "Invalid TargetWorkers", "position 8")
    queue = await create(client, url, FriendlyName="q")
    response = await client.post(queue["url"], data={"TargetWorkers": "a IN [1,"})
    assert_error(response, 400, 20001, "Invalid TargetWorkers", "position")


async def test_a_task_reference_in_target_workers_is_refused_on_create_and_update(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    """A queue matches workers, never a task: `lang HAS task.lang` could never match and
    its tasks would wait forever (issue 11)."""
    url = f"{workspace['url']}/TaskQueues"
    response = await client.post(
        url, data={"FriendlyName": "q", "TargetWorkers": "languages HAS task.lang"}
    )
    assert_error(response, 400, 20001, "Invalid TargetWorkers", "'task.lang'", "workflow target")
    queue = await create(client, url, FriendlyName="q", TargetWorkers="languages HAS 'en'")
    response = await client.post(queue["url"], data={"TargetWorkers": "task.vip == true"})
    assert_error(response, 400, 20001, "'task.vip'")
    assert (await client.get(queue["url"])).json()["target_workers"] == "languages HAS 'en'"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MaxReservedWorkers": "0"}, "Invalid MaxReservedWorkers: must be between 1 and 50"),
        ({"MaxReservedWorkers": "51"}, "Invalid MaxReservedWorkers"),
        ({"MaxReservedWorkers": "two"}, "is not an integer"),
        ({"TaskOrder": "RANDOM"}, "Invalid TaskOrder"),
        ({"ReservationActivitySid": "WAnope"}, "Invalid ReservationActivitySid"),
        ({"AssignmentActivitySid": "WA" + "0" * 32}, "Invalid AssignmentActivitySid"),
        ({"FriendlyName": "x" * 65}, "Invalid FriendlyName: must be at most 64 characters"),
    ],
)
async def test_create_validates(
    client: httpx.AsyncClient, workspace: dict[str, Any], params: dict[str, str], message: str
) -> None:
    data = {"FriendlyName": "q"} | params
    response = await client.post(f"{workspace['url']}/TaskQueues", data=data)
    assert_error(response, 400, 20001, message)


async def test_list_filters(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/TaskQueues"
    english = await create(client, url, FriendlyName="English", TargetWorkers="languages HAS 'en'")
    await create(client, url, FriendlyName="Spanish", TargetWorkers="languages HAS 'es'")
    everyone = await create(client, url, FriendlyName="Everyone")
    [named] = await listing(client, url, FriendlyName="English")
    assert named == english
    document = json.dumps({"languages": ["en", "fr"]})
    matching = await listing(client, url, EvaluateWorkerAttributes=document)
    assert [q["sid"] for q in matching] == [english["sid"], everyone["sid"]]
    response = await client.get(url, params={"EvaluateWorkerAttributes": "not json"})
    assert_error(response, 400, 20001, "EvaluateWorkerAttributes")


async def test_worker_sid_filter(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    """Needs the lead's create_worker."""
    url = workspace["url"]
    english = await create(
        client, f"{url}/TaskQueues", FriendlyName="English", TargetWorkers="languages HAS 'en'"
    )
    await create(client, f"{url}/TaskQueues", FriendlyName="Named", TargetWorkers="name == 'bob'")
    worker = await create(
        client, f"{url}/Workers", FriendlyName="ann", Attributes='{"languages": ["en"]}'
    )
    queues = await listing(client, f"{url}/TaskQueues", WorkerSid=worker["sid"])
    assert [q["sid"] for q in queues] == [english["sid"]]


async def test_a_queue_a_workflow_routes_to_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(client, Template="FIFO")
    [queue] = await listing(client, f"{workspace['url']}/TaskQueues")
    assert_error(await client.delete(queue["url"]), 400, 20001, "Workflow")
