"""The pure statistics rules: windows, rounding, percentiles, splits, routing levels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as s

from switchboard.distribution.domain import statistics as st
from switchboard.kernel.errors import InvalidParameter

durations = s.lists(s.integers(min_value=0, max_value=10**9), max_size=200)
MINUTE = 60_000


def test_window_defaults_to_the_last_15_minutes() -> None:
    assert st.resolve_window(None, None, None, 10**9) == st.Window(10**9 - 15 * MINUTE, 10**9)


def test_window_minutes_count_back_from_end_date_and_start_date_wins() -> None:
    assert st.resolve_window(5, None, 100 * MINUTE, 10**9) == st.Window(95 * MINUTE, 100 * MINUTE)
    assert st.resolve_window(5, 7, None, 10**9) == st.Window(7, 10**9)
    assert st.resolve_window(5, 7, 9, 10**9) == st.Window(7, 9)


def test_window_that_ends_before_it_starts_is_a_bad_request() -> None:
    with pytest.raises(InvalidParameter, match="StartDate"):
        st.resolve_window(None, 10, 9, 10**9)


def test_thresholds_are_sorted_distinct_whole_seconds() -> None:
    assert st.parse_thresholds(None) == ()
    assert st.parse_thresholds("30, 5,,5,0") == (0, 5, 30)


@pytest.mark.parametrize(
    "text", ["5,x", "-1", "2.5", ",".join(str(n) for n in range(21)), "\u00b9", "9" * 5000]
)
def test_bad_thresholds_are_rejected(text: str) -> None:
    with pytest.raises(InvalidParameter, match="SplitByWaitTime"):
        st.parse_thresholds(text)


def test_seconds_round_half_up() -> None:
    assert [st.seconds(ms) for ms in (0, 499, 500, 1499, 1500, 45_500)] == [0, 0, 1, 1, 2, 46]
    assert st.average_seconds(43_500, 2) == 22  # 21.75
    assert st.average_seconds(3_000, 2) == 2  # 1.5 rounds up
    assert st.average_seconds(0, 0) == 0


def test_nearest_rank_examples() -> None:
    assert [st.nearest_rank(p, 10) for p in (50, 90, 99)] == [5, 9, 10]
    assert [st.nearest_rank(p, 1) for p in (50, 90, 99)] == [1, 1, 1]
    assert st.percentiles_of([5, 1, 3, 2, 4]) == {50: 3, 90: 5, 99: 5}
    assert st.percentiles_of([]) == {}


@given(s.integers(min_value=1, max_value=100), s.integers(min_value=1, max_value=10**6))
def test_nearest_rank_is_the_ceiling_of_p_n_over_100(percent: int, count: int) -> None:
    rank = st.nearest_rank(percent, count)
    assert rank == max(1, math.ceil(percent * count / 100))
    assert 1 <= rank <= count


@given(durations)
def test_percentiles_are_values_of_the_set_in_order(values: list[int]) -> None:
    found = st.percentiles_of(values)
    if not values:
        assert found == {}
        return
    assert set(found.values()) <= set(values)
    assert min(values) <= found[50] <= found[90] <= found[99] <= max(values)
    # at least p% of the values are at or below the p-th percentile
    for p, value in found.items():
        assert sum(1 for v in values if v <= value) * 100 >= p * len(values)


@given(durations)
def test_summary_bounds(values: list[int]) -> None:
    summary = st.duration_summary(st.aggregate(values), st.percentiles_of(values))
    assert set(summary) == {"avg", "min", "max", "total", "p50", "p90", "p99"}
    if values:
        assert summary["min"] <= summary["avg"] <= summary["max"]
        assert summary["min"] <= summary["p50"] <= summary["p99"] <= summary["max"]
        assert summary["total"] == st.seconds(sum(values))
    else:
        assert set(summary.values()) == {0}


@given(durations, durations)
def test_merging_aggregates_equals_aggregating_the_union(a: list[int], b: list[int]) -> None:
    assert st.aggregate(a).merge(st.aggregate(b)) == st.aggregate(a + b)


@given(
    durations,
    durations,
    s.lists(s.integers(min_value=0, max_value=10**6), max_size=5, unique=True),
)
def test_split_sides_add_up(
    accepted: list[int], canceled: list[int], thresholds: list[int]
) -> None:
    ordered = sorted(thresholds)
    split = st.split_by_wait_time(
        ordered,
        st.SplitSide(len(accepted), {t: st.count_above(accepted, t) for t in ordered}),
        st.SplitSide(len(canceled), {t: st.count_above(canceled, t) for t in ordered}),
    )
    assert list(split) == [str(t) for t in ordered]
    for entry in split.values():
        above, below = entry["above"], entry["below"]
        assert above["reservations_accepted"] + below["reservations_accepted"] == len(accepted)
        assert above["tasks_canceled"] + below["tasks_canceled"] == len(canceled)
    # a higher threshold never has more waits above it
    aboves = [split[str(t)]["above"]["reservations_accepted"] for t in ordered]
    assert aboves == sorted(aboves, reverse=True)


def test_a_wait_equal_to_the_threshold_is_below() -> None:
    assert st.count_above([5_000, 5_001, 4_999], 5) == 1


def test_routing_levels() -> None:
    assert st.routing_level(-1, 0) == "last_resort"
    assert st.routing_level(0, 0) == st.routing_level(3, 0) == "preferred"
    assert st.routing_level(0, 1) == st.routing_level(2, 4) == "secondary"
    assert st.routing_level(None, None) is None
    rows = [(-1, 0, 2), (0, 0, 3), (1, 0, 1), (0, 2, 4), (None, None, 7)]
    assert st.routing_success(rows) == {"preferred": 4, "secondary": 4, "last_resort": 2}


@given(
    s.integers(min_value=0, max_value=10**6),
    s.integers(min_value=0, max_value=10**6),
    s.integers(min_value=0, max_value=10**6),
    s.integers(min_value=0, max_value=10**6),
)
def test_clipped_stint_is_the_overlap(a: int, b: int, c: int, d: int) -> None:
    start, end = sorted((a, b))
    window = st.Window(*sorted((c, d)))
    clipped = st.clipped_stint(start, end, window)
    overlap = min(end, window.end) - max(start, window.start)
    if end <= window.start or start >= window.end:
        assert clipped is None
    else:
        assert clipped == overlap >= 0
        assert clipped <= end - start


def test_activity_duration_entry() -> None:
    entry = st.activity_duration("WA1", "Idle", st.aggregate([900_000, 1_260_000]))
    assert entry == {
        "sid": "WA1",
        "friendly_name": "Idle",
        "avg": 1080,
        "min": 900,
        "max": 1260,
        "total": 2160,
    }
