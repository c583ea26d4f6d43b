"""Forecasts from stored history (weighted moving average, Holt-Winters through
statsmodels), backtests on held-out weeks, ad-driven demand, and the staffing plan."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from switchboard.attribution.domain import erlang
from switchboard.attribution.domain import forecasting as fc
from switchboard.attribution.domain.records import Contact, Lease
from switchboard.attribution.services.context import Attribution
from switchboard.kernel.criteria import eq, ge, not_null
from switchboard.kernel.errors import InvalidParameter, SwitchboardError

METHODS = ("moving_average", "holt_winters")
HISTORY_WEEKS = 8
ANALYTICS_HINT = "install the analytics extra: pip install 'switchboard[analytics]'"


def holt_winters_available() -> bool:
    """statsmodels is the optional `analytics` extra (a first `./run serve` skips it)."""
    return _installed("statsmodels")


def available_methods() -> tuple[str, ...]:
    return METHODS if holt_winters_available() else ("moving_average",)


def holt_winters(history: Sequence[float], season: int, horizon: int) -> list[float]:
    """Additive Holt-Winters (level, trend and one season); with fewer than two seasons of
    history there is nothing to fit a season to, and the moving average answers."""
    if len(history) < 2 * season:
        return fc.moving_average(history, season, horizon)
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # heavy: imported on use

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        model = ExponentialSmoothing(
            list(history), trend="add", damped_trend=True, seasonal="add",
            seasonal_periods=season, initialization_method="estimated",
        ).fit()  # fmt: skip
        predicted = model.forecast(horizon)
    return [max(0.0, float(value)) for value in predicted]


def forecast(method: str, history: Sequence[float], season: int, horizon: int) -> list[float]:
    if method == "holt_winters":
        if not holt_winters_available():
            raise SwitchboardError(
                f"Method holt_winters needs statsmodels, which is not installed: {ANALYTICS_HINT}",
                code=20001, status=400,
            )  # fmt: skip
        return holt_winters(history, season, horizon)
    if method == "moving_average":
        return fc.moving_average(history, season, horizon)
    raise InvalidParameter(f"Invalid Method: one of {', '.join(METHODS)}")


def backtest(history: Sequence[float], season: int, holdout: int) -> dict[str, fc.Errors]:
    """Each method fitted on all but the last `holdout` intervals and judged on them."""
    if holdout <= 0 or holdout >= len(history):
        raise ValueError("the held-out part must be shorter than the history")
    train, actual = history[:-holdout], history[-holdout:]
    return {
        method: fc.errors(actual, forecast(method, train, season, holdout))
        for method in available_methods()
    }


async def ad_rate(
    attribution: Attribution, account_sid: str, campaign: str, since_ms: int
) -> float:
    """Contacts credited per lease handed out for the campaign since `since_ms`."""
    async with attribution.store.read() as unit:
        leases = await unit.count(
            Lease, eq("account_sid", account_sid), eq("campaign", campaign),
            ge("created_at", since_ms),
        )  # fmt: skip
        contacts = await unit.count(
            Contact, eq("account_sid", account_sid), eq("campaign", campaign),
            ge("arrived_at", since_ms), not_null("lease_sid"),
        )  # fmt: skip
    return fc.contacts_per_impression(contacts, leases)


@dataclass(frozen=True)
class PlanQuery:
    workspace_sid: str
    task_queue_sid: str
    start: date
    days: int
    interval_seconds: int
    handle_seconds: float
    target: erlang.StaffingTarget
    method: str = "moving_average"
    campaign: str | None = None
    planned_impressions: float = 0.0


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


async def plan(attribution: Attribution, account_sid: str, query: PlanQuery) -> dict[str, Any]:
    """Per interval of the range: forecast contacts (history plus ad demand), agents and
    heads required, and what today's roster would achieve, with the gap."""
    if attribution.history is None or attribution.availability is None:
        raise SwitchboardError("Staffing plans need the contact history", code=20503, status=503)
    season = _season(query.interval_seconds)
    start_ms = _ms(query.start)
    since = start_ms - HISTORY_WEEKS * fc.WEEK_SECONDS * 1000
    times = await attribution.history.arrivals(
        account_sid, query.workspace_sid, query.task_queue_sid, since, start_ms
    )
    history = fc.bucket(times, since, query.interval_seconds, HISTORY_WEEKS * season)
    horizon = query.days * 86_400 // query.interval_seconds
    demand = forecast(query.method, [float(n) for n in history], season, horizon)
    ads = await _ads(attribution, account_sid, query, since, horizon)
    now = await attribution.availability.availability(
        account_sid, query.workspace_sid, query.task_queue_sid, attribution.now()
    )
    rows = [
        _row(query, start_ms + i * query.interval_seconds * 1000, base, extra, now.roster)
        for i, (base, extra) in enumerate(zip(demand, ads, strict=True))
    ]
    return {
        "roster": now.roster,
        "method": query.method,
        "backtest": _held_out_week(query.method, history, season),
        "intervals": rows,
    }


def _held_out_week(method: str, history: Sequence[int], season: int) -> dict[str, Any]:
    """The method's error when the newest history week is forecast from the older ones."""
    values = [float(n) for n in history]
    measured = fc.errors(values[-season:], forecast(method, values[:-season], season, season))
    wape = None if measured.wape is None else round(measured.wape, 4)
    return {"held_out_weeks": 1, "mae": round(measured.mae, 3),
            "rmse": round(measured.rmse, 3), "wape": wape}  # fmt: skip


def _season(interval_seconds: int) -> int:
    try:
        return fc.per_week(interval_seconds)
    except ValueError as exc:
        raise InvalidParameter(f"Invalid IntervalMinutes: {exc}") from None


async def _ads(
    attribution: Attribution, account_sid: str, query: PlanQuery, since: int, horizon: int
) -> list[float]:
    if query.campaign is None or query.planned_impressions <= 0:
        return [0.0] * horizon
    rate = await ad_rate(attribution, account_sid, query.campaign, since)
    return fc.ad_demand(query.planned_impressions, rate, horizon)


def _row(query: PlanQuery, at_ms: int, base: float, ads: float, roster: int) -> dict[str, Any]:
    contacts = base + ads
    load = erlang.offered_load(contacts, query.interval_seconds, query.handle_seconds)
    try:
        needed = erlang.required_agents(load, query.handle_seconds, query.target)
    except ValueError as exc:  # a forecast beyond any practical team
        raise InvalidParameter(f"Invalid AhtSeconds: {exc}") from None
    on_hand = erlang.staffing(roster, load, query.handle_seconds, query.target)
    asa = None if on_hand.asa_seconds == float("inf") else round(on_hand.asa_seconds, 2)
    return {
        "start": datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "forecast_contacts": round(contacts, 2),
        "ad_contacts": round(ads, 2),
        "aht_seconds": query.handle_seconds,
        "agents_required": needed.agents,
        "scheduled_required": needed.scheduled,
        "roster_service_level": round(on_hand.service_level, 4),
        "roster_asa_seconds": asa,
        "gap": roster - needed.scheduled,
    }


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install counts as absent
        return False
