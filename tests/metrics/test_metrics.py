"""`GET /metrics` after a small scenario: every counter moved by exactly what happened."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from switchboard.api.metrics import PER_WORKSPACE_ENV
from switchboard.runtime import Runtime, build_runtime
from switchboard.services.accounts import create_account
from switchboard.store import tables as t
from tests.api.helpers import activity_sids, create, create_workspace, listing, ok

TASKS_ROUTE = "/v1/Workspaces/{workspace_sid}/Tasks"
RESERVATION_ROUTE = "/v1/Workspaces/{workspace_sid}/Tasks/{task_sid}/Reservations/{sid}"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


@pytest.fixture
async def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    monkeypatch.setenv(PER_WORKSPACE_ENV, "1")  # the scenario checks per-workspace counts
    runtime = build_runtime(f"sqlite+aiosqlite:///{tmp_path / 'metrics.db'}")
    async with runtime.app.router.lifespan_context(runtime.app):
        yield runtime


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    account, token = await create_account(runtime.services.store, "metrics")
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", auth=(account.sid, token)
    ) as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", auth=None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def setup_center(client: httpx.AsyncClient) -> tuple[str, str]:
    """One available single-tasking worker, one queue for everyone; (workspace url, workflow)."""
    workspace = await create_workspace(client)
    url = workspace["url"].removeprefix("http://testserver")
    activities = await activity_sids(client, url)
    await create(
        client, f"{url}/Workers", FriendlyName="alice", ActivitySid=activities["Available"]
    )
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue["sid"]}}}
    workflow = await create(
        client, f"{url}/Workflows", FriendlyName="wf", Configuration=json.dumps(routing)
    )
    return url, workflow["sid"]


async def pending_reservation(
    client: httpx.AsyncClient, runtime: Runtime, url: str, task_sid: str
) -> dict[str, Any]:
    await runtime.router.wait_idle()
    path = f"{url}/Tasks/{task_sid}/Reservations"
    [reservation] = await listing(client, path, ReservationStatus="pending")
    return reservation


async def run_scenario(client: httpx.AsyncClient, runtime: Runtime) -> str:
    """Two tasks, one worker: the first is accepted and completed, the second rejected."""
    url, workflow_sid = await setup_center(client)
    first = await create(client, f"{url}/Tasks", WorkflowSid=workflow_sid, Attributes="{}")
    second = await create(client, f"{url}/Tasks", WorkflowSid=workflow_sid, Attributes="{}")
    reservation = await pending_reservation(client, runtime, url, first["sid"])
    path = f"{url}/Tasks/{first['sid']}/Reservations/{reservation['sid']}"
    ok(await client.post(path, data={"ReservationStatus": "accepted"}))
    ok(await client.post(f"{url}/Tasks/{first['sid']}", data={"AssignmentStatus": "completed"}))
    reservation = await pending_reservation(client, runtime, url, second["sid"])
    path = f"{url}/Tasks/{second['sid']}/Reservations/{reservation['sid']}"
    ok(await client.post(path, data={"ReservationStatus": "rejected"}))
    await runtime.router.wait_idle()
    return url.split("/")[-1]


async def test_counters_move_by_exactly_what_happened(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = await scrape(client)
    assert sample(before, "switchboard_reservations_total", outcome="created") == 0
    workspace_sid = await run_scenario(client, runtime)
    assert (await client.get("/no/such/path")).status_code == 404
    text = await scrape(client)

    outcomes = {"created": 2, "accepted": 1, "completed": 1, "rejected": 1, "timeout": 0}
    for outcome, count in outcomes.items():
        assert sample(text, "switchboard_reservations_total", outcome=outcome) == count, outcome
    assert sample(text, "switchboard_events_total", event_type="task.created") == 2
    assert sample(text, "switchboard_events_total", event_type="task.completed") == 1

    tasks = {"pending": 1, "completed": 1, "reserved": 0, "assigned": 0, "canceled": 0}
    for status, count in tasks.items():
        labels = {"workspace_sid": workspace_sid, "status": status}
        assert sample(text, "switchboard_tasks", **labels) == count, status

    passes = sample(text, "switchboard_routing_passes_total")
    assert passes == runtime.router.passes > 0
    assert sample(text, "switchboard_routing_pass_duration_seconds_count") == passes

    http = "switchboard_http_request_duration_seconds_count"
    assert sample(text, http, method="POST", route=TASKS_ROUTE, status="201") == 2
    assert sample(text, http, method="POST", route=RESERVATION_ROUTE, status="200") == 2
    assert sample(text, http, method="GET", route="<unmatched>", status="404") == 1
    assert sample(text, http, method="GET", route="/metrics", status="200") == 1  # `before`


async def test_callback_failures_and_remote_events(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    bus = runtime.services.bus
    await bus.publish({"event_type": "callback.failed"})
    await bus.publish({"event_type": "reservation.created", "remote": True})
    runtime.app.state.metrics.callback_failed()
    text = await scrape(client)
    assert sample(text, "switchboard_callback_failures_total") == 2
    assert sample(text, "switchboard_reservations_total", outcome="created") == 0


async def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    first = build_runtime(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    second = build_runtime(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    await first.services.bus.publish({"event_type": "reservation.created"})
    assert first.app.state.metrics.registry is not second.app.state.metrics.registry
    created = ("switchboard_reservations_total", {"outcome": "created"})
    assert first.app.state.metrics.registry.get_sample_value(*created) == 1
    assert second.app.state.metrics.registry.get_sample_value(*created) is None


async def test_callback_deliveries_are_counted_from_the_store(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.services.store.transaction() as session:
        for index, status in enumerate(("failed", "failed", "delivered")):
            session.add(
                t.CallbackDelivery(
                    sid=f"CB{index:032x}",
                    account_sid="AC" + "0" * 32,
                    workspace_sid="WS" + "0" * 32,
                    kind="event",
                    event_sid="EV" + "0" * 32,
                    event_type="task.created",
                    url="http://127.0.0.1:9/hook",
                    payload="{}",
                    status=status,
                    next_attempt_at=0,
                    date_created=0,
                    date_updated=0,
                )
            )
    text = await scrape(client)
    gauge = "switchboard_callback_deliveries"
    assert sample(text, gauge, kind="event", status="failed") == 2
    assert sample(text, gauge, kind="event", status="delivered") == 1


async def test_by_default_task_counts_name_no_workspace(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/metrics` is unauthenticated: without the opt-in it shows no tenant's sids."""
    workspace_sid = await run_scenario(client, runtime)
    monkeypatch.delenv(PER_WORKSPACE_ENV)
    private = build_runtime(runtime.services.store.url)
    async with (
        private.app.router.lifespan_context(private.app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=private.app), base_url="http://testserver"
        ) as anonymous,
    ):
        text = await scrape(anonymous)
    assert workspace_sid not in text
    assert sample(text, "switchboard_tasks", status="pending") == 1
    assert sample(text, "switchboard_tasks", status="completed") == 1
    assert sample(text, "switchboard_tasks", status="assigned") == 0
