"""Tasks through HTTP (the writes run the lead's task services)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, assert_shape, create, create_workspace, listing, ok


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    """A FIFO workspace without workers: tasks stay pending."""
    return await create_workspace(client, Template="FIFO")


@pytest.fixture
def tasks_url(workspace: dict[str, Any]) -> str:
    return f"{workspace['url']}/Tasks"


async def add_task(client: httpx.AsyncClient, url: str, **params: Any) -> dict[str, Any]:
    attributes = params.pop("attributes", {})
    return await create(client, url, Attributes=json.dumps(attributes), **params)


async def test_create_fetch_delete(
    client: httpx.AsyncClient, workspace: dict[str, Any], tasks_url: str
) -> None:
    response = await client.post(
        tasks_url, data={"Attributes": '{"type": "support"}', "Priority": "5", "Timeout": "600"}
    )
    task = ok(response, 201)
    assert re.fullmatch(r'"\d+"', response.headers["etag"])
    assert_shape(task, "task")
    assert task["attributes"] == '{"type": "support"}'
    assert (task["priority"], task["timeout"], task["assignment_status"]) == (5, 600, "pending")
    assert task["task_queue_friendly_name"] == "Sample Queue"
    assert task["workflow_friendly_name"] == "Default Fifo Workflow"
    assert task["task_channel_unique_name"] == "default"
    assert isinstance(task["age"], int)
    assert task["url"] == f"{tasks_url}/{task['sid']}"
    assert task["links"]["reservations"] == f"{task['url']}/Reservations"
    assert task["links"]["workspace"] == workspace["url"]
    fetched = await client.get(task["url"])
    assert ok(fetched) == task
    assert fetched.headers["etag"] == response.headers["etag"]
    assert (await client.delete(task["url"])).status_code == 204
    assert_error(await client.get(task["url"]), 404, 20404)


async def test_update_and_if_match(client: httpx.AsyncClient, tasks_url: str) -> None:
    response = await client.post(tasks_url, data={"Attributes": "{}"})
    url, etag = response.json()["url"], response.headers["etag"]
    changed = await client.post(url, data={"Priority": "9"}, headers={"If-Match": etag})
    assert ok(changed)["priority"] == 9
    assert changed.headers["etag"] != etag
    stale = await client.post(url, data={"Priority": "1"}, headers={"If-Match": etag})
    assert_error(stale, 412, 20412)
    canceled = ok(await client.post(url, data={"AssignmentStatus": "canceled", "Reason": "spam"}))
    assert (canceled["assignment_status"], canceled["reason"]) == ("canceled", "spam")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Priority": "-1"}, "Invalid Priority: must be between 0 and 2147483647"),
        ({"Priority": "2147483648"}, "Invalid Priority"),
        ({"Timeout": "0"}, "Invalid Timeout: must be between 1 and 1209600"),
        ({"Timeout": "1209601"}, "Invalid Timeout"),
        ({"Attributes": "{oops"}, "Invalid Attributes: not valid JSON"),
        ({"Attributes": json.dumps({"k": "v" * 4096})}, "Invalid Attributes"),
        ({"VirtualStartTime": "yesterday"}, "Invalid VirtualStartTime"),
        ({"RoutingTarget": "WA" + "0" * 32}, "Invalid RoutingTarget"),
        ({"WorkflowSid": "WQ" + "0" * 32}, "Invalid WorkflowSid"),
        ({"IgnoreCapacity": "sometimes"}, "Invalid IgnoreCapacity"),
    ],
)
async def test_create_validates(
    client: httpx.AsyncClient, tasks_url: str, params: dict[str, str], message: str
) -> None:
    assert_error(await client.post(tasks_url, data=params), 400, 20001, message)


async def test_update_validates(client: httpx.AsyncClient, tasks_url: str) -> None:
    task = await add_task(client, tasks_url)
    response = await client.post(task["url"], data={"AssignmentStatus": "lost"})
    assert_error(response, 400, 20001, "Invalid AssignmentStatus")


async def test_list_hides_attributes_and_filters_by_status(
    client: httpx.AsyncClient, tasks_url: str
) -> None:
    pending = await add_task(client, tasks_url)
    canceled = await add_task(client, tasks_url)
    ok(await client.post(canceled["url"], data={"AssignmentStatus": "canceled"}))
    listed = await listing(client, tasks_url)
    assert [x["sid"] for x in listed] == [pending["sid"], canceled["sid"]]
    assert all(x["attributes"] is None for x in listed)
    assert_shape(listed[0], "task")
    only_pending = await listing(client, tasks_url, AssignmentStatus="pending")
    assert [x["sid"] for x in only_pending] == [pending["sid"]]
    repeated = ok(
        await client.get(f"{tasks_url}?AssignmentStatus=pending&AssignmentStatus=canceled")
    )
    comma = ok(await client.get(tasks_url, params={"AssignmentStatus": "pending,canceled"}))
    assert len(repeated["tasks"]) == len(comma["tasks"]) == 2
    response = await client.get(tasks_url, params={"AssignmentStatus": "pending,lost"})
    assert_error(response, 400, 20001, "Invalid AssignmentStatus")


async def test_list_filters_and_ordering(
    client: httpx.AsyncClient, workspace: dict[str, Any], tasks_url: str
) -> None:
    low = await add_task(client, tasks_url, Priority="1", attributes={"lang": "en"})
    high = await add_task(client, tasks_url, Priority="7", attributes={"lang": "es"})

    async def sids(**query: str) -> list[str]:
        return [x["sid"] for x in await listing(client, tasks_url, **query)]

    assert await sids(Ordering="Priority:desc") == [high["sid"], low["sid"]]
    assert await sids(Ordering="Priority:asc,DateCreated:desc") == [low["sid"], high["sid"]]
    assert await sids(Priority="7") == [high["sid"]]
    assert await sids(EvaluateTaskAttributes="lang == 'es'") == [high["sid"]]
    assert await sids(TaskQueueName="Sample Queue") == [low["sid"], high["sid"]]
    assert await sids(WorkflowName="Nope") == []
    assert await sids(WorkflowSid=low["workflow_sid"]) == [low["sid"], high["sid"]]
    assert await sids(HasAddons="true") == []
    for query in (
        {"Ordering": "Color:asc"},
        {"Ordering": "DateCreated:asc,VirtualStartTime:desc"},
        {"EvaluateTaskAttributes": "lang =="},
        {"Priority": "high"},
    ):
        assert_error(await client.get(tasks_url, params=query), 400, 20001)
