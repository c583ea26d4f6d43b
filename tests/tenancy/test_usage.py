"""Usage counting, pricing, the running balance and the Usage Records listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from switchboard.database import SCHEMA
from switchboard.kernel.clock import FakeClock
from switchboard.runtime import Runtime
from switchboard.store.sql import SqlStore
from switchboard.tenancy.api.usage_tracking import category_for
from switchboard.tenancy.usage import (
    UsageMeter,
    UsageSettings,
    account_price,
    format_money,
    price_micros,
)
from tests.tenancy.conftest import NewTenant, Tenant, get_account, make_subaccount, set_account

ACCOUNTS = "/2010-04-01/Accounts"


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def _records(
    client: httpx.AsyncClient, who: Tenant, sid: str, query: str = ""
) -> dict[str, dict[str, str]]:
    response = await client.get(f"{ACCOUNTS}/{sid}/Usage/Records.json{query}", auth=who.auth)
    assert response.status_code == 200, response.text
    return {row["category"]: row for row in response.json()["usage_records"]}


async def test_calls_are_counted_per_category_and_charged(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Counted")
    await client.post("/v1/Workspaces", data={"FriendlyName": "w"}, auth=tenant.auth)
    for _ in range(3):
        await client.get("/v1/Workspaces", auth=tenant.auth)
    await client.get(f"{ACCOUNTS}.json", auth=tenant.auth)
    records = await _records(client, tenant, tenant.sid)
    assert records["taskrouter.workspaces"]["count"] == "4"
    assert records["taskrouter.workspaces"]["price"] == "0.0004"  # the default 0.0001 a call
    assert records["api.accounts"]["count"] == "1"
    assert records["api.accounts"]["start_date"] == records["api.accounts"]["end_date"]
    balance = (await client.get(f"{ACCOUNTS}/{tenant.sid}/Balance.json", auth=tenant.auth)).json()
    # 4 + 1 calls, plus the Usage Records read itself (counted once it had answered)
    assert balance == {"account_sid": tenant.sid, "balance": "-0.0006", "currency": "USD"}


async def test_failed_authentication_is_not_counted(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Careful")
    wrong = await client.get("/v1/Workspaces", auth=(tenant.sid, "not-the-token"))
    assert wrong.status_code == 401
    await runtime.meter.flush()
    assert (await get_account(runtime, tenant.sid)).balance_micros == 0


def test_metering_overrides_no_dependency(runtime: Runtime) -> None:
    """A FastAPI dependency override makes every request rebuild its route's dependency
    graph (about 1 ms of CPU per call): metering reads the scope instead."""
    assert runtime.app.dependency_overrides == {}


async def test_the_price_comes_from_the_account_preferences(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Premium")
    await set_account(runtime, tenant.sid, preferences='{"price_per_call": "0.25"}')
    await client.get("/v1/Workspaces", auth=tenant.auth)
    records = await _records(client, tenant, tenant.sid, "?Category=taskrouter.workspaces")
    assert records["taskrouter.workspaces"]["price"] == "0.25"
    assert (await get_account(runtime, tenant.sid)).balance_micros == -250_000


async def test_filters_and_fixed_ranges(client: httpx.AsyncClient, new_tenant: NewTenant) -> None:
    tenant = await new_tenant("Dated")
    await client.get("/v1/Workspaces", auth=tenant.auth)
    today, sid = _today(), tenant.sid
    unused = await _records(client, tenant, sid, "?Category=taskrouter.tasks")
    assert unused["taskrouter.tasks"]["count"] == "0"  # a named category always answers
    ranged = await _records(client, tenant, sid, f"?StartDate={today}&EndDate={today}")
    assert ranged["taskrouter.workspaces"]["count"] == "1"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert await _records(client, tenant, sid, f"?StartDate={tomorrow}&EndDate={tomorrow}") == {}
    for name in ("Today", "ThisMonth", "AllTime"):
        response = await client.get(f"{ACCOUNTS}/{sid}/Usage/Records/{name}.json", auth=tenant.auth)
        rows = {row["category"]: row for row in response.json()["usage_records"]}
        assert rows["taskrouter.workspaces"]["count"] == "1", name
    yesterday = await client.get(f"{ACCOUNTS}/{sid}/Usage/Records/Yesterday.json", auth=tenant.auth)
    assert "taskrouter.workspaces" not in yesterday.text
    bad = await client.get(f"{ACCOUNTS}/{sid}/Usage/Records.json?StartDate=soon", auth=tenant.auth)
    assert bad.status_code == 400
    reversed_range = f"?StartDate={tomorrow}&EndDate={today}"
    inverted = await client.get(
        f"{ACCOUNTS}/{sid}/Usage/Records.json{reversed_range}", auth=tenant.auth
    )
    assert inverted.status_code == 400


async def test_a_parent_reads_its_childs_usage_and_a_child_not_its_parents(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    parent = await new_tenant("Parent")
    child = await make_subaccount(client, parent)
    await client.get("/v1/Workspaces", auth=child.auth)
    assert "taskrouter.workspaces" in await _records(client, parent, child.sid)
    for path in ("Usage/Records.json", "Usage/Records/Today.json", "Balance.json"):
        response = await client.get(f"{ACCOUNTS}/{parent.sid}/{path}", auth=child.auth)
        assert response.status_code == 404, path


async def test_counts_survive_a_graceful_shutdown(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant("Flushed")
    await client.get("/v1/Workspaces", auth=tenant.auth)
    await runtime.meter.stop()  # what the lifespan does at shutdown
    assert (await get_account(runtime, tenant.sid)).balance_micros == -100


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("/v1/Workspaces", "taskrouter.workspaces"),
        ("/v1/Workspaces/WSx", "taskrouter.workspaces"),
        ("/v1/Workspaces/WSx/Tasks/WTx", "taskrouter.tasks"),
        ("/v1/Workspaces/WSx/Workers/Statistics", "taskrouter.workers"),
        ("/v1/Workspaces/WSx/TaskQueues", "taskrouter.task-queues"),
        ("/v1/Workspaces/WSx/Nonsense", "taskrouter.workspaces"),
        ("/2010-04-01/Accounts.json", "api.accounts"),
        ("/2010-04-01/Accounts/ACx/Usage/Records.json", "api.usage"),
        ("/2010-04-01/Accounts/ACx/Balance.json", "api.balance"),
        ("/v1/AuthTokens/Promote", "accounts.auth-tokens"),
        ("/v1/Elsewhere", "api.other"),
        ("/", "api.other"),
    ],
)
def test_categories_come_from_a_closed_list(path: str, category: str) -> None:
    assert category_for(path) == category


def test_prices_are_exact_micros() -> None:
    assert price_micros("0.0001") == 100
    assert price_micros(" 1.5 ") == 1_500_000
    for bad in ("-1", "NaN", "abc", "Infinity"):
        with pytest.raises(ValueError, match="price"):
            price_micros(bad)
    assert account_price('{"price_per_call": "0.002"}', 100) == 2000
    assert account_price('{"price_per_call": "free"}', 100) == 100
    assert account_price("not json", 100) == 100
    assert account_price("[]", 100) == 100
    assert [format_money(m) for m in (0, -1200, 50_000, 1_000_001)] == [
        "0.00",
        "-0.0012",
        "0.05",
        "1.000001",
    ]


async def test_a_failed_flush_keeps_the_counts_for_the_next_attempt(tmp_path: Path) -> None:
    broken = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}", SCHEMA)
    meter = UsageMeter(broken, UsageSettings(), clock=FakeClock(7_200_000))
    meter.count("AC1", "api.accounts")
    meter.count("AC1", "api.accounts")
    await meter.flush()  # the database cannot be opened: logged, nothing lost
    assert meter._pending == {("AC1", "api.accounts", 7_200_000): 2}
    await broken.dispose()
