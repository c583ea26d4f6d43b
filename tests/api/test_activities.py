"""Activities: create, fetch, rename, list filters, and the rules that protect deletion."""

from __future__ import annotations

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
    url = f"{workspace['url']}/Activities"
    activity = await create(client, url, FriendlyName="Lunch", Available="false")
    assert_shape(activity, "activity")
    assert (activity["friendly_name"], activity["available"]) == ("Lunch", False)
    assert activity["url"] == f"{url}/{activity['sid']}"
    assert activity["links"] == {"workspace": workspace["url"]}
    assert activity["workspace_sid"] == workspace["sid"]
    assert activity["account_sid"] == workspace["account_sid"]
    assert ok(await client.get(activity["url"])) == activity
    renamed = ok(await client.post(activity["url"], data={"FriendlyName": "Break"}))
    assert (renamed["friendly_name"], renamed["available"]) == ("Break", False)
    response = await client.delete(activity["url"])
    assert (response.status_code, response.content) == (204, b"")
    assert_error(await client.get(activity["url"]), 404, 20404)


@pytest.mark.parametrize(("sent", "expected"), [("true", True), ("YES", True), ("1", True),
                                                ("0", False), (None, False)])  # fmt: skip
async def test_available_accepts_twilio_booleans(
    client: httpx.AsyncClient, workspace: dict[str, Any], sent: str | None, expected: bool
) -> None:
    params = {"FriendlyName": "On call"} | ({"Available": sent} if sent else {})
    activity = await create(client, f"{workspace['url']}/Activities", **params)
    assert activity["available"] is expected


async def test_availability_cannot_change(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    activity = await create(client, f"{workspace['url']}/Activities", FriendlyName="Lunch")
    response = await client.post(activity["url"], data={"Available": "true"})
    assert_error(response, 400, 20001, "Available")


async def test_names_are_unique(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/Activities"
    assert_error(await client.post(url, data={"FriendlyName": "Offline"}), 400, 20001, "Offline")
    lunch = await create(client, url, FriendlyName="Lunch")
    response = await client.post(lunch["url"], data={"FriendlyName": "Available"})
    assert_error(response, 400, 20001, "FriendlyName")


async def test_create_validates(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/Activities"
    assert_error(
        await client.post(url, data={}), 400, 20001, "Missing required parameter FriendlyName"
    )
    response = await client.post(url, data={"FriendlyName": "x", "Available": "maybe"})
    assert_error(response, 400, 20001, "Invalid Available")


async def test_list_filters(client: httpx.AsyncClient, workspace: dict[str, Any]) -> None:
    url = f"{workspace['url']}/Activities"
    available = await listing(client, url, Available="true")
    assert [a["friendly_name"] for a in available] == ["Available"]
    unavailable = await listing(client, url, Available="false")
    assert {a["friendly_name"] for a in unavailable} == {"Offline", "Unavailable"}
    [offline] = await listing(client, url, FriendlyName="Offline")
    assert_shape(offline, "activity")
    assert await listing(client, url, FriendlyName="Nobody") == []
    assert_error(await client.get(url, params={"Available": "sometimes"}), 400, 20001)


async def test_default_and_timeout_activities_cannot_be_deleted(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    offline = workspace["default_activity_sid"]
    response = await client.delete(f"{workspace['url']}/Activities/{offline}")
    assert_error(response, 400, 20001, offline)


async def test_an_activity_a_worker_is_in_cannot_be_deleted(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    """Needs the lead's create_worker."""
    available = (await activity_sids(client, workspace["url"]))["Available"]
    await create(client, f"{workspace['url']}/Workers", FriendlyName="alice", ActivitySid=available)
    response = await client.delete(f"{workspace['url']}/Activities/{available}")
    assert_error(response, 400, 20001, "Workers")


async def test_an_activity_a_queue_uses_cannot_be_deleted(
    client: httpx.AsyncClient, workspace: dict[str, Any]
) -> None:
    url = workspace["url"]
    busy = await create(client, f"{url}/Activities", FriendlyName="Busy")
    await create(client, f"{url}/TaskQueues", FriendlyName="q", AssignmentActivitySid=busy["sid"])
    assert_error(await client.delete(busy["url"]), 400, 20001, "TaskQueue")
