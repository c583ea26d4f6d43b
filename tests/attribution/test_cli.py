"""The calculators on the command line, exactly as scripts call them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.database import upgrade
from switchboard.runtime import build_core, http_app
from switchboard.settings import Settings

runner = CliRunner()


def test_pool_size_prints_the_smallest_pool_and_its_overflow() -> None:
    args = ["attribution", "pool-size", "--visitors-per-hour", "20", "--hold-seconds", "1800",
            "--max-overflow", "0.01"]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"numbers": 18, "overflow": 0.007142}
    table = runner.invoke(app, args)
    assert "numbers           18" in table.output


def test_staffing_erlang_prints_one_object_with_json() -> None:
    args = ["staffing", "erlang", "--calls", "100", "--interval-seconds", "1800",
            "--aht-seconds", "180", "--answer-seconds", "20", "--service-level", "0.8",
            "--max-occupancy", "0.85", "--shrinkage", "0.3"]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "agents": 14, "scheduled": 20, "service_level": 0.8884, "asa_seconds": 7.84,
        "occupancy": 0.7143, "probability_of_waiting": 0.1741,
    }  # fmt: skip
    table = runner.invoke(app, args)
    assert "agents                  14" in table.output
    assert "scheduled               20" in table.output


def test_patience_switches_the_calculator_to_erlang_a() -> None:
    args = ["staffing", "erlang", "--calls", "100", "--interval-seconds", "1800",
            "--aht-seconds", "180", "--answer-seconds", "20", "--service-level", "0.8",
            "--patience-seconds", "120", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["agents"] == 12 and 0 < figures["probability_of_abandon"] < 0.1


def test_impossible_targets_are_a_usage_error_not_a_traceback() -> None:
    result = runner.invoke(app, ["staffing", "erlang", "--calls", "100", "--interval-seconds",
                                 "1800", "--aht-seconds", "180", "--answer-seconds", "20",
                                 "--service-level", "1.5"])  # fmt: skip
    assert result.exit_code == 2
    assert "service level" in result.output


def test_staffing_plan_reads_the_queue_history_from_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}"
    account, workspace, queue = asyncio.run(_seed(url))
    start = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    args = ["staffing", "plan", "--account-sid", account, "--workspace", workspace,
            "--queue", queue, "--aht-seconds", "300", "--start", start,
            "--interval-minutes", "60", "--database-url", url]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)  # stderr says which database
    assert plan["roster"] == 1 and len(plan["intervals"]) == 24
    assert sum(row["forecast_contacts"] for row in plan["intervals"]) == 4.0  # 10 x 0.4
    assert "roster 1 (moving_average)" in runner.invoke(app, args).output
    other = runner.invoke(app, [*args[:3], "AC" + "0" * 32, *args[4:]])
    assert other.exit_code == 1 and "not found" in other.output


async def _seed(url: str) -> tuple[str, str, str]:
    """An account whose queue received ten tasks today, with one worker."""
    core = build_core(Settings(database_url=url))
    await upgrade(core.store)
    account, token = await core.accounts.create("Planner")
    web, _deps = http_app(core)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                 auth=(account.sid, token)) as client:  # fmt: skip
        ws = (await client.post("/v1/Workspaces", data={"FriendlyName": "W"})).json()
        base = f"/v1/Workspaces/{ws['sid']}"
        queue = (await client.post(f"{base}/TaskQueues", data={"FriendlyName": "Q",
                 "TargetWorkers": "1==1"})).json()  # fmt: skip
        routing = {"task_routing": {"default_filter": {"queue": queue["sid"]}}}
        flow = (await client.post(f"{base}/Workflows", data={"FriendlyName": "F",
                "Configuration": json.dumps(routing)})).json()  # fmt: skip
        await client.post(f"{base}/Workers", data={"FriendlyName": "A"})
        for n in range(10):
            await client.post(f"{base}/Tasks", data={"WorkflowSid": flow["sid"],
                              "Attributes": json.dumps({"n": n})})  # fmt: skip
    await core.close()
    return account.sid, ws["sid"], queue["sid"]
