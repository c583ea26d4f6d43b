"""Workflows: configuration validated against the workspace's queues; protected deletion."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, assert_shape, create, create_workspace, listing, ok


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client)


@pytest.fixture
async def queue(client: httpx.AsyncClient, workspace: dict[str, Any]) -> dict[str, Any]:
    return await create(client, f"{workspace['url']}/TaskQueues", FriendlyName="Support")


def routing(queue_sid: str) -> str:
    return json.dumps({"task_routing": {"default_filter": {"queue": queue_sid}}})


async def test_crud(
    client: httpx.AsyncClient, workspace: dict[str, Any], queue: dict[str, Any]
) -> None:
    url = f"{workspace['url']}/Workflows"
    config = routing(queue["sid"])
    workflow = await create(
        client, url, FriendlyName="Main", Configuration=config,
        AssignmentCallbackUrl="https://example.com/assign",
    )  # fmt: skip
    assert_shape(workflow, "workflow")
    assert workflow["configuration"] == config
    assert workflow["task_reservation_timeout"] == 120
    assert workflow["assignment_callback_url"] == "https://example.com/assign"
    assert workflow["fallback_assignment_callback_url"] is None
    assert workflow["document_content_type"] == "application/json"
    assert set(workflow["links"]) == {"statistics", "real_time_statistics", "cumulative_statistics"}
    assert ok(await client.get(workflow["url"])) == workflow
    updated = ok(
        await client.post(
            workflow["url"],
            data={
                "FriendlyName": "Renamed",
                "TaskReservationTimeout": "300",
                "FallbackAssignmentCallbackUrl": "https://example.com/fallback",
                "ReEvaluateTasks": "true",
            },
        )
    )
    assert (updated["friendly_name"], updated["task_reservation_timeout"]) == ("Renamed", 300)
    assert updated["fallback_assignment_callback_url"] == "https://example.com/fallback"
    [listed] = await listing(client, url, FriendlyName="Renamed")
    assert listed == updated
    assert (await client.delete(workflow["url"])).status_code == 204
    assert_error(await client.get(workflow["url"]), 404, 20404)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Configuration": "{not json"}, "Invalid Configuration"),
        ({"Configuration": json.dumps({"task_routing": {}})}, "Invalid Configuration"),
        ({"TaskReservationTimeout": "0"}, "Invalid TaskReservationTimeout"),
        ({"TaskReservationTimeout": "86401"}, "Invalid TaskReservationTimeout"),
        ({"AssignmentCallbackUrl": "not a url"}, "Invalid AssignmentCallbackUrl"),
        ({"FriendlyName": ""}, "Missing required parameter FriendlyName"),
    ],
)
async def test_create_validates(
    client: httpx.AsyncClient,
    workspace: dict[str, Any],
    queue: dict[str, Any],
    params: dict[str, str],
    message: str,
) -> None:
    data = {"FriendlyName": "wf", "Configuration": routing(queue["sid"])} | params
    response = await client.post(f"{workspace['url']}/Workflows", data=data)
    assert_error(response, 400, 20001, message)


async def test_configuration_may_only_name_this_workspaces_queues(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    other = await create_workspace(client, Template="FIFO")
    [foreign] = await listing(client, f"{other['url']}/TaskQueues")
    data = {"FriendlyName": "wf", "Configuration": routing(foreign["sid"])}
    response = await client.post(f"{workspace['url']}/Workflows", data=data)
    assert_error(response, 400, 20001, foreign["sid"])


async def test_configuration_is_required(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    response = await client.post(f"{workspace['url']}/Workflows", data={"FriendlyName": "wf"})
    assert_error(response, 400, 20001, "Missing required parameter Configuration")


async def test_a_workflow_with_open_tasks_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    """Needs the lead's create_task."""
    workspace = await create_workspace(client, Template="FIFO")
    [workflow] = await listing(client, f"{workspace['url']}/Workflows")
    await create(client, f"{workspace['url']}/Tasks", Attributes="{}")
    assert_error(await client.delete(workflow["url"]), 400, 20001, "open Tasks")
