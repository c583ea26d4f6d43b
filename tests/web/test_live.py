"""`/supervisor/live` over a real socket: pushed after every change, closed for strangers.

(How fast a change reaches the page is measured in the browser: tests/web/test_browser.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from switchboard.web.people import NewUser, People
from tests.callbacks.support import Live, live_server
from tests.live import HTTP_TIMEOUT
from tests.web.pages_support import sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    async with live_server(database_url) as live:
        yield live


async def _floor(
    live: Live, **extra: str
) -> tuple[httpx.AsyncClient, dict[str, Any], dict[str, str]]:
    api = httpx.AsyncClient(
        base_url=live.base_url, auth=(live.account_sid, live.auth_token), timeout=HTTP_TIMEOUT
    )
    data = {"FriendlyName": "Floor", **extra}
    workspace = (await api.post("/v1/Workspaces", data=data)).json()
    listed = (await api.get(f"{workspace['url']}/Activities")).json()["activities"]
    activities = {a["friendly_name"]: a["sid"] for a in listed}
    data = {"FriendlyName": "Alice", "ActivitySid": activities["Offline"]}
    worker = (await api.post(f"{workspace['url']}/Workers", data=data)).json()
    workspace["alice"] = worker
    return api, workspace, activities


async def _session(live: Live, account_sid: str, email: str) -> str:
    people = live.runtime.deps.get(People)
    await people.create(NewUser(account_sid, email, "Sue", "supervisor", PASSWORD))
    async with httpx.AsyncClient(base_url=live.base_url, timeout=HTTP_TIMEOUT) as browser:
        answer = await sign_in(browser, email, PASSWORD)
        assert answer.status_code == 303
        return str(browser.cookies["sb_session"])


def _socket(live: Live, workspace_sid: str, cookie: str | None, origin: str | None = None) -> Any:
    url = live.base_url.replace("http", "ws", 1) + f"/supervisor/live?workspace={workspace_sid}"
    headers = {"Cookie": f"sb_session={cookie}"} if cookie else {}
    return connect(url, additional_headers=headers, origin=origin)  # type: ignore[arg-type]


async def _next(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of that kind (floors and charts interleave)."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert message["type"] in ("floor", "charts")
        if message["type"] == kind:
            return message


async def _next_floor(socket: ClientConnection) -> dict[str, Any]:
    return await _next(socket, "floor")


async def test_the_floor_is_pushed_after_a_change(live: Live) -> None:
    api, workspace, activities = await _floor(live)
    cookie = await _session(live, live.account_sid, "sue@example.com")
    try:
        await _watch_a_change(live, api, workspace, activities, cookie)
    finally:
        await api.aclose()


async def _watch_a_change(
    live: Live,
    api: httpx.AsyncClient,
    workspace: dict[str, Any],
    activities: dict[str, str],
    cookie: str,
) -> None:
    async with _socket(live, workspace["sid"], cookie, live.base_url) as socket:
        first = await _next_floor(socket)
        assert [(w["friendly_name"], w["activity_name"]) for w in first["workers"]] == [
            ("Alice", "Offline")
        ]
        data = {"ActivitySid": activities["Available"]}
        assert (await api.post(workspace["alice"]["url"], data=data)).status_code == 200
        pushed = await _next_floor(socket)
        assert pushed["workers"][0]["activity_name"] == "Available"
        assert pushed["workers"][0]["since_ms"] > first["workers"][0]["since_ms"]


async def test_the_floor_carries_service_levels_and_the_charts_follow(live: Live) -> None:
    """A task answered at once and one abandoned: 50 % today; the charts come drawn."""
    api, workspace, activities = await _floor(live, Template="FIFO")
    cookie = await _session(live, live.account_sid, "sue@example.com")
    url = workspace["url"]
    try:
        async with _socket(live, workspace["sid"], cookie, live.base_url) as socket:
            first = await _next_floor(socket)
            drawn = await _next(socket, "charts")
            assert set(drawn["charts"]) == {
                "tasks",
                "service-level",
                "forecast",
                "staffing",
                "cpa",
                "roi",
            }
            assert "<svg" in drawn["charts"]["tasks"]
            assert first["supervision"]["target"] == {"share": 0.8, "answer_seconds": 20}
            [queue] = first["supervision"]["queues"]
            assert queue["service_level_today"] is None
            await api.post(workspace["alice"]["url"], data={"ActivitySid": activities["Available"]})
            flows = (await api.get(f"{url}/Workflows")).json()["workflows"]
            answered = (
                await api.post(f"{url}/Tasks", data={"WorkflowSid": flows[0]["sid"]})
            ).json()
            reservation = await _reservation(api, answered["url"])
            await api.post(reservation, data={"ReservationStatus": "accepted"})
            await api.post(workspace["alice"]["url"], data={"ActivitySid": activities["Offline"]})
            left = (await api.post(f"{url}/Tasks", data={"WorkflowSid": flows[0]["sid"]})).json()
            await api.post(left["url"], data={"AssignmentStatus": "canceled"})
            while True:
                pushed = await _next_floor(socket)
                [queue] = pushed["supervision"]["queues"]
                if queue["abandoned_today"] == 1 and queue["answered_today"] == 1:
                    break
            assert queue["service_level_today"] == 0.5
            assert queue["service_level_30_min"] == 0.5
    finally:
        await api.aclose()


async def _reservation(api: httpx.AsyncClient, task_url: str) -> str:
    for _ in range(100):
        listed = (await api.get(f"{task_url}/Reservations")).json()["reservations"]
        if listed:
            return str(listed[0]["url"])
        await asyncio.sleep(0.05)
    raise AssertionError("no reservation")


async def _refused(socket_context: Any) -> int | None:
    async with socket_context as socket:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        code: int | None = socket.close_code
        return code


async def test_strangers_are_refused_with_4401(live: Live) -> None:
    api, workspace, _activities = await _floor(live)
    await api.aclose()
    other, _token = await live.runtime.core.accounts.create("Other")
    stranger = await _session(live, other.sid, "eve@example.com")
    sue = await _session(live, live.account_sid, "sue@example.com")
    assert await _refused(_socket(live, workspace["sid"], None)) == 4401
    assert await _refused(_socket(live, workspace["sid"], stranger)) == 4401
    assert await _refused(_socket(live, workspace["sid"], sue, "http://evil.example")) == 4401
