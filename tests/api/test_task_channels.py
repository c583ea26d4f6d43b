"""TaskChannels: addressed by sid or unique name; new channels reach every worker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, assert_shape, create, create_workspace, listing, ok


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_workspace(client)


async def test_crud(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/TaskChannels"
    channel = await create(
        client, url, FriendlyName="Email", UniqueName="email", ChannelOptimizedRouting="true"
    )
    assert_shape(channel, "task_channel")
    assert (channel["unique_name"], channel["channel_optimized_routing"]) == ("email", True)
    assert channel["url"] == f"{url}/{channel['sid']}"
    assert channel["links"] == {"workspace": workspace["url"]}
    assert ok(await client.get(channel["url"])) == channel
    assert ok(await client.get(f"{url}/email")) == channel
    updated = ok(
        await client.post(
            f"{url}/email", data={"FriendlyName": "E-mail", "ChannelOptimizedRouting": "false"}
        )
    )
    assert (updated["friendly_name"], updated["channel_optimized_routing"]) == ("E-mail", False)
    assert (await client.delete(f"{url}/email")).status_code == 204
    assert_error(await client.get(channel["url"]), 404, 20404)


async def test_unique_names_are_unique(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = f"{workspace['url']}/TaskChannels"
    response = await client.post(url, data={"FriendlyName": "Voice 2", "UniqueName": "voice"})
    assert_error(response, 400, 20001, "UniqueName")


async def test_create_requires_both_names(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = f"{workspace['url']}/TaskChannels"
    response = await client.post(url, data={"FriendlyName": "Email"})
    assert_error(response, 400, 20001, "Missing required parameter UniqueName")
    response = await client.post(url, data={"UniqueName": "email"})
    assert_error(response, 400, 20001, "Missing required parameter FriendlyName")


async def test_a_new_channel_is_added_to_every_worker(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    """Needs the lead's create_worker."""
    url = workspace["url"]
    worker = await create(client, f"{url}/Workers", FriendlyName="alice")
    await create(client, f"{url}/TaskChannels", FriendlyName="Email", UniqueName="email")
    channels = await listing(client, f"{worker['url']}/Channels")
    email = next(c for c in channels if c["task_channel_unique_name"] == "email")
    assert (email["configured_capacity"], email["available"]) == (1, True)
    assert email["sid"].startswith("WC")


async def test_a_channel_with_open_tasks_cannot_be_deleted(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    """Needs the lead's create_task."""
    ws = await create_workspace(client, Template="FIFO")
    await create(client, f"{ws['url']}/Tasks", TaskChannel="chat")
    response = await client.delete(f"{ws['url']}/TaskChannels/chat")
    assert_error(response, 400, 20001, "open Tasks")
