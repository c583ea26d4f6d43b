"""`GET /metrics` after a small scenario: every counter moved by exactly what happened."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from switchboard.distribution.journal.schemas import FIELDS
from switchboard.kernel.criteria import eq
from switchboard.outbound.records import CallbackDelivery
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
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


def _settings(path: Path, **values: Any) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", fraud_interval=0, **values)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    # the scenario checks per-workspace counts
    settings = _settings(tmp_path / "metrics.db", metrics_per_workspace=True)
    runtime = build_runtime(settings)
    async with runtime.app.router.lifespan_context(runtime.app):
        yield runtime


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    account, token = await runtime.core.accounts.create("metrics")
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
    await runtime.dispatcher.wait_idle()
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
    await runtime.dispatcher.wait_idle()
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
    for kind in ("poke", "event", "skipped"):  # one process: nobody else to hear
        assert sample(text, "switchboard_notifications_received_total", kind=kind) == 0

    tasks = {"pending": 1, "completed": 1, "reserved": 0, "assigned": 0, "canceled": 0}
    for status, count in tasks.items():
        labels = {"workspace_sid": workspace_sid, "status": status}
        assert sample(text, "switchboard_tasks", **labels) == count, status

    passes = sample(text, "switchboard_routing_passes_total")
    assert passes == runtime.dispatcher.passes > 0
    assert sample(text, "switchboard_routing_pass_duration_seconds_count") == passes

    http = "switchboard_http_request_duration_seconds_count"
    assert sample(text, http, method="POST", route=TASKS_ROUTE, status="201") == 2
    assert sample(text, http, method="POST", route=RESERVATION_ROUTE, status="200") == 2
    assert sample(text, http, method="GET", route="<unmatched>", status="404") == 1
    assert sample(text, http, method="GET", route="/metrics", status="200") == 1  # `before`


async def test_remote_events_are_not_counted_again(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await runtime.services.bus.publish({"event_type": "reservation.created", "remote": True})
    text = await scrape(client)
    assert sample(text, "switchboard_reservations_total", outcome="created") == 0


async def test_failed_callback_deliveries_move_the_failure_counter(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A delivery that fails for good (here: refused, a loopback URL) counts once (issue 11)."""
    before = sample(await scrape(client), "switchboard_callback_failures_total", kind="event")
    await create_workspace(client, EventCallbackUrl="http://127.0.0.1:9/hook")

    async def failed() -> list[CallbackDelivery]:
        async with runtime.services.store.read() as unit:
            return await unit.select(CallbackDelivery, eq("status", "failed"))

    deadline = asyncio.get_running_loop().time() + 10
    while not sample(text := await scrape(client), "switchboard_callback_failures_total"):
        assert asyncio.get_running_loop().time() < deadline, "the counter did not move"
        await asyncio.sleep(0.05)
    assert before == 0
    assert sample(text, "switchboard_callback_failures_total", kind="event") == len(await failed())


async def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    first = build_runtime(_settings(tmp_path / "a.db"))
    second = build_runtime(_settings(tmp_path / "b.db"))
    await first.services.bus.publish({"event_type": "reservation.created"})
    assert first.metrics.registry is not second.metrics.registry
    created = ("switchboard_reservations_total", {"outcome": "created"})
    assert first.metrics.registry.get_sample_value(*created) == 1
    assert second.metrics.registry.get_sample_value(*created) is None


async def test_callback_deliveries_are_counted_from_the_store(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.services.store.transaction() as unit:
        for index, status in enumerate(("failed", "failed", "delivered")):
            unit.add(
                CallbackDelivery(
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
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    """`/metrics` is unauthenticated: without the opt-in it shows no tenant's sids."""
    workspace_sid = await run_scenario(client, runtime)
    private = build_runtime(_settings(tmp_path / "metrics.db"))
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


def test_the_docs_list_every_reservation_outcome_and_metric_served() -> None:
    """The metrics table names each `outcome` a reservation event can produce (issue 11)."""
    page = (
        Path(__file__).parent.parent.parent / "docs/how-to/benchmarks-and-metrics.md"
    ).read_text()
    row = next(line for line in page.splitlines() if "`switchboard_reservations_total`" in line)
    outcomes = {
        name.removeprefix("reservation.") for name in FIELDS if name.startswith("reservation.")
    }
    assert [outcome for outcome in sorted(outcomes) if f"`{outcome}`" not in row] == []
    assert "| `switchboard_callback_failures_total` | counter | `kind` |" in page
    assert "| `switchboard_notifications_received_total` | counter | `kind` |" in page
