"""A supervisor moves a waiting task (the supervisor page's "Move to"): to another queue,
or into a workflow from its top. Its open offer ends and the worker gets its activity back;
an assigned task stays where it is; another account's task or queue is not found."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.moves import move_task
from switchboard.kernel.errors import InvalidParameter, InvalidTransition, NotFound
from tests.api.helpers import activity_sids, create, create_workspace, listing, ok, settle


async def _center(client: httpx.AsyncClient) -> dict[str, Any]:
    workspace = await create_workspace(client, Template="FIFO")
    url = workspace["url"]
    activities = await activity_sids(client, url)
    sample = (await listing(client, f"{url}/TaskQueues"))[0]
    sales = await create(
        client, f"{url}/TaskQueues", FriendlyName="Sales", TargetWorkers="skill == 'sales'"
    )
    flows = await listing(client, f"{url}/Workflows")
    worker = await create(
        client, f"{url}/Workers", FriendlyName="Ann", ActivitySid=activities["Available"],
        Attributes=json.dumps({"skill": "support"}),
    )  # fmt: skip
    return {"ws": workspace["sid"], "url": url, "sample": sample, "sales": sales,
            "workflow": flows[0], "worker": worker, "activities": activities}  # fmt: skip


async def _events(client: httpx.AsyncClient, url: str, task_sid: str) -> list[str]:
    listed = await listing(client, f"{url}/Events", TaskSid=task_sid)
    return [e["event_type"] for e in listed]


async def test_a_reserved_task_moves_to_another_queue_and_back_through_its_workflow(
    client: httpx.AsyncClient, dispatcher: Dispatcher, services: Services,
    credentials: tuple[str, str],
) -> None:  # fmt: skip
    c = await _center(client)
    task = await create(client, f"{c['url']}/Tasks", WorkflowSid=c["workflow"]["sid"])
    await settle(dispatcher)
    assert ok(await client.get(task["url"]))["assignment_status"] == "reserved"
    busy = ok(await client.get(c["worker"]["url"]))
    assert busy["activity_name"] == "Available"

    await move_task(services, credentials[0], c["ws"], task["sid"], queue_sid=c["sales"]["sid"])
    await settle(dispatcher)
    moved = ok(await client.get(task["url"]))
    assert (moved["assignment_status"], moved["task_queue_sid"], moved["workflow_sid"]) == (
        "pending", c["sales"]["sid"], None,
    )  # fmt: skip
    [offer] = await listing(client, f"{task['url']}/Reservations")
    assert offer["reservation_status"] == "canceled"
    assert ok(await client.get(c["worker"]["url"]))["available"] is True
    types = await _events(client, c["url"], task["sid"])
    assert "task-queue.moved" in types and "reservation.canceled" in types

    await move_task(
        services, credentials[0], c["ws"], task["sid"], workflow_sid=c["workflow"]["sid"]
    )
    await settle(dispatcher)
    back = ok(await client.get(task["url"]))
    assert (back["task_queue_sid"], back["workflow_sid"]) == (
        c["sample"]["sid"], c["workflow"]["sid"],
    )  # fmt: skip
    assert back["assignment_status"] == "reserved"  # Ann is offered it again
    assert back["age"] >= moved["age"]  # it kept its age: same place among equals


async def test_only_a_waiting_task_of_ones_own_account_moves(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, dispatcher: Dispatcher,
    services: Services, credentials: tuple[str, str],
) -> None:  # fmt: skip
    c = await _center(client)
    task = await create(client, f"{c['url']}/Tasks", WorkflowSid=c["workflow"]["sid"])
    await settle(dispatcher)
    [offer] = await listing(client, f"{task['url']}/Reservations")
    ok(await client.post(offer["url"], data={"ReservationStatus": "accepted"}))
    with pytest.raises(InvalidTransition):
        await move_task(services, credentials[0], c["ws"], task["sid"], queue_sid=c["sales"]["sid"])
    with pytest.raises(InvalidParameter):
        await move_task(services, credentials[0], c["ws"], task["sid"])
    other = await _center(other_client)
    other_account = other["worker"]["account_sid"]
    with pytest.raises(NotFound):  # another account's workspace
        await move_task(services, other_account, c["ws"], task["sid"], queue_sid=c["sales"]["sid"])
    waiting = await create(client, f"{c['url']}/Tasks", WorkflowSid=c["workflow"]["sid"])
    with pytest.raises(NotFound):  # a queue of another workspace
        await move_task(
            services, credentials[0], c["ws"], waiting["sid"], queue_sid=other["sales"]["sid"]
        )
    await settle(dispatcher)
