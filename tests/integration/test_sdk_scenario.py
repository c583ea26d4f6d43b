"""The official `twilio` SDK drives a whole routing scenario over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.rest import Client

from switchboard.testing import twilio_client
from tests.live import LiveServer, create_account, wait_for


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sdk.db'}"
    sid, token = create_account(url)
    server = LiveServer(url, tmp_path / "server.log")
    server.start()
    try:
        yield twilio_client(server.base_url, sid, token)
    finally:
        server.stop()


def test_sdk_full_scenario(client: Client) -> None:
    workspaces = client.taskrouter.v1.workspaces
    ws = workspaces.create(friendly_name="SDK Center")
    space = workspaces(ws.sid)
    ready = space.activities.create(friendly_name="Ready", available=True)
    busy = space.activities.create(friendly_name="Busy", available=False)
    assert (ready.available, busy.available) == (True, False)

    alice = space.workers.create(
        friendly_name="Alice",
        activity_sid=ready.sid,
        attributes=json.dumps({"skills": ["billing"], "level": 3}),
    )
    bob = space.workers.create(
        friendly_name="Bob",
        activity_sid=ready.sid,
        attributes=json.dumps({"skills": ["sales"], "level": 9}),
    )
    billing = space.task_queues.create(
        friendly_name="Billing", target_workers="skills HAS 'billing'"
    )
    seniors = space.task_queues.create(friendly_name="Seniors", target_workers="level >= 5")
    everyone = space.task_queues.create(friendly_name="Everyone", target_workers="1==1")
    routing = {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Billing",
                    "expression": "type == 'billing'",
                    "targets": [{"queue": billing.sid, "priority": 5}],
                },
                {
                    "filter_friendly_name": "Escalations",
                    "expression": "type == 'escalation'",
                    "targets": [{"queue": seniors.sid, "timeout": 60}, {"queue": everyone.sid}],
                },
            ],
            "default_filter": {"queue": everyone.sid},
        }
    }
    workflow = space.workflows.create(
        friendly_name="Main", configuration=json.dumps(routing), task_reservation_timeout=30
    )

    task = space.tasks.create(
        workflow_sid=workflow.sid, attributes=json.dumps({"type": "billing", "customer": "ACME"})
    )
    assert task.assignment_status == "pending"

    def reserved() -> list[Any]:
        return list(space.tasks(task.sid).reservations.list(reservation_status="pending"))

    wait_for(reserved)
    [reservation] = reserved()
    assert reservation.worker_sid == alice.sid
    fetched = space.tasks(task.sid).fetch()
    assert (fetched.assignment_status, fetched.priority) == ("reserved", 5)
    assert fetched.task_queue_sid == billing.sid

    escalation = space.tasks.create(
        workflow_sid=workflow.sid, attributes=json.dumps({"type": "escalation"})
    )
    wait_for(lambda: space.tasks(escalation.sid).reservations.list())
    [esc_res] = space.tasks(escalation.sid).reservations.list()
    assert esc_res.worker_sid == bob.sid  # the senior, in the first (narrow) target

    accepted = (
        space.tasks(task.sid).reservations(reservation.sid).update(reservation_status="accepted")
    )
    assert accepted.reservation_status == "accepted"
    assert space.tasks(task.sid).fetch().assignment_status == "assigned"
    done = space.tasks(task.sid).update(assignment_status="completed", reason="resolved")
    assert (done.assignment_status, done.reason) == ("completed", "resolved")
    assert (
        space.workers(alice.sid).reservations(reservation.sid).fetch().reservation_status
        == "completed"
    )

    events = [e.event_type for e in space.events.list(task_sid=task.sid)]
    expected = [
        "task.created",
        "workflow.entered",
        "task-queue.entered",
        "reservation.created",
        "reservation.accepted",
        "reservation.completed",
        "task.completed",
    ]
    assert [e for e in events if e in expected] == expected


def test_sdk_errors_surface_as_twilio_exceptions(client: Client) -> None:
    from twilio.base.exceptions import TwilioRestException

    space = client.taskrouter.v1.workspaces.create(friendly_name="Errors")
    with pytest.raises(TwilioRestException) as bad_expression:
        client.taskrouter.v1.workspaces(space.sid).task_queues.create(
            friendly_name="Broken", target_workers="skills HAS ("
        )
    assert bad_expression.value.status == 400
    assert bad_expression.value.code == 20001
    assert "position" in str(bad_expression.value.msg)
    with pytest.raises(TwilioRestException) as missing:
        client.taskrouter.v1.workspaces("WS" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("longest_idle", [0, 1, 2, 0]),
        ("round_robin", [0, 1, 2, 0]),
        ("top_down", [0, 0, 0, 0]),
        ("fewest_tasks", [0, 1, 2, 0]),
        # talk and handling times are real milliseconds here: only the first round is
        # certain (nobody has talked yet; ties go to the longest idle)
        ("least_talk_time", [0, 1, 2]),
        ("lowest_average_handling_time", [0, 1, 2]),
    ],
)
def test_sdk_queue_strategies_as_workflow_configuration(
    client: Client, strategy: str, expected: list[int]
) -> None:
    """A Switchboard extension in the target: the SDK passes it through untouched."""
    space = client.taskrouter.v1.workspaces(
        client.taskrouter.v1.workspaces.create(friendly_name=strategy).sid
    )
    ready = next(a for a in space.activities.list() if a.friendly_name == "Available")
    workers = [
        space.workers.create(friendly_name=f"W{n}", activity_sid=ready.sid).sid for n in (1, 2, 3)
    ]
    queue = space.task_queues.create(friendly_name="All", target_workers="1==1")
    routing = {"task_routing": {"default_filter": {"queue": queue.sid, "strategy": strategy}}}
    workflow = space.workflows.create(friendly_name="wf", configuration=json.dumps(routing))
    assert json.loads(workflow.configuration)["task_routing"]["default_filter"]["strategy"] == (
        strategy
    )
    offered = []
    for _ in expected:
        task = space.tasks.create(workflow_sid=workflow.sid, attributes="{}")
        wait_for(lambda task=task: space.tasks(task.sid).reservations.list())
        [offer] = space.tasks(task.sid).reservations.list()
        offered.append(workers.index(offer.worker_sid))
        space.tasks(task.sid).reservations(offer.sid).update(reservation_status="accepted")
        space.tasks(task.sid).update(assignment_status="completed", reason="done")
    assert offered == expected
