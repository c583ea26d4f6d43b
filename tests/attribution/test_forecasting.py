"""Forecasts of contact volume: the moving average per interval of the week, Holt-Winters,
their backtest, ad-driven demand, and the staffing plan they feed."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from switchboard.attribution.domain import forecasting as fc
from switchboard.attribution.services import staffing
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.kernel.clock import FakeClock
from tests.api.helpers import activity_sids, create, create_workspace, ok

HOURLY = fc.per_week(3600)


def weekly_pattern(weeks: int, trend: float = 0.0) -> list[float]:
    """Busy weekdays, quiet nights and weekends: daily and weekly seasonality."""
    values = []
    for i in range(weeks * HOURLY):
        day, hour = divmod(i % HOURLY, 24)
        daily = max(0.0, math.sin(math.pi * (hour - 7) / 12)) * 20
        values.append(daily * (0.3 if day >= 5 else 1.0) + trend * i)
    return values


def test_intervals_are_counted_from_the_start() -> None:
    assert fc.bucket([0, 899_999, 900_000, 2_000_000, -1], 0, 900, 3) == [2, 1, 1]
    with pytest.raises(ValueError, match="interval"):
        fc.per_week(600)


def test_the_moving_average_repeats_a_steady_week_exactly() -> None:
    history = weekly_pattern(4)
    assert fc.moving_average(history, HOURLY, HOURLY) == pytest.approx(history[-HOURLY:])


def test_the_moving_average_weighs_the_newest_week_most() -> None:
    history = [1.0] * HOURLY + [2.0] * HOURLY + [3.0] * HOURLY + [4.0] * HOURLY
    assert fc.moving_average(history, HOURLY, 1) == [
        pytest.approx(0.4 * 4 + 0.3 * 3 + 0.2 * 2 + 0.1)
    ]
    short = fc.moving_average([5.0] * HOURLY, HOURLY, 1)  # one week: its weight alone
    assert short == [5.0]


def test_errors_are_mae_rmse_and_wape() -> None:
    measured = fc.errors([10, 0, 10], [12, 1, 7])
    assert (measured.mae, round(measured.rmse, 4), measured.wape) == (2.0, 2.1602, 0.3)
    assert fc.errors([0, 0], [1, 1]).wape is None


def test_ad_demand_is_impressions_times_the_measured_rate() -> None:
    rate = fc.contacts_per_impression(contacts=3, leases=200)
    assert fc.ad_demand(10_000, rate, 4) == [37.5] * 4
    assert fc.contacts_per_impression(0, 0) == 0.0


@pytest.mark.slow  # statsmodels fits 168 seasonal terms: several seconds
def test_holt_winters_follows_trend_and_season_on_held_out_weeks() -> None:
    history = weekly_pattern(6, trend=0.01)
    result = staffing.backtest(history, HOURLY, HOURLY)
    assert result["holt_winters"].wape is not None and result["holt_winters"].wape < 0.05
    assert result["moving_average"].wape is not None
    # the moving average lags a trend; Holt-Winters models it
    assert result["holt_winters"].mae < result["moving_average"].mae


async def test_the_staffing_plan_turns_history_into_agents_and_a_gap(
    client: httpx.AsyncClient, dispatcher: Dispatcher, clock: FakeClock
) -> None:
    ws = await create_workspace(client)
    url = ws["url"].replace("http://testserver", "")
    acts = await activity_sids(client, url)
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="Q", TargetWorkers="1==1")
    config = json.dumps({"task_routing": {"default_filter": {"queue": queue["sid"]}}})
    flow = await create(client, f"{url}/Workflows", FriendlyName="W", Configuration=config)
    await create(client, f"{url}/Workers", FriendlyName="A", ActivitySid=acts["Offline"])
    for n in range(30):
        await create(
            client, f"{url}/Tasks", WorkflowSid=flow["sid"], Attributes=json.dumps({"n": n})
        )
    now = datetime.fromtimestamp(clock.now_ms() / 1000, UTC)
    start = now.date() + timedelta(days=7)
    plan = ok(await client.get("/attribution/v1/Staffing/Plan", params={
        "WorkspaceSid": ws["sid"], "TaskQueueSid": queue["sid"], "StartDate": start.isoformat(),
        "Days": 1, "IntervalMinutes": 60, "AhtSeconds": 300, "ServiceLevel": 0.8,
        "AnswerSeconds": 20, "Shrinkage": 0.3}))  # fmt: skip
    assert plan["roster"] == 1 and len(plan["intervals"]) == 24
    # the newest history week (with the 30 contacts) forecast from the empty ones before it
    assert plan["backtest"] == {"held_out_weeks": 1, "mae": round(30 / 168, 3),
                                "rmse": round((900 / 168) ** 0.5, 3), "wape": 1.0}  # fmt: skip
    busy = plan["intervals"][now.hour]
    # last week's 30 contacts in this hour, weighted 0.4 (the newest of four weeks)
    assert busy["forecast_contacts"] == 12.0
    assert busy["agents_required"] >= 2 and busy["gap"] == 1 - busy["scheduled_required"]
    quiet = plan["intervals"][(now.hour + 12) % 24]
    assert (quiet["forecast_contacts"], quiet["agents_required"]) == (0.0, 1)


async def test_a_plan_ending_past_the_last_representable_day_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """A plan from 9999-12-31 for two days would name intervals in year 10000: a 400
    saying so, not a 500."""
    ws = await create_workspace(client)
    url = ws["url"].replace("http://testserver", "")
    queue = await create(client, f"{url}/TaskQueues", FriendlyName="Q", TargetWorkers="1==1")
    params = {"WorkspaceSid": ws["sid"], "TaskQueueSid": queue["sid"], "AhtSeconds": 300,
              "StartDate": "9999-12-31", "Days": 2}  # fmt: skip
    refused = await client.get("/attribution/v1/Staffing/Plan", params=params)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == 20001 and "StartDate" in refused.json()["message"]
    one_day = ok(await client.get("/attribution/v1/Staffing/Plan", params={**params, "Days": 1}))
    assert one_day["intervals"][-1]["start"] == "9999-12-31T23:30:00Z"
    first = {**params, "StartDate": "0001-01-01", "Days": 14}
    assert ok(await client.get("/attribution/v1/Staffing/Plan", params=first))["intervals"]
