"""Reservations under both URLs, and worker channel load (routing runs the lead's engine)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from switchboard.distribution.engine.dispatcher import Dispatcher
from tests.api.helpers import (
    activity_sids,
    assert_error,
    assert_shape,
    create,
    create_workspace,
    listing,
    ok,
    settle,
)


@pytest.fixture
async def reserved(client: httpx.AsyncClient, dispatcher: Dispatcher) -> dict[str, Any]:
    """An available worker and a task reserved for them."""
    workspace = await create_workspace(client, Template="FIFO")
    url = workspace["url"]
    available = (await activity_sids(client, url))["Available"]
    worker = await create(client, f"{url}/Workers", FriendlyName="ann", ActivitySid=available)
    task = await create(client, f"{url}/Tasks", Attributes="{}")
    await settle(dispatcher)
    return {"workspace": workspace, "worker": worker, "task": task}


async def test_both_views_show_the_same_reservation(
    client: httpx.AsyncClient, reserved: dict[str, Any]
) -> None:
    task, worker = reserved["task"], reserved["worker"]
    [via_task] = await listing(client, f"{task['url']}/Reservations")
    assert_shape(via_task, "task_reservation")
    assert (via_task["reservation_status"], via_task["worker_name"]) == ("pending", "ann")
    assert via_task["url"] == f"{task['url']}/Reservations/{via_task['sid']}"
    assert via_task["links"]["worker"] == worker["url"]
    [via_worker] = await listing(client, f"{worker['url']}/Reservations")
    assert_shape(via_worker, "worker_reservation")
    assert via_worker["url"] == f"{worker['url']}/Reservations/{via_task['sid']}"
    assert {k: v for k, v in via_worker.items() if k != "url"} == {
        k: v for k, v in via_task.items() if k != "url"
    }
    assert ok(await client.get(via_task["url"])) == via_task
    assert ok(await client.get(via_worker["url"])) == via_worker


async def test_an_answer_is_rendered_as_a_fetch_shows_it_after(
    client: httpx.AsyncClient, reserved: dict[str, Any]
) -> None:
    """The update's response (worker name included, taken from the transaction) is what
    fetching the reservation shows afterwards, under either URL."""
    task, worker = reserved["task"], reserved["worker"]
    [pending] = await listing(client, f"{task['url']}/Reservations")
    accepted = ok(await client.post(pending["url"], data={"ReservationStatus": "accepted"}))
    assert (accepted["reservation_status"], accepted["worker_name"]) == ("accepted", "ann")
    assert ok(await client.get(pending["url"])) == accepted
    via_worker = f"{worker['url']}/Reservations/{pending['sid']}"
    completed = ok(await client.post(via_worker, data={"ReservationStatus": "completed"}))
    assert (completed["reservation_status"], completed["worker_name"]) == ("completed", "ann")
    assert ok(await client.get(via_worker)) == completed


async def test_list_filters(client: httpx.AsyncClient, reserved: dict[str, Any]) -> None:
    task, worker = reserved["task"], reserved["worker"]
    url = f"{task['url']}/Reservations"
    assert len(await listing(client, url, ReservationStatus="pending")) == 1
    assert await listing(client, url, ReservationStatus="accepted,rejected") == []
    assert len(await listing(client, url, WorkerSid=worker["sid"])) == 1
    assert await listing(client, url, WorkerSid="WK" + "0" * 32) == []
    assert_error(await client.get(url, params={"ReservationStatus": "maybe"}), 400, 20001)
    worker_url = f"{worker['url']}/Reservations"
    assert len(await listing(client, worker_url, ReservationStatus="pending")) == 1


async def test_accepting_assigns_the_task_and_loads_the_channel(
    client: httpx.AsyncClient, reserved: dict[str, Any]
) -> None:
    task, worker = reserved["task"], reserved["worker"]
    [reservation] = await listing(client, f"{task['url']}/Reservations")
    accepted = ok(await client.post(reservation["url"], data={"ReservationStatus": "accepted"}))
    assert accepted["reservation_status"] == "accepted"
    assert ok(await client.get(task["url"]))["assignment_status"] == "assigned"
    default = ok(await client.get(f"{worker['url']}/Channels/default"))
    assert (default["assigned_tasks"], default["available_capacity_percentage"]) == (1, 0)


@pytest.mark.parametrize("view", ["task", "worker"])
async def test_an_update_answers_with_what_it_wrote_as_a_fetch_shows_it(
    client: httpx.AsyncClient, reserved: dict[str, Any], view: str
) -> None:
    """The answer is rendered from the written record, not read back: it must still be
    exactly what a fetch of the same URL returns, ETag included."""
    [reservation] = await listing(client, f"{reserved[view]['url']}/Reservations")
    for status in ("accepted", "completed"):
        answer = await client.post(reservation["url"], data={"ReservationStatus": status})
        fetched = await client.get(reservation["url"])
        assert ok(answer) == ok(fetched)
        assert ok(answer)["reservation_status"] == status
        assert answer.headers["ETag"] == fetched.headers["ETag"]


async def test_update_validates_and_checks_the_parent(
    client: httpx.AsyncClient, reserved: dict[str, Any]
) -> None:
    task, worker = reserved["task"], reserved["worker"]
    [reservation] = await listing(client, f"{task['url']}/Reservations")
    response = await client.post(reservation["url"], data={"ReservationStatus": "delighted"})
    assert_error(response, 400, 20001, "Invalid ReservationStatus")
    response = await client.post(reservation["url"], data={"Instruction": "teleport"})
    assert_error(response, 400, 20001, "Invalid Instruction")
    other = await create(client, f"{reserved['workspace']['url']}/Tasks", Attributes="{}")
    wrong_parent = f"{other['url']}/Reservations/{reservation['sid']}"
    assert_error(await client.get(wrong_parent), 404, 20404)
    assert_error(await client.get(f"{worker['url']}/Reservations/WR{'0' * 32}"), 404, 20404)


async def test_deleting_a_worker_with_a_pending_offer_says_how_to_recover(
    client: httpx.AsyncClient, reserved: dict[str, Any]
) -> None:
    """The refusal names the way out, not only the obstacle (issue 11)."""
    response = await client.delete(reserved["worker"]["url"])
    assert_error(response, 400, 20001, "1 pending or assigned", "reject or complete them first")
