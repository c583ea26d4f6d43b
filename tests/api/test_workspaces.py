"""Workspaces: defaults on creation, templates, updates, deletion of everything inside."""

from __future__ import annotations

import httpx

from switchboard.distribution.domain.records import (
    Activity,
    Event,
    TaskChannel,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
)
from switchboard.kernel.criteria import eq
from switchboard.kernel.ports import Store
from tests.api.helpers import (
    activity_sids,
    assert_error,
    assert_shape,
    create,
    create_workspace,
    listing,
    ok,
)


async def test_create_returns_every_field_with_twilio_defaults(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(client, FriendlyName="Acme")
    assert_shape(workspace, "workspace")
    sid = workspace["sid"]
    assert workspace["url"] == f"http://testserver/v1/Workspaces/{sid}"
    assert workspace["friendly_name"] == "Acme"
    assert workspace["multi_task_enabled"] is True
    assert workspace["prioritize_queue_order"] == "FIFO"
    assert workspace["default_activity_name"] == workspace["timeout_activity_name"] == "Offline"
    assert workspace["event_callback_url"] is None
    assert workspace["links"]["activities"] == f"{workspace['url']}/Activities"
    assert workspace["links"]["real_time_statistics"] == f"{workspace['url']}/RealTimeStatistics"
    assert set(workspace["links"]) == {
        "activities", "statistics", "real_time_statistics", "cumulative_statistics",
        "task_queues", "tasks", "workers", "workflows", "task_channels", "events",
    }  # fmt: skip


async def test_new_workspaces_get_default_activities_and_channels(
    client: httpx.AsyncClient,
) -> None:
    workspace = await create_workspace(client)
    activities = await listing(client, f"{workspace['url']}/Activities")
    available = {a["friendly_name"]: a["available"] for a in activities}
    assert available == {"Offline": False, "Available": True, "Unavailable": False}
    offline = next(a for a in activities if a["friendly_name"] == "Offline")
    assert workspace["default_activity_sid"] == offline["sid"]
    channels = await listing(client, f"{workspace['url']}/TaskChannels")
    names = {c["unique_name"]: c["friendly_name"] for c in channels}
    assert set(names) == {"default", "voice", "chat", "sms", "video"}
    assert names["voice"] == "Voice"
    assert not any(c["channel_optimized_routing"] for c in channels)
    assert await listing(client, f"{workspace['url']}/TaskQueues") == []


async def test_the_fifo_template_adds_a_queue_and_a_workflow(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(client, Template="FIFO")
    [queue] = await listing(client, f"{workspace['url']}/TaskQueues")
    assert (queue["friendly_name"], queue["target_workers"]) == ("Sample Queue", "1==1")
    [workflow] = await listing(client, f"{workspace['url']}/Workflows")
    assert workflow["friendly_name"] == "Default Fifo Workflow"
    assert queue["sid"] in workflow["configuration"]


async def test_create_options(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(
        client,
        EventCallbackUrl="https://example.com/events",
        EventsFilter="task.created,task.canceled",
        MultiTaskEnabled="false",
        PrioritizeQueueOrder="LIFO",
    )
    assert workspace["event_callback_url"] == "https://example.com/events"
    assert workspace["events_filter"] == "task.created,task.canceled"
    assert workspace["multi_task_enabled"] is False
    assert workspace["prioritize_queue_order"] == "LIFO"


async def test_create_validates_parameters(client: httpx.AsyncClient) -> None:
    cases = [
        ({}, "Missing required parameter FriendlyName in the post body"),
        ({"FriendlyName": "x" * 65}, "Invalid FriendlyName: must be at most 64 characters"),
        ({"FriendlyName": "a", "MultiTaskEnabled": "perhaps"}, "Invalid MultiTaskEnabled"),
        ({"FriendlyName": "a", "PrioritizeQueueOrder": "RANDOM"}, "Invalid PrioritizeQueueOrder"),
        ({"FriendlyName": "a", "Template": "LIFO"}, "Invalid Template"),
        ({"FriendlyName": "a", "EventCallbackUrl": "ftp://x"}, "Invalid EventCallbackUrl"),
    ]
    for params, message in cases:
        assert_error(await client.post("/v1/Workspaces", data=params), 400, 20001, message)


async def test_an_unknown_event_type_in_events_filter_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """A typo would silently stop every event callback of the workspace (issue 11)."""
    params = {"FriendlyName": "a", "EventsFilter": "task.created, task.create"}
    response = await client.post("/v1/Workspaces", data=params)
    assert_error(response, 400, 20001, "Invalid EventsFilter", "'task.create'", "task.created")
    created = await client.post("/v1/Workspaces", data={"FriendlyName": "b"})
    url = f"/v1/Workspaces/{created.json()['sid']}"
    response = await client.post(url, data={"EventsFilter": "reservation.acepted"})
    assert_error(response, 400, 20001, "'reservation.acepted'")
    accepted = await client.post(url, data={"EventsFilter": "reservation.accepted"})
    assert accepted.json()["events_filter"] == "reservation.accepted"


async def test_fetch_and_update(client: httpx.AsyncClient) -> None:
    workspace = await create_workspace(client)
    url = workspace["url"]
    assert ok(await client.get(url)) == workspace
    activities = await activity_sids(client, url)
    updated = ok(
        await client.post(
            url,
            data={
                "FriendlyName": "Renamed",
                "DefaultActivitySid": activities["Available"],
                "TimeoutActivitySid": activities["Unavailable"],
                "MultiTaskEnabled": "no",
                "PrioritizeQueueOrder": "LIFO",
                "EventCallbackUrl": "https://example.com/cb",
            },
        )
    )
    assert_shape(updated, "workspace")
    assert updated["friendly_name"] == "Renamed"
    assert updated["default_activity_name"] == "Available"
    assert updated["timeout_activity_name"] == "Unavailable"
    assert (updated["multi_task_enabled"], updated["prioritize_queue_order"]) == (False, "LIFO")
    assert updated["event_callback_url"] == "https://example.com/cb"
    assert ok(await client.get(url)) == updated


async def test_default_activity_must_belong_to_the_workspace(client: httpx.AsyncClient) -> None:
    first = await create_workspace(client)
    second = await create_workspace(client)
    foreign = (await activity_sids(client, second["url"]))["Available"]
    response = await client.post(first["url"], data={"DefaultActivitySid": foreign})
    assert_error(response, 400, 20001, "DefaultActivitySid")
    response = await client.post(first["url"], data={"TimeoutActivitySid": "WA123"})
    assert_error(response, 400, 20001, "TimeoutActivitySid")


async def test_list_with_friendly_name_filter(client: httpx.AsyncClient) -> None:
    await create_workspace(client, FriendlyName="One")
    two = await create_workspace(client, FriendlyName="Two")
    body = ok(await client.get("/v1/Workspaces", params={"FriendlyName": "Two"}))
    assert [w["sid"] for w in body["workspaces"]] == [two["sid"]]
    assert_shape(body["workspaces"][0], "workspace")
    assert len(await listing(client, "/v1/Workspaces")) == 2


async def test_delete_removes_everything_inside(client: httpx.AsyncClient, store: Store) -> None:
    workspace = await create_workspace(client, Template="FIFO")
    url = workspace["url"]
    await create(client, f"{url}/Workers", FriendlyName="alice")
    response = await client.delete(url)
    assert (response.status_code, response.content) == (204, b"")
    assert_error(await client.get(url), 404, 20404)
    assert_error(await client.get(f"{url}/Activities"), 404, 20404)
    async with store.read() as unit:
        for kind in (Activity, TaskQueue, Workflow, Worker, WorkerChannel, TaskChannel, Event):
            assert await unit.count(kind, eq("workspace_sid", workspace["sid"])) == 0, kind
    assert_error(await client.delete(url), 404, 20404)
