"""Workers and their channels through HTTP (the writes run the lead's worker services)."""

from __future__ import annotations

import json
import re
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

ETAG = re.compile(r'^"\d+"$')


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client)


@pytest.fixture
async def activities(client: httpx.AsyncClient, workspace: dict[str, Any]) -> dict[str, str]:
    return await activity_sids(client, workspace["url"])


async def add_worker(
    client: httpx.AsyncClient, workspace: dict[str, Any], name: str, **params: Any
) -> dict[str, Any]:
    attributes = params.pop("attributes", {})
    data = {"FriendlyName": name, "Attributes": json.dumps(attributes), **params}
    return await create(client, f"{workspace['url']}/Workers", **data)


async def test_crud_with_etags(
    client: httpx.AsyncClient, workspace: dict[str, Any], activities: dict[str, str]
) -> None:
    response = await client.post(
        f"{workspace['url']}/Workers", data={"FriendlyName": "alice", "Attributes": '{"a": 1}'}
    )
    worker = ok(response, 201)
    assert ETAG.match(response.headers["etag"])
    assert_shape(worker, "worker")
    assert worker["attributes"] == '{"a": 1}'
    assert (worker["activity_name"], worker["available"]) == ("Offline", False)
    assert worker["links"]["channels"] == f"{worker['url']}/Channels"
    assert worker["links"]["activity"] == f"{workspace['url']}/Activities/{worker['activity_sid']}"
    fetched = await client.get(worker["url"])
    assert (ok(fetched), fetched.headers["etag"]) == (worker, response.headers["etag"])
    updated_response = await client.post(
        worker["url"],
        data={"ActivitySid": activities["Available"], "FriendlyName": "Alice", "Attributes": "{}"},
    )
    updated = ok(updated_response)
    assert (updated["activity_name"], updated["available"]) == ("Available", True)
    assert (updated["friendly_name"], updated["attributes"]) == ("Alice", "{}")
    assert updated_response.headers["etag"] != response.headers["etag"]
    assert (await client.delete(worker["url"])).status_code == 204
    assert_error(await client.get(worker["url"]), 404, 20404)


async def test_a_stale_if_match_is_refused(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    response = await client.post(f"{workspace['url']}/Workers", data={"FriendlyName": "bob"})
    etag, url = response.headers["etag"], response.json()["url"]
    ok(await client.post(url, data={"Attributes": '{"v": 1}'}, headers={"If-Match": etag}))
    stale = await client.post(url, data={"Attributes": '{"v": 2}'}, headers={"If-Match": etag})
    assert_error(stale, 412, 20412)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Attributes": "{bad"}, "Invalid Attributes: not valid JSON"),
        ({"Attributes": "[1, 2]"}, "Invalid Attributes: must be a JSON object"),
        ({"Attributes": json.dumps({"x": "y" * 4100})}, "at most 4096 characters"),
        ({"ActivitySid": "WAxyz"}, "Invalid ActivitySid"),
        ({"FriendlyName": "n" * 65}, "Invalid FriendlyName"),
        ({"FriendlyName": ""}, "Missing required parameter FriendlyName"),
    ],
)
async def test_create_validates(
    client: httpx.AsyncClient, workspace: dict[str, Any], params: dict[str, str], message: str
) -> None:
    data = {"FriendlyName": "carol"} | params
    response = await client.post(f"{workspace['url']}/Workers", data=data)
    assert_error(response, 400, 20001, message)


async def test_list_hides_attributes_and_filters(
    client: httpx.AsyncClient, workspace: dict[str, Any], activities: dict[str, str]
) -> None:
    url = f"{workspace['url']}/Workers"
    ann = await add_worker(
        client, workspace, "Ann", ActivitySid=activities["Available"], attributes={"lang": ["en"]}
    )
    bob = await add_worker(client, workspace, "Bob", attributes={"lang": ["es"], "level": 3})
    listed = await listing(client, url)
    assert [w["sid"] for w in listed] == [ann["sid"], bob["sid"]]
    assert all(w["attributes"] is None for w in listed)
    assert_shape(listed[0], "worker")

    async def names(**query: str) -> list[str]:
        return [w["friendly_name"] for w in await listing(client, url, **query)]

    assert await names(Available="true") == ["Ann"]
    assert await names(Available="0") == ["Bob"]
    assert await names(FriendlyName="bob") == ["Bob"]
    assert await names(ActivityName="Offline") == ["Bob"]
    assert await names(ActivitySid=activities["Available"]) == ["Ann"]
    assert await names(TargetWorkersExpression="lang HAS 'es'") == ["Bob"]
    assert await names(TargetWorkersExpression="level > 1 OR activity_name == 'Available'") == [
        "Ann",
        "Bob",
    ]
    assert await names(TargetWorkersExpression="friendly_name IN ['Ann', 'Zed']") == ["Ann"]
    assert await names(TargetWorkersExpression=f"sid == '{bob['sid']}'") == ["Bob"]
    response = await client.get(url, params={"TargetWorkersExpression": "lang HAS"})
    assert_error(response, 400, 20001, "Invalid TargetWorkersExpression", "position")


async def test_queue_eligibility_filters(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = workspace["url"]
    queue = await create(
        client, f"{url}/TaskQueues", FriendlyName="Spanish", TargetWorkers="lang HAS 'es'"
    )
    await add_worker(client, workspace, "Ann", attributes={"lang": ["en"]})
    await add_worker(client, workspace, "Bob", attributes={"lang": ["es"]})
    by_sid = await listing(client, f"{url}/Workers", TaskQueueSid=queue["sid"])
    by_name = await listing(client, f"{url}/Workers", TaskQueueName="Spanish")
    assert [w["friendly_name"] for w in by_sid] == [w["friendly_name"] for w in by_name] == ["Bob"]
    assert await listing(client, f"{url}/Workers", TaskQueueName="Nope") == []


async def test_worker_channels(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    worker = await add_worker(client, workspace, "Ann")
    channels = await listing(client, f"{worker['url']}/Channels")
    assert {c["task_channel_unique_name"] for c in channels} == {
        "default", "voice", "chat", "sms", "video",
    }  # fmt: skip
    chat = next(c for c in channels if c["task_channel_unique_name"] == "chat")
    assert_shape(chat, "worker_channel")
    assert chat["url"] == f"{worker['url']}/Channels/{chat['sid']}"
    assert (chat["configured_capacity"], chat["assigned_tasks"]) == (1, 0)
    assert chat["available_capacity_percentage"] == 100
    assert ok(await client.get(chat["url"])) == chat
    assert ok(await client.get(f"{worker['url']}/Channels/chat")) == chat
    updated = ok(await client.post(chat["url"], data={"Capacity": "3", "Available": "false"}))
    assert (updated["configured_capacity"], updated["available"]) == (3, False)
    response = await client.post(chat["url"], data={"Capacity": "51"})
    assert_error(response, 400, 20001, "Invalid Capacity: must be between 0 and 50")
    assert_error(await client.get(f"{worker['url']}/Channels/nope"), 404, 20404)
