"""One answer for one mistake: a parameter that names a resource the workspace does not
have is 400 / 20001 naming the parameter, on every route (a resource in the URL that does
not exist stays 404) (issue 11)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, create, create_workspace

MISSING_WA = "WA" + "0" * 32
MISSING_WW = "WW" + "0" * 32
MISSING_WQ = "WQ" + "0" * 32


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client, Template="FIFO")


async def test_an_unknown_task_channel_is_the_same_400_on_tasks_and_statistics(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = workspace["url"]
    task = await client.post(f"{url}/Tasks", data={"Attributes": "{}", "TaskChannel": "fax"})
    stats = await client.get(f"{url}/CumulativeStatistics", params={"TaskChannel": "fax"})
    for response in (task, stats):
        assert_error(response, 400, 20001, "Invalid TaskChannel", "'fax'")
    created = await create(client, f"{url}/Tasks", Attributes="{}")
    update = await client.post(created["url"], data={"TaskChannel": "fax"})
    assert_error(update, 400, 20001, "Invalid TaskChannel")


async def test_an_unknown_activity_is_the_same_400_on_workers_queues_and_workspaces(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = workspace["url"]
    worker = await client.post(
        f"{url}/Workers", data={"FriendlyName": "a", "ActivitySid": MISSING_WA}
    )
    assert_error(worker, 400, 20001, "Invalid ActivitySid", MISSING_WA)
    alice = await create(client, f"{url}/Workers", FriendlyName="alice")
    update = await client.post(alice["url"], data={"ActivitySid": MISSING_WA})
    assert_error(update, 400, 20001, "Invalid ActivitySid", MISSING_WA)
    queue = await client.post(
        f"{url}/TaskQueues", data={"FriendlyName": "q", "ReservationActivitySid": MISSING_WA}
    )
    assert_error(queue, 400, 20001, "Invalid ReservationActivitySid", MISSING_WA)
    space = await client.post(url, data={"DefaultActivitySid": MISSING_WA})
    assert_error(space, 400, 20001, "Invalid DefaultActivitySid", MISSING_WA)


async def test_an_unknown_workflow_or_queue_on_a_task_is_a_400(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    tasks = f"{workspace['url']}/Tasks"
    attributes = json.dumps({"type": "x"})
    by_workflow = await client.post(
        tasks, data={"Attributes": attributes, "WorkflowSid": MISSING_WW}
    )
    assert_error(by_workflow, 400, 20001, "Invalid WorkflowSid", MISSING_WW)
    by_target = await client.post(
        tasks, data={"Attributes": attributes, "RoutingTarget": MISSING_WQ}
    )
    assert_error(by_target, 400, 20001, "Invalid RoutingTarget", MISSING_WQ)


async def test_a_missing_resource_in_the_url_is_still_a_404(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    assert_error(await client.get(f"{workspace['url']}/Activities/{MISSING_WA}"), 404, 20404)
    assert_error(await client.get(f"{workspace['url']}/Workflows/{MISSING_WW}"), 404, 20404)
