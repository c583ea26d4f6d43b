"""`python -m bench.forecast_backtest`: each forecasting method's error on held-out weeks of
a generated year of hourly contact volume with daily and weekly seasonality.

The year: weekday days peak at 11:00 and 15:00, weekends run at 35 %, a slow upward
trend (+20 % over the year), and Poisson noise; seeded, so the table is reproducible.
Each method is fitted on the first 48 weeks and judged on the last 4.
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import time

from switchboard.attribution.domain import forecasting as fc
from switchboard.attribution.services import staffing

WEEKS = 52
HOLDOUT_WEEKS = 4


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal above 30."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def generated_year(seed: int = 14) -> tuple[list[float], list[float]]:
    """The counts, and the means they were drawn from (what no forecast can beat)."""
    rng = random.Random(seed)
    season = fc.per_week(3600)
    values, means = [], []
    for i in range(WEEKS * season):
        day, hour = divmod(i % season, 24)
        shape = math.exp(-((hour - 11) ** 2) / 8) + 0.8 * math.exp(-((hour - 15) ** 2) / 6)
        mean = 40 * shape * (0.35 if day >= 5 else 1.0) * (1 + 0.2 * i / (WEEKS * season)) + 0.5
        values.append(float(poisson(rng, mean)))
        means.append(mean)
    return values, means


def main(weeks_held_out: int) -> None:
    history, means = generated_year()
    season = fc.per_week(3600)
    started = time.perf_counter()
    result = staffing.backtest(history, season, weeks_held_out * season)
    held_means = means[-weeks_held_out * season :]
    result["true means (noise floor)"] = fc.errors(history[-len(held_means) :], held_means)
    seconds = time.perf_counter() - started
    held = history[-weeks_held_out * season :]
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}; "
          f"{len(history)} hourly intervals, last {weeks_held_out} weeks held out "
          f"(mean {sum(held) / len(held):.2f} contacts per interval); {seconds:.1f} s")  # fmt: skip
    print()
    print("| method | MAE (contacts/interval) | RMSE | WAPE |")
    print("| --- | --- | --- | --- |")
    for method, errors in result.items():
        wape = f"{errors.wape:.1%}" if errors.wape is not None else "n/a"
        print(f"| {method} | {errors.mae:.2f} | {errors.rmse:.2f} | {wape} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holdout-weeks", type=int, default=HOLDOUT_WEEKS)
    main(parser.parse_args().holdout_weeks)
