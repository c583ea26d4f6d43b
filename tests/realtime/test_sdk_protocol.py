"""The JavaScript SDK's protocol at `/v1/wschannels`, spoken by a plain client.

What the SDK relies on but cannot show a test: the `init` message, whitespace
heartbeats (it drops a socket silent for 30 s), `closeExistingSessions`, refusals,
and the request bridge's answers and errors (tests/js drives the SDK itself).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
from websockets.asyncio.client import ClientConnection, connect

from switchboard.distribution.domain.records import Reservation, Workflow
from switchboard.distribution.work.reservations import ReservationUpdate, update_reservation
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from tests.callbacks.support import Live, eventually


async def _worker(live: Live) -> str:
    await live.workspace()
    queue = await live.queue("All")
    await live.workflow(queue)
    return await live.worker("Alice")


def _token(live: Live, worker: str, **grants: Any) -> str:
    token = WorkerCapabilityToken(
        live.account_sid, live.auth_token, live.workspace_sid, worker, **grants
    )
    return str(token.to_jwt())


def _socket(live: Live, token: str, close_existing: bool = False) -> Any:
    flag = str(close_existing).lower()
    url = f"ws{live.base_url[4:]}/v1/wschannels?token={token}&closeExistingSessions={flag}"
    return connect(url)


async def _advance(live: Live, seconds: float, steps: int = 20) -> None:
    for _ in range(steps):
        live.clock.advance(seconds / steps)
        await asyncio.sleep(0.01)


async def _bridge(live: Live, token: str, method: str, url: str, **params: Any) -> Any:
    body = json.dumps({"url": url, "method": method, "params": params, "token": token})
    async with httpx.AsyncClient(base_url=live.base_url, timeout=10) as http:  # no Basic auth
        # the SDK posts the JSON text with axios's default content type
        return await http.post(
            "/v1/wschannels",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded", "apiVersion": "v1"},
        )


async def test_the_socket_opens_with_init_naming_the_token_s_worker(live: Live) -> None:
    worker = await _worker(live)
    async with _socket(live, _token(live, worker, ttl=600)) as socket:
        init = json.loads(await socket.recv())
    assert init["event_type"] == "init"
    payload = init["payload"]
    assert (payload["channel_id"], payload["account_sid"]) == (worker, live.account_sid)
    assert payload["workspace_sid"] == live.workspace_sid
    assert 590_000 <= payload["token_lifetime"] <= 600_000  # milliseconds, as the SDK counts


async def test_a_quiet_socket_gets_whitespace_heartbeats(live: Live) -> None:
    worker = await _worker(live)
    async with _socket(live, _token(live, worker)) as socket:
        await socket.recv()  # init
        await _advance(live, 12)  # the heartbeat interval is 10 s
        assert await asyncio.wait_for(socket.recv(), 30) == " "
        await _advance(live, 100)  # the SDK never speaks: silence does not close this socket
        assert await asyncio.wait_for(socket.recv(), 30) == " "


async def test_events_carry_the_resource_as_the_sdk_reads_it(live: Live) -> None:
    worker = await _worker(live)
    async with _socket(live, _token(live, worker)) as socket:
        await socket.recv()
        queue_wf = await live.workflow(await live.queue("Second"))
        task = await live.task(queue_wf, type="support")
        message = await _next_event(socket, "reservation.created")
    reservation = message["payload"]
    assert reservation["reservation_status"] == "pending"
    assert (reservation["worker_sid"], reservation["task"]["sid"]) == (worker, task)
    assert json.loads(reservation["task"]["attributes"]) == {"type": "support"}
    assert isinstance(reservation["date_created"], int)  # epoch seconds, not ISO text
    assert reservation["task"]["queue_name"] == "Second"


async def _next_event(socket: ClientConnection, event_type: str) -> dict[str, Any]:
    while True:
        raw = await asyncio.wait_for(socket.recv(), 30)
        if raw.strip() and json.loads(raw)["event_type"] == event_type:
            return dict(json.loads(raw))


async def test_close_existing_sessions_closes_the_worker_s_other_sockets(live: Live) -> None:
    worker = await _worker(live)
    token = _token(live, worker)
    async with _socket(live, token) as first, _socket(live, token) as second:
        await first.recv()
        await second.recv()
        async with _socket(live, token, close_existing=True) as third:
            assert json.loads(await third.recv())["event_type"] == "init"
            for old in (first, second):
                await asyncio.wait_for(old.wait_closed(), 5)
                assert old.close_code == 4409


async def test_a_refused_token_closes_the_socket_with_4401_and_the_reason(live: Live) -> None:
    worker = await _worker(live)
    async with _socket(live, _token(live, worker, ttl=-60)) as socket:
        await asyncio.wait_for(socket.wait_closed(), 5)
    assert (socket.close_code, socket.close_reason) == (4401, "token expired")


async def test_the_bridge_answers_with_the_payload_the_sdk_reads(live: Live) -> None:
    worker = await _worker(live)
    token = _token(live, worker)
    path = f"Workspaces/{live.workspace_sid}/Workers/{worker}"
    answer = await _bridge(live, token, "GET", path)
    assert answer.status_code == 200, answer.text
    payload = answer.json()["payload"]
    assert (payload["sid"], payload["friendly_name"]) == (worker, "Alice")
    assert isinstance(payload["version"], int) and isinstance(payload["date_updated"], int)
    activities = await _bridge(live, token, "GET", f"Workspaces/{live.workspace_sid}/Activities")
    names = {a["friendly_name"] for a in activities.json()["payload"]["contents"]}
    assert {"Available", "Offline"} <= names


async def test_the_bridge_refuses_what_the_token_does_not_allow(live: Live) -> None:
    worker = await _worker(live)
    plain = _token(live, worker)  # no update policies at all
    path = f"Workspaces/{live.workspace_sid}/Workers/{worker}"
    answer = await _bridge(live, plain, "POST", path, ActivitySid=live.activities["Offline"])
    assert answer.status_code == 403
    assert answer.json()["code"] == 20403
    activities_only = _token(live, worker, allow_update_activities=True)
    # its post_filter requires ActivitySid: attributes alone are refused
    refused = await _bridge(live, activities_only, "POST", path, Attributes={"x": 1})
    assert refused.status_code == 403
    allowed = await _bridge(
        live, activities_only, "POST", path, ActivitySid=live.activities["Offline"]
    )
    assert allowed.json()["payload"]["activity_name"] == "Offline"


async def test_the_bridge_refuses_bad_tokens_and_other_workspaces(live: Live) -> None:
    worker = await _worker(live)
    expired = await _bridge(
        live, _token(live, worker, ttl=-60), "GET", f"Workspaces/{live.workspace_sid}/Activities"
    )
    assert (expired.status_code, expired.json()["code"]) == (403, 20003)
    assert "token expired" in expired.json()["message"]
    other = "WS" + "0" * 32
    token = _token(live, worker, allow_fetch_subresources=True)
    foreign = await _bridge(live, token, "GET", f"Workspaces/{other}/Activities")
    assert foreign.status_code == 403  # no policy names another workspace
    malformed = await _bridge(live, token, "DELETE", f"Workspaces/{live.workspace_sid}/Activities")
    assert (malformed.status_code, malformed.json()["code"]) == (400, 20001)


async def test_task_events_reach_a_socket_opened_after_the_task_was_accepted(live: Live) -> None:
    worker = await _worker(live)
    [workflow] = await live.rows(Workflow, workspace_sid=live.workspace_sid)
    task = await live.task(workflow.sid)
    [offer] = await eventually(lambda: live.rows(Reservation, task_sid=task))
    accept = ReservationUpdate(reservation_status="accepted")
    await update_reservation(live.svc, live.account_sid, live.workspace_sid, offer.sid, accept)
    async with _socket(live, _token(live, worker)) as socket:
        await socket.recv()  # init
        change = TaskUpdate(attributes=json.dumps({"n": 2}))
        await update_task(live.svc, live.account_sid, live.workspace_sid, task, change)
        updated = await _next_event(socket, "task.updated")
    assert updated["payload"]["sid"] == task
    assert json.loads(updated["payload"]["attributes"]) == {"n": 2}
