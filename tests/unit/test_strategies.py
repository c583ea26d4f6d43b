"""Queue strategies as pure sort keys: the same inputs give the same order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from switchboard.distribution.domain.strategies import Strategy, key


@dataclass
class _Worker:
    sid: str
    rank: tuple[int, str]
    idle_since: int = 0
    handled_today: int = 0
    talk_ms_today: int = 0
    average_handling_ms: float | None = None
    open_tasks: int = 0


WORKERS = [_Worker(f"WK{n}", (n, f"WK{n}")) for n in range(3)]


def _first(strategy: Strategy, task_sid: str) -> str:
    return min(WORKERS, key=lambda w: key(strategy, w, task_sid, None)).sid


@given(seed=st.integers(0, 2**31 - 1), task=st.text(min_size=1, max_size=34))
def test_random_order_depends_only_on_the_seed_and_the_task(seed: int, task: str) -> None:
    assert _first(Strategy("random", seed), task) == _first(Strategy("random", seed), task)


def test_random_spreads_tasks_evenly_across_workers() -> None:
    firsts = Counter(_first(Strategy("random", 7), f"WT{n:032d}") for n in range(3000))
    assert set(firsts) == {w.sid for w in WORKERS}
    assert all(800 < count < 1200 for count in firsts.values())  # ~1000 each


def test_another_seed_gives_another_order() -> None:
    tasks = [f"WT{n:032d}" for n in range(50)]
    seven = [_first(Strategy("random", 7), t) for t in tasks]
    eight = [_first(Strategy("random", 8), t) for t in tasks]
    assert seven != eight


def test_handling_times_from_the_task_come_first_then_the_fewest_open_tasks() -> None:
    strategy = Strategy("lowest_average_handling_time", handling_times=("handling", "by"))
    workers = [
        _Worker("WKslow", (0, "WKslow"), average_handling_ms=1.0),
        _Worker("WKfast", (1, "WKfast"), idle_since=5, average_handling_ms=9e9),
        _Worker("WKbusy", (2, "WKbusy"), open_tasks=2),
        _Worker("WKfree", (3, "WKfree"), open_tasks=1),
    ]
    figures = {"WKslow": 900_000, "WKfast": 120_000, "WKbusy": True, "WKfree": "fast"}
    attributes = {"handling": {"by": figures}}
    order = sorted(workers, key=lambda w: key(strategy, w, "WT1", None, attributes))
    assert [w.sid for w in order] == ["WKfast", "WKslow", "WKfree", "WKbusy"]
    nothing = sorted(workers, key=lambda w: key(strategy, w, "WT1", None, {}))
    # no figures: fewest open tasks, then idle the longest (not today's handling time)
    assert [w.sid for w in nothing] == ["WKslow", "WKfast", "WKfree", "WKbusy"]
