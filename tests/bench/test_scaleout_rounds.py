"""The scale-out rows pool each configuration's rounds: CPU per task over all the tasks
completed in them, so a round that completed more tasks weighs more."""

from __future__ import annotations

from bench.scaleout import _pooled, _Run


def _run(cpu_ms: float, completed: int, rate: float = 80.0, local: int = 1) -> _Run:
    return _Run(
        rate=rate,
        cpu=cpu_ms / 1000,
        local=local,
        heard=0.5,
        whole_cpu=cpu_ms / 1000,
        created=completed,
        completed=completed,
    )


def test_pooled_cpu_is_all_cpu_over_all_tasks() -> None:
    pooled = _pooled([_run(10.0, 300), _run(4.0, 900)])
    assert round(pooled.cpu * 1000, 6) == round((10.0 * 300 + 4.0 * 900) / 1200, 6)
    assert (pooled.created, pooled.completed) == (1200, 1200)


def test_pooled_rate_is_the_mean_rate_and_local_the_fewest() -> None:
    pooled = _pooled([_run(5.0, 100, rate=60.0, local=3), _run(5.0, 100, rate=90.0, local=2)])
    assert pooled.rate == 75.0
    assert pooled.local == 2


def test_one_round_is_itself() -> None:
    only = _run(7.0, 500)
    assert _pooled([only]) == only
