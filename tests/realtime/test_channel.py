"""A real websocket client (WorkerClient) against the server under uvicorn."""

from __future__ import annotations

import asyncio
import json

import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
from websockets.asyncio.client import connect

from switchboard.client import WorkerChannelError, WorkerClient
from switchboard.distribution.domain.records import Reservation, Task
from switchboard.distribution.realtime.hub import Hub
from switchboard.distribution.work.tasks import TaskUpdate, update_task
from tests.callbacks.support import Live, eventually


def _client(live: Live, worker: str, **kw: object) -> WorkerClient:
    token = WorkerCapabilityToken(
        live.account_sid, live.auth_token, live.workspace_sid, worker, **kw
    ).to_jwt()
    return WorkerClient.connect_to(live.base_url, live.account_sid, worker, str(token), timeout=20)


async def _center(live: Live) -> str:
    await live.workspace()
    queue = await live.queue("All")
    return await live.workflow(queue)


async def test_a_worker_receives_accepts_and_completes_a_reservation(live: Live) -> None:
    wf = await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker) as alice:
        assert alice.snapshot["worker"]["sid"] == worker
        assert alice.snapshot["reservations"] == []
        task = await live.task(wf, type="support")
        offer = await alice.next_event("reservation.created")
        data = offer["data"]
        assert (data["task_sid"], data["worker_sid"]) == (task, worker)
        assert json.loads(data["task_attributes"]) == {"type": "support"}
        reservation = data["reservation_sid"]
        assert (await alice.accept(reservation))["reservation_status"] == "accepted"
        await alice.next_event("reservation.accepted")
        done = await alice.complete(reservation, reason="resolved")
        assert done["task_status"] == "completed"
        await alice.next_event("reservation.completed")
        completed = await alice.next_event("task.completed")
        assert completed["data"]["task_completed_reason"] == "resolved"
    task_row = await live.get(Task, task)
    assert (task_row.assignment_status, task_row.reason) == ("completed", "resolved")


async def test_a_worker_cannot_answer_or_complete_another_workers_reservation(
    live: Live,
) -> None:
    wf = await _center(live)
    alice_sid = await live.worker("Alice")
    bob_sid = await live.worker("Bob", activity="Offline")
    async with _client(live, alice_sid) as alice, _client(live, bob_sid) as bob:
        task = await live.task(wf)
        offer = await alice.next_event("reservation.created")
        reservation = offer["data"]["reservation_sid"]
        for attempt in (bob.accept, bob.complete):
            with pytest.raises(WorkerChannelError) as refused:
                await attempt(reservation)
            assert refused.value.code == 20404
        assert (await alice.accept(reservation))["reservation_status"] == "accepted"
        with pytest.raises(WorkerChannelError) as refused:
            await bob.complete(reservation)
        assert refused.value.code == 20404
    task_row = await live.get(Task, task)
    assert task_row.assignment_status == "assigned"


async def test_a_reconnecting_worker_gets_its_pending_reservation_again(live: Live) -> None:
    wf = await _center(live)
    worker = await live.worker("Alice")
    client = _client(live, worker)
    await client.connect()
    task = await live.task(wf)
    offer = await client.next_event("reservation.created")
    await client.close()  # the worker drops off; the offer must wait for it
    await _gone(live, worker)
    [reservation] = await live.rows(Reservation, task_sid=task)
    assert reservation.status == "pending"
    snapshot = await client.connect()
    [held] = snapshot["reservations"]
    assert held["sid"] == offer["data"]["reservation_sid"]
    assert held["reservation_status"] == "pending"
    assert held["task"]["sid"] == task
    await client.reject(held["sid"])
    await client.close()
    assert (await live.get(Reservation, held["sid"])).status == "rejected"


@pytest.mark.parametrize(
    ("options", "reason"),
    [({"ttl": -60}, "token expired"), ({"allow_web_sockets": False}, "does not allow")],
)
async def test_bad_tokens_are_refused_with_4401(
    live: Live, options: dict[str, object], reason: str
) -> None:
    await _center(live)
    worker = await live.worker("Alice")
    with pytest.raises(WorkerChannelError) as refused:
        await _client(live, worker, **options).connect()
    assert refused.value.code == 4401
    assert reason in refused.value.message


async def test_a_token_of_another_worker_is_refused(live: Live) -> None:
    await _center(live)
    alice = await live.worker("Alice")
    bob = await live.worker("Bob")
    token = WorkerCapabilityToken(live.account_sid, live.auth_token, live.workspace_sid, bob)
    client = WorkerClient.connect_to(live.base_url, live.account_sid, alice, str(token.to_jwt()))
    with pytest.raises(WorkerChannelError, match="another worker"):
        await client.connect()


async def test_activity_and_attribute_commands_follow_the_rest_rules(live: Live) -> None:
    wf = await _center(live)
    worker = await live.worker("Driver", zone="north")
    async with _client(live, worker) as driver:
        result = await driver.update_attributes({"location": [48.85, 2.35]}, merge=True)
        assert json.loads(result["attributes"]) == {"zone": "north", "location": [48.85, 2.35]}
        update = await driver.next_event("worker.attributes.update")
        assert json.loads(update["data"]["worker_attributes"])["location"] == [48.85, 2.35]
        await live.task(wf)
        offer = await driver.next_event("reservation.created")
        with pytest.raises(WorkerChannelError) as refused:  # same rule as REST
            await driver.set_activity(live.activities["Offline"])
        assert refused.value.code == 20001
        assert "RejectPendingReservations" in refused.value.message
        await driver.set_activity(live.activities["Offline"], reject_pending=True)
        await driver.next_event("reservation.rejected")
        moved = await driver.next_event("worker.activity.update")
        assert moved["data"]["worker_activity_sid"] == live.activities["Offline"]
    reservation = await live.get(Reservation, offer["data"]["reservation_sid"])
    assert reservation.status == "rejected"


async def test_task_updates_reach_the_worker_holding_the_task(live: Live) -> None:
    wf = await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker) as alice:
        task = await live.task(wf, n=1)
        offer = await alice.next_event("reservation.created")
        await alice.accept(offer["data"]["reservation_sid"])
        update = TaskUpdate(attributes=json.dumps({"n": 2}))
        await update_task(live.svc, live.account_sid, live.workspace_sid, task, update)
        changed = await alice.next_event("task.updated")
        assert json.loads(changed["data"]["task_attributes"]) == {"n": 2}


async def test_errors_carry_the_request_id_and_a_code(live: Live) -> None:
    await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker) as alice:
        with pytest.raises(WorkerChannelError) as missing:
            await alice.accept("WR" + "0" * 32)
        assert missing.value.code == 20404
        with pytest.raises(WorkerChannelError) as unknown:
            await alice.request("teleport")
        assert unknown.value.code == 20001
        await alice.ping()


def _hub(live: Live) -> Hub:
    hub: Hub = live.runtime.sockets.hub
    return hub


async def _gone(live: Live, worker: str) -> None:
    """Until the server has seen the socket close."""
    for _ in range(500):
        if not any(c.worker_sid == worker for c in _hub(live).connections()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server still holds the closed socket")


async def _advance(live: Live, seconds: float, steps: int = 10) -> None:
    """Move the server's clock on in steps, letting its loops run between them."""
    for _ in range(steps):
        live.clock.advance(seconds / steps)
        await asyncio.sleep(0.01)


async def test_idle_sockets_are_pinged_and_silent_ones_closed(live: Live) -> None:
    """Pings every 20 s of quiet; 60 s without a word closes the socket (default settings)."""
    await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker) as alice:  # answers pings by itself: stays open
        await _advance(live, 200)
        await alice.ping()
    token = WorkerCapabilityToken(live.account_sid, live.auth_token, live.workspace_sid, worker)
    url = f"ws{live.base_url[4:]}/v1/wschannels/{live.account_sid}/{worker}?token={token.to_jwt()}"
    async with connect(url) as raw:  # never answers
        assert json.loads(await raw.recv())["type"] == "snapshot"
        await _advance(live, 25)
        assert json.loads(await raw.recv()) == {"type": "ping"}
        await _advance(live, 50)  # idle for 75 s: past the 60 s limit plus one 10 s check
        await asyncio.wait_for(raw.wait_closed(), 5)
        assert raw.close_code == 4408


async def test_a_disconnect_unregisters_the_connection(live: Live) -> None:
    await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker):
        assert len(_hub(live).connections(live.workspace_sid)) == 1

    async def gone() -> bool:
        return not _hub(live).connections(live.workspace_sid)

    assert await eventually(gone)


async def test_a_command_on_a_closed_channel_raises_the_channel_error(live: Live) -> None:
    """Callers handle one error type whether the server refused or the socket is gone."""
    await _center(live)
    worker = await live.worker("Alice")
    async with _client(live, worker) as client:
        ws = client._ws
        assert ws is not None
        await ws.close()
        with pytest.raises(WorkerChannelError, match="channel closed"):
            await client.set_activity("WA" + "0" * 32)
