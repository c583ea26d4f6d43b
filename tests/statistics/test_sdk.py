"""The official `twilio` SDK reads our statistics over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

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


def test_sdk_fetches_statistics(client: Client) -> None:
    ws = client.taskrouter.v1.workspaces.create(friendly_name="Stats")
    space = client.taskrouter.v1.workspaces(ws.sid)
    ready = next(a for a in space.activities.list() if a.friendly_name == "Available")
    queue = space.task_queues.create(friendly_name="Support", target_workers="1==1")
    routing = {"task_routing": {"default_filter": {"queue": queue.sid}}}
    workflow = space.workflows.create(friendly_name="Main", configuration=json.dumps(routing))
    alice = space.workers.create(friendly_name="Alice", activity_sid=ready.sid)
    task = space.tasks.create(workflow_sid=workflow.sid, attributes=json.dumps({"n": 1}))
    wait_for(lambda: space.tasks(task.sid).reservations.list(reservation_status="pending"))
    [reservation] = space.tasks(task.sid).reservations.list(reservation_status="pending")
    space.tasks(task.sid).reservations(reservation.sid).update(reservation_status="accepted")
    space.tasks.create(workflow_sid=workflow.sid)  # waits: Alice's one slot is taken

    stats = space.statistics().fetch(minutes=60, split_by_wait_time="5,30")
    assert stats.workspace_sid == ws.sid
    assert stats.cumulative["tasks_created"] == 2
    assert stats.cumulative["reservations_accepted"] == 1
    assert set(stats.cumulative["split_by_wait_time"]) == {"5", "30"}
    assert stats.realtime["tasks_by_status"] == {
        "pending": 1,
        "reserved": 0,
        "assigned": 1,
        "wrapping": 0,
    }

    realtime = space.task_queues(queue.sid).real_time_statistics().fetch(task_channel="default")
    assert (realtime.task_queue_sid, realtime.total_tasks) == (queue.sid, 2)
    assert (realtime.total_eligible_workers, realtime.total_available_workers) == (1, 1)

    start = datetime.now(UTC) - timedelta(hours=1)
    workers = space.workers.cumulative_statistics().fetch(start_date=start)
    assert (workers.reservations_created, workers.reservations_accepted) == (1, 1)
    assert isinstance(workers.start_time, datetime)
    assert {d["friendly_name"] for d in workers.activity_durations} >= {"Available", "Offline"}

    body = SimpleNamespace(
        to_dict=lambda: {"QueueSids": [queue.sid]}
    )  # as docs/reference/statistics.md
    bulk = space.task_queues.bulk_real_time_statistics.create(body=body)
    assert bulk.task_queue_response_count == 1
    assert bulk.task_queue_data[0]["total_tasks"] == 2
    [listed] = space.task_queues.statistics.list()
    assert listed.task_queue_sid == queue.sid
    assert listed.cumulative["tasks_entered"] == 2
    assert space.workers(alice.sid).statistics().fetch().cumulative["reservations_accepted"] == 1
    assert space.workflows(workflow.sid).cumulative_statistics().fetch().tasks_entered == 2
