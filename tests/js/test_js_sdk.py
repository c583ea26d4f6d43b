"""The official TaskRouter JavaScript SDK (`twilio-taskrouter` from npm) against a live server.

Each test runs the SDK's own `Worker` under node (tests/js/worker.js), with a token
minted by the Python SDK's `WorkerCapabilityToken`, exactly as a team moving from
Twilio would; tasks are created through the REST API.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken, WorkspaceCapabilityToken

from switchboard.distribution.domain.records import Reservation, Task, Worker
from tests.callbacks.support import Live
from tests.js.support import NODE, js_worker, run_script
from tests.live import HTTP_TIMEOUT, LiveServer, create_account

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.slow,
]


def sdk_token(live: Live, worker_sid: str, **options: bool) -> str:
    """The policies the SDK needs (Twilio's quickstart grants the same)."""
    grants = {
        "allow_update_self": True,
        "allow_fetch_subresources": True,
        "allow_update_activities": True,
        "allow_update_reservations": True,
        **options,
    }
    token = WorkerCapabilityToken(
        live.account_sid, live.auth_token, live.workspace_sid, worker_sid, **grants
    )
    return str(token.to_jwt())


async def center(live: Live, *, max_reserved: int = 1) -> str:
    await live.workspace()
    queue = await live.queue("Support")
    if max_reserved > 1:
        async with live.http() as http:
            path = f"/v1/Workspaces/{live.workspace_sid}/TaskQueues/{queue}"
            answer = await http.post(path, data={"MaxReservedWorkers": str(max_reserved)})
            assert answer.status_code == 200, answer.text
    return await live.workflow(queue)


async def rest_task(live: Live, workflow_sid: str, **attributes: object) -> str:
    async with live.http() as http:
        answer = await http.post(
            f"/v1/Workspaces/{live.workspace_sid}/Tasks",
            data={"WorkflowSid": workflow_sid, "Attributes": json.dumps(attributes)},
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["sid"])


async def test_a_worker_goes_available_accepts_and_completes_a_task(live: Live) -> None:
    wf = await center(live)
    alice = await live.worker("Alice", activity="Offline", skills=["support"])
    async with js_worker(live.base_url, sdk_token(live, alice)) as sdk:
        ready = await sdk.next("ready")
        assert (ready["sid"], ready["account_sid"]) == (alice, live.account_sid)
        assert ready["workspace_sid"] == live.workspace_sid
        assert (ready["activity"], ready["available"]) == ("Offline", False)
        assert ready["attributes"] == {"skills": ["support"]}
        assert {a["name"] for a in ready["activities"]} >= {"Available", "Offline"}
        assert ready["channels"] and ready["reservations"] == []

        went = await sdk.call("activity", name="Available")
        assert went == {"activity": "Available", "available": True}
        assert (await live.get(Worker, alice)).available

        task = await rest_task(live, wf, type="support", customer="Bob")
        created = (await sdk.next("reservationCreated"))["reservation"]
        assert (created["task_sid"], created["status"]) == (task, "pending")
        assert created["task_attributes"] == {"type": "support", "customer": "Bob"}
        assert (created["task_queue"], created["task_channel"]) == ("Support", "default")

        accepted = await sdk.call("accept", sid=created["sid"])
        assert accepted["status"] == "accepted"
        assert (await sdk.next("reservation.accepted"))["reservation"]["status"] == "accepted"

        done = await sdk.call("complete", sid=created["sid"], reason="resolved")
        assert done == {"task_sid": task, "status": "completed", "reason": "resolved"}
        await sdk.next("reservation.completed")
        assert (await sdk.next("task.completed"))["reason"] == "resolved"
    row = await live.get(Task, task)
    assert (row.assignment_status, row.reason) == ("completed", "resolved")
    assert (await live.get(Reservation, created["sid"])).status == "completed"


async def test_a_rejected_reservation_goes_to_the_next_worker(live: Live) -> None:
    wf = await center(live)
    alice = await live.worker("Alice")
    async with js_worker(live.base_url, sdk_token(live, alice)) as sdk:
        await sdk.next("ready")
        task = await rest_task(live, wf)
        offer = (await sdk.next("reservationCreated"))["reservation"]
        assert (await sdk.call("reject", sid=offer["sid"]))["status"] == "rejected"
        assert (await sdk.next("reservation.rejected"))["reservation"]["task_sid"] == task
        assert await sdk.call("reservations") == []
    assert (await live.get(Reservation, offer["sid"])).status == "rejected"


async def test_an_offer_left_unanswered_times_out(live: Live) -> None:
    wf = await center(live)
    alice = await live.worker("Alice")
    async with js_worker(live.base_url, sdk_token(live, alice)) as sdk:
        await sdk.next("ready")
        await rest_task(live, wf)
        offer = (await sdk.next("reservationCreated"))["reservation"]
        live.clock.advance(121)  # the workflow's TaskReservationTimeout is 120 s
        timed_out = await sdk.next("reservation.timeout")
        assert (timed_out["reservation"]["sid"], timed_out["reservation"]["status"]) == (
            offer["sid"],
            "timeout",
        )
    assert (await live.get(Reservation, offer["sid"])).status == "timeout"


async def test_other_offers_of_a_task_are_rescinded_when_one_worker_accepts(live: Live) -> None:
    wf = await center(live, max_reserved=2)
    alice, bob = await live.worker("Alice"), await live.worker("Bob")
    async with (
        js_worker(live.base_url, sdk_token(live, alice)) as sdk_alice,
        js_worker(live.base_url, sdk_token(live, bob)) as sdk_bob,
    ):
        await sdk_alice.next("ready")
        await sdk_bob.next("ready")
        task = await rest_task(live, wf)
        offer_alice = (await sdk_alice.next("reservationCreated"))["reservation"]
        offer_bob = (await sdk_bob.next("reservationCreated"))["reservation"]
        assert offer_alice["task_sid"] == offer_bob["task_sid"] == task
        await sdk_alice.call("accept", sid=offer_alice["sid"])
        rescinded = await sdk_bob.next("reservation.rescinded")
        assert rescinded["reservation"]["sid"] == offer_bob["sid"]
        assert await sdk_bob.call("reservations") == []


async def test_wrap_up_then_complete(live: Live) -> None:
    wf = await center(live)
    alice = await live.worker("Alice")
    async with js_worker(live.base_url, sdk_token(live, alice)) as sdk:
        await sdk.next("ready")
        task = await rest_task(live, wf)
        offer = (await sdk.next("reservationCreated"))["reservation"]
        await sdk.call("accept", sid=offer["sid"])
        assert await sdk.call("wrap", sid=offer["sid"]) == {"task_sid": task, "status": "wrapping"}
        assert (await sdk.next("task.wrapup"))["status"] == "wrapping"
        assert (await live.get(Task, task)).assignment_status == "wrapping"
        await sdk.call("complete", sid=offer["sid"], reason="wrapped")
        await sdk.next("task.completed")
    assert (await live.get(Task, task)).assignment_status == "completed"


async def test_set_attributes_reaches_the_store_and_comes_back_as_an_event(live: Live) -> None:
    await center(live)
    alice = await live.worker("Alice", languages=["en"])
    async with js_worker(live.base_url, sdk_token(live, alice)) as sdk:
        await sdk.next("ready")
        result = await sdk.call("attributes", attributes={"languages": ["en", "fr"], "level": 2})
        assert result["attributes"] == {"languages": ["en", "fr"], "level": 2}
        event = await sdk.next("attributesUpdated")
        assert event["attributes"] == {"languages": ["en", "fr"], "level": 2}
    stored = await live.get(Worker, alice)
    assert json.loads(stored.attributes) == {"languages": ["en", "fr"], "level": 2}


async def test_version_checked_updates_follow_the_worker_s_version(live: Live) -> None:
    """With `enableVersionCheck` the SDK sends If-Match with the version it tracks, and it
    adds one for each offer, as Twilio's worker version grows with each reservation."""
    wf = await center(live)
    alice = await live.worker("Alice")
    async with js_worker(live.base_url, sdk_token(live, alice), version_check=True) as sdk:
        await sdk.next("ready")
        first = await sdk.call("attributes", attributes={"step": 1})
        await rest_task(live, wf)
        offer = (await sdk.next("reservationCreated"))["reservation"]
        await sdk.call("accept", sid=offer["sid"])
        # the task's new version reaches the SDK with the event, which may come after the
        # REST answer: a version-checked complete sent before it would be stale (412)
        await sdk.next("reservation.accepted")
        second = await sdk.call("attributes", attributes={"step": 2})
        done = await sdk.call("complete", sid=offer["sid"], reason="checked")
    assert done["status"] == "completed"
    assert int(second["version"]) == int(first["version"]) + 2  # the offer, then the update
    assert json.loads((await live.get(Worker, alice)).attributes) == {"step": 2}


async def test_a_token_without_the_update_policy_cannot_change_attributes(live: Live) -> None:
    await center(live)
    alice = await live.worker("Alice")
    token = sdk_token(live, alice, allow_update_self=False)
    async with js_worker(live.base_url, token) as sdk:
        await sdk.next("ready")
        with pytest.raises(AssertionError, match="status code 403"):
            await sdk.call("attributes", attributes={"level": 3})
    assert json.loads((await live.get(Worker, alice)).attributes) == {}


async def test_the_supervisor_side_workspace_reads_workers_queues_and_tasks(live: Live) -> None:
    wf = await center(live)
    await live.worker("Alice", skills=["support"])
    await live.worker("Bob", activity="Offline", skills=["sales"])
    task = await live.task(wf, type="support")
    token = WorkspaceCapabilityToken(
        live.account_sid, live.auth_token, live.workspace_sid, allow_fetch_subresources=True
    ).to_jwt()
    read = await run_script("workspace.js", live.base_url, str(token), live.workspace_sid, task)
    assert read.get("error") is None, read
    assert (read["workers"], read["supporters"]) == (["Alice", "Bob"], ["Alice"])
    assert read["queues"] == ["Support"]
    assert read["queue"] == {"name": "Support", "target_workers": "1==1"}
    assert read["worker"]["name"] in ("Alice", "Bob")
    assert read["task"]["sid"] == task
    assert read["task"]["attributes"] == {"type": "support"}


async def test_a_workspace_token_without_a_read_policy_is_refused(live: Live) -> None:
    wf = await center(live)
    task = await live.task(wf)
    token = WorkspaceCapabilityToken(live.account_sid, live.auth_token, live.workspace_sid)
    args = (live.base_url, str(token.to_jwt()), live.workspace_sid, task)
    refused = await run_script("workspace.js", *args)
    assert "status code 403" in refused["error"]


async def _served_center(http: httpx.AsyncClient) -> tuple[str, str, str]:
    """Workspace, workflow and an Offline worker, through REST: (ws, workflow, worker)."""

    async def post(path: str, **data: str) -> str:
        answer = await http.post(f"/v1/Workspaces{path}", data=data)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["sid"])

    ws = await post("", FriendlyName="Restart")
    queue = await post(f"/{ws}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    routing = json.dumps({"task_routing": {"default_filter": {"queue": queue}}})
    workflow = await post(f"/{ws}/Workflows", FriendlyName="wf", Configuration=routing)
    return ws, workflow, await post(f"/{ws}/Workers", FriendlyName="Alice")


async def test_after_a_server_restart_the_sdk_reconnects_and_finds_its_offer(
    database_url: str, tmp_path: Path
) -> None:
    account_sid, auth_token = await asyncio.to_thread(create_account, database_url)
    server = LiveServer(database_url, tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        auth = (account_sid, auth_token)
        async with httpx.AsyncClient(
            base_url=server.base_url, auth=auth, timeout=HTTP_TIMEOUT
        ) as http:
            ws, workflow, worker = await _served_center(http)
            token = WorkerCapabilityToken(
                account_sid,
                auth_token,
                ws,
                worker,
                allow_update_self=True,
                allow_fetch_subresources=True,
                allow_update_reservations=True,
            ).to_jwt()
            async with js_worker(server.base_url, str(token), timeout=40) as sdk:
                await sdk.next("ready")
                await sdk.call("activity", name="Available")
                created = await http.post(
                    f"/v1/Workspaces/{ws}/Tasks", data={"WorkflowSid": workflow}
                )
                offer = (await sdk.next("reservationCreated"))["reservation"]
                await asyncio.to_thread(server.stop)
                assert (await sdk.next("disconnected"))["reason"] == "server stopping"
                await asyncio.to_thread(server.start)
                again = await sdk.next("ready")  # the SDK reconnected by itself
                [held] = again["reservations"]
                assert (held["sid"], held["status"]) == (offer["sid"], "pending")
                assert held["task_sid"] == created.json()["sid"]
                assert (await sdk.call("accept", sid=held["sid"]))["status"] == "accepted"
    finally:
        await asyncio.to_thread(server.stop)
