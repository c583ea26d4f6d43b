"""The event log: oldest first, time windows and sid filters, Twilio's event shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, assert_shape, create, create_workspace, listing, ok


@pytest.fixture
async def workspace(client: httpx.AsyncClient) -> dict[str, Any]:
    workspace = await create_workspace(client)
    activity = await create(client, f"{workspace['url']}/Activities", FriendlyName="Lunch")
    ok(await client.post(activity["url"], data={"FriendlyName": "Break"}))
    await create(client, f"{workspace['url']}/TaskChannels", FriendlyName="Fax", UniqueName="fax")
    return workspace


async def test_events_are_listed_oldest_first(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    events = await listing(client, f"{workspace['url']}/Events")
    types = [e["event_type"] for e in events]
    assert types == [
        "workspace.created", "activity.created", "activity.updated", "task-channel.created",
    ]  # fmt: skip
    first = events[0]
    assert_shape(first, "event")
    assert first["resource_sid"] == first["actor_sid"] == workspace["sid"]
    assert first["resource_url"] == workspace["url"]
    assert first["event_data"]["workspace_name"] == workspace["friendly_name"]
    assert isinstance(first["event_date_ms"], int)
    assert first["url"] == f"{workspace['url']}/Events/{first['sid']}"
    assert ok(await client.get(first["url"])) == first


async def test_filters(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/Events"

    async def types(**query: str) -> list[str]:
        return [e["event_type"] for e in await listing(client, url, **query)]

    assert await types(EventType="activity.updated") == ["activity.updated"]
    assert await types(EventType="activity.created,task-channel.created") == [
        "activity.created",
        "task-channel.created",
    ]
    assert await types(StartDate="2999-01-01T00:00:00Z") == []
    assert await types(EndDate="2000-01-01T00:00:00Z") == []
    assert len(await types(StartDate="2000-01-01T00:00:00.500+02:00")) == 4
    assert await types(TaskChannel="fax") == ["task-channel.created"]
    events = await listing(client, url)
    assert await types(Sid=events[1]["sid"]) == ["activity.created"]
    assert await types(Minutes="1") == [e["event_type"] for e in events]


@pytest.mark.parametrize(
    "query",
    [{"Minutes": "0"}, {"Minutes": "lots"}, {"StartDate": "May 1st"}, {"TaskSid": "WQ123"}],
)
async def test_bad_filters_are_400(
    client: httpx.AsyncClient, workspace: dict[str, Any], query: dict[str, str]
) -> None:
    assert_error(await client.get(f"{workspace['url']}/Events", params=query), 400, 20001)


async def test_task_events_link_their_task(client: httpx.AsyncClient) -> None:
    """Needs the lead's create_task (it records `task.created`)."""
    workspace = await create_workspace(client, Template="FIFO")
    task = await create(client, f"{workspace['url']}/Tasks", Attributes="{}")
    events = await listing(client, f"{workspace['url']}/Events", TaskSid=task["sid"])
    assert "task.created" in [e["event_type"] for e in events]
    created = next(e for e in events if e["event_type"] == "task.created")
    assert created["resource_url"] == task["url"]


async def test_another_workspaces_event_is_not_found(client: httpx.AsyncClient) -> None:
    first = await create_workspace(client)
    second = await create_workspace(client)
    [event] = await listing(client, f"{first['url']}/Events")
    assert_error(await client.get(f"{second['url']}/Events/{event['sid']}"), 404, 20404)


async def test_the_task_channel_filter_finds_the_channel_s_task_events(
    client: httpx.AsyncClient,
) -> None:
    """By the channel's sid or unique name; a task on another channel stays out."""
    workspace = await create_workspace(client, Template="FIFO")
    url = workspace["url"]
    fax = await create(client, f"{url}/TaskChannels", FriendlyName="Fax", UniqueName="fax")
    on_fax = await create(client, f"{url}/Tasks", Attributes="{}", TaskChannel="fax")
    await create(client, f"{url}/Tasks", Attributes="{}")  # the default channel
    for channel in ("fax", fax["sid"]):
        events = await listing(client, f"{url}/Events", TaskChannel=channel)
        task_events = [e for e in events if e["resource_type"] == "task"]
        assert {e["resource_sid"] for e in task_events} == {on_fax["sid"]}
        assert "task.created" in [e["event_type"] for e in task_events]
        assert "task-channel.created" in [e["event_type"] for e in events]
