"""Contact-volume forecasting without dependencies: intervals, the weighted moving average
per interval of the week, ad-driven demand, and the error measures of a backtest.

Holt-Winters lives in the services (it needs statsmodels); both methods are judged by
the same `errors` on the same held-out weeks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WEEK_SECONDS = 7 * 86_400
INTERVALS = (900, 1800, 3600)
# the newest week weighs most: weights for the last 1..n weeks, newest first
DEFAULT_WEIGHTS = (0.4, 0.3, 0.2, 0.1)


def per_week(interval_seconds: int) -> int:
    if interval_seconds not in INTERVALS:
        raise ValueError(f"the interval must be one of {INTERVALS} seconds")
    return WEEK_SECONDS // interval_seconds


def bucket(times_ms: Sequence[int], start_ms: int, interval_seconds: int, count: int) -> list[int]:
    """Contacts per interval from `start_ms`: `count` intervals, arrivals outside dropped."""
    counts = [0] * count
    width = interval_seconds * 1000
    for at in times_ms:
        index = (at - start_ms) // width
        if 0 <= index < count:
            counts[index] += 1
    return counts


def moving_average(
    history: Sequence[float], season: int, horizon: int, weights: Sequence[float] = DEFAULT_WEIGHTS
) -> list[float]:
    """Each future interval: the weighted mean of the same interval in past weeks (the
    newest week first in `weights`); weeks missing from a short history are skipped and
    the weights renormalised."""
    forecast: list[float] = []
    for step in range(horizon):
        position = len(history) + step
        total = weight_sum = 0.0
        for back, weight in enumerate(weights, start=1):
            index = position - back * season
            if index < 0:
                break
            value = history[index] if index < len(history) else forecast[index - len(history)]
            total += weight * value
            weight_sum += weight
        forecast.append(total / weight_sum if weight_sum else 0.0)
    return forecast


@dataclass(frozen=True)
class Errors:
    """How far a forecast was from what happened: mean absolute error, root mean square
    error, and the weighted absolute percentage error (sum |e| / sum actual; unlike MAPE
    it stays finite when an interval has no contacts)."""

    mae: float
    rmse: float
    wape: float | None


def errors(actual: Sequence[float], forecast: Sequence[float]) -> Errors:
    if len(actual) != len(forecast) or not actual:
        raise ValueError("actual and forecast must be non-empty and of equal length")
    diffs = [f - a for a, f in zip(actual, forecast, strict=True)]
    absolute = sum(abs(d) for d in diffs)
    total = sum(actual)
    return Errors(
        mae=absolute / len(diffs),
        rmse=math.sqrt(sum(d * d for d in diffs) / len(diffs)),
        wape=absolute / total if total else None,
    )


def contacts_per_impression(contacts: int, leases: int) -> float:
    """A campaign's measured rate: contacts credited to its leases per lease handed out
    (a lease is one page view that showed a number)."""
    return contacts / leases if leases else 0.0


def ad_demand(planned_impressions: float, rate: float, intervals: int) -> list[float]:
    """Planned impressions spread evenly over the intervals, times the measured rate."""
    if intervals <= 0:
        return []
    return [planned_impressions * rate / intervals] * intervals
