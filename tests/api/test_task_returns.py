"""Returning a task: the worker hands an accepted task back (a Switchboard extension).

The task keeps its age, goes back through its workflow with a higher priority and
attributes that say who returned it, so the workflow can send it to someone more
qualified; it is never offered to the worker who returned it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from switchboard.distribution.engine.dispatcher import Dispatcher
from tests.api.helpers import (
    activity_sids,
    assert_error,
    create,
    create_workspace,
    listing,
    ok,
    settle,
)

ESCALATE = {
    "filter_friendly_name": "Returned",
    "expression": "returned_count > 0",
    "targets": [{"queue": "{queue}", "expression": "worker.level > task.returned_level"}],
}


async def _center(client: httpx.AsyncClient, dispatcher: Dispatcher) -> dict[str, Any]:
    """A junior (level 1) idle the longest, a senior (level 3), and one workflow."""
    workspace = await create_workspace(client, Template="FIFO")
    url = workspace["url"]
    activities = await activity_sids(client, url)
    workers = {}
    for name, level in (("junior", 1), ("senior", 3)):
        workers[name] = await create(
            client,
            f"{url}/Workers",
            FriendlyName=name,
            ActivitySid=activities["Available"],
            Attributes=json.dumps({"level": level}),
        )
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    escalate = json.loads(json.dumps(ESCALATE).replace("{queue}", queue["sid"]))
    routing = {"task_routing": {"filters": [escalate], "default_filter": {"queue": queue["sid"]}}}
    workflow = await create(
        client, f"{url}/Workflows", FriendlyName="wf", Configuration=json.dumps(routing)
    )
    task = await create(client, f"{url}/Tasks", WorkflowSid=workflow["sid"], Attributes="{}")
    await settle(dispatcher)
    return {
        "url": url,
        "workers": workers,
        "task": task,
        "activities": activities,
        "workflow": workflow["sid"],
        "queue": queue,
    }


async def _accept_and_return(
    client: httpx.AsyncClient, dispatcher: Dispatcher, task: dict[str, Any]
) -> dict[str, Any]:
    [offer] = await listing(client, f"{task['url']}/Reservations", ReservationStatus="pending")
    ok(await client.post(offer["url"], data={"ReservationStatus": "accepted"}))
    returned = ok(
        await client.post(
            task["url"], data={"AssignmentStatus": "pending", "Reason": "needs billing rights"}
        )
    )
    await settle(dispatcher)
    return {"offer": offer, "task": returned}


async def test_a_returned_task_goes_to_someone_more_qualified_never_back(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    center = await _center(client, dispatcher)
    task, junior, senior = center["task"], center["workers"]["junior"], center["workers"]["senior"]
    done = await _accept_and_return(client, dispatcher, task)
    assert done["offer"]["worker_sid"] == junior["sid"]  # idle the longest
    returned = done["task"]
    attributes = json.loads(returned["attributes"])
    assert attributes == {
        "returned_by": [junior["sid"]],
        "returned_count": 1,
        "returned_level": 1,
    }
    assert (returned["priority"], returned["reason"]) == (10, "needs billing rights")
    assert returned["date_created"] == task["date_created"]  # it keeps its age
    offers = await listing(client, f"{task['url']}/Reservations")
    statuses = {o["worker_sid"]: o["reservation_status"] for o in offers}
    assert statuses == {junior["sid"]: "canceled", senior["sid"]: "pending"}


async def test_the_worker_who_returned_it_is_never_offered_it_again(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    center = await _center(client, dispatcher)
    url, task = center["url"], center["task"]
    senior, junior = center["workers"]["senior"], center["workers"]["junior"]
    ok(await client.post(senior["url"], data={"ActivitySid": center["activities"]["Offline"]}))
    await _accept_and_return(client, dispatcher, task)
    # a later, wider filter would take anyone: still not the junior
    ok(await client.post(task["url"], data={"Attributes": json.dumps({"any": True})}))
    await settle(dispatcher)
    pending = await listing(client, f"{task['url']}/Reservations", ReservationStatus="pending")
    assert pending == []
    assert ok(await client.get(task["url"]))["assignment_status"] == "pending"
    events = [e["event_type"] for e in await listing(client, f"{url}/Events", TaskSid=task["sid"])]
    assert events.count("task.returned") == 1
    assert junior["sid"] in json.dumps(
        await listing(client, f"{url}/Events", EventType="task.returned")
    )


@pytest.mark.parametrize("status", ["pending", "reserved"])
async def test_only_an_assigned_task_can_be_returned(
    client: httpx.AsyncClient, dispatcher: Dispatcher, status: str
) -> None:
    center = await _center(client, dispatcher)
    task = center["task"]
    if status == "pending":
        task = await create(
            client, f"{center['url']}/Tasks", WorkflowSid=center["workflow"], Attributes="{}"
        )
        ok(await client.post(task["url"], data={"AssignmentStatus": "canceled"}))
    response = await client.post(task["url"], data={"AssignmentStatus": "pending"})
    assert_error(response, 400, 20001, "only an assigned task can be returned")


async def test_returns_are_counted_per_workspace_queue_and_worker(
    client: httpx.AsyncClient, dispatcher: Dispatcher
) -> None:
    center = await _center(client, dispatcher)
    await _accept_and_return(client, dispatcher, center["task"])
    url, junior = center["url"], center["workers"]["junior"]
    workspace = ok(await client.get(f"{url}/CumulativeStatistics"))
    assert (workspace["tasks_returned"], workspace["reservations_returned"]) == (1, 1)
    worker = ok(await client.get(f"{junior['url']}/Statistics"))["cumulative"]
    assert worker["reservations_returned"] == 1
    queue = ok(await client.get(f"{center['queue']['url']}/CumulativeStatistics"))
    assert queue["tasks_returned"] == 1
