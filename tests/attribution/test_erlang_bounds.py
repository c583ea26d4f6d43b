"""The Erlang calculator answers any request quickly: what would keep a server busy for
minutes is refused with a 400 that says what to change (the API fuzzer found Erlang A
inputs that ran for minutes, and Erlang C searches that were quadratic in the agents)."""

from __future__ import annotations

import pytest

from switchboard.attribution.api.reports import _refuse_costly_erlang_a
from switchboard.attribution.domain import erlang


def test_erlang_c_searches_over_many_agents_find_the_smallest_count() -> None:
    load = 20_000.0
    plan = erlang.required_agents(load, 180, erlang.StaffingTarget(0.8, 20))
    assert plan.agents > load
    assert erlang.service_level(plan.agents, load, 180, 20) >= 0.8
    assert erlang.service_level(plan.agents - 1, load, 180, 20) < 0.8


def test_the_incremental_search_agrees_with_one_count_at_a_time() -> None:
    for load, answer, level in [(3.7, 20, 0.8), (55.0, 0, 0.95), (400.0, 15, 0.9)]:
        target = erlang.StaffingTarget(level, answer, max_occupancy=0.9)
        plan = erlang.required_agents(load, 120, target)
        first = next(n for n in range(1, 2_000) if erlang._meets(n, load, 120, target))
        assert plan.agents == first


@pytest.mark.parametrize(
    ("load", "aht", "answer", "patience", "says"),
    [
        (1_000.0, 60.0, 20.0, 120.0, "200 Erlangs"),
        (50.0, 1.0, 3_600.0, 60.0, "AnswerSeconds"),
        (50.0, 1.0, 5.0, 86_400.0, "PatienceSeconds"),
    ],
)
def test_costly_erlang_a_requests_are_refused(
    load: float, aht: float, answer: float, patience: float, says: str
) -> None:
    target = erlang.StaffingTarget(0.8, answer, patience_seconds=patience)
    with pytest.raises(ValueError, match=says):
        _refuse_costly_erlang_a(load, aht, target)


def test_erlang_a_within_the_bounds_is_answered() -> None:
    target = erlang.StaffingTarget(0.8, 20, patience_seconds=120)
    _refuse_costly_erlang_a(150.0, 60.0, target)
    assert erlang.required_agents(150.0, 60.0, target).agents >= 100
