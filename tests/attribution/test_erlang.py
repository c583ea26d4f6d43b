"""Erlang B and C: published tables, an independent exact implementation, and the
properties staffing relies on (more agents never make service worse)."""

from __future__ import annotations

import heapq
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.attribution.domain.erlang import (
    StaffingTarget,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    offered_load,
    pool_size,
    required_agents,
    scheduled_heads,
    service_level,
)

# Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
# (callcentrehelper.com): 100 calls in 30 minutes, AHT 3 minutes (10 Erlangs), answer
# within 20 seconds. Columns: agents, probability of waiting, service level, ASA (s),
# as printed there (percentages to one decimal, seconds to one decimal).
CALL_CENTRE_HELPER = [
    (11, 0.682, 0.390, 122.8),
    (12, 0.449, 0.640, 40.4),
    (13, 0.285, 0.796, 17.1),
    (14, 0.174, 0.888, 7.8),
    (15, 0.102, 0.941, 3.7),
]

# Erlang B traffic table at 1 % blocking (grade of service 0.01), as printed in the
# standard telephone-traffic tables (e.g. ITU-T E.501 supplement / any Erlang B table):
# lines -> Erlangs carried at 1 % blocking.
ERLANG_B_ONE_PERCENT = [(1, 0.0101), (2, 0.153), (5, 1.36), (10, 4.46), (20, 12.03), (50, 37.9)]


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """The textbook sum with factorials, in exact rational arithmetic: an implementation
    that shares nothing with the recursion under test."""
    term = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    below = sum(load**k / math.factorial(k) for k in range(agents))
    return term / (below + term)


@pytest.mark.parametrize(("agents", "waiting", "level", "asa"), CALL_CENTRE_HELPER)
def test_the_published_worked_example_is_reproduced(
    agents: int, waiting: float, level: float, asa: float
) -> None:
    assert erlang_c(agents, 10.0) == pytest.approx(waiting, abs=0.0006)
    assert service_level(agents, 10.0, 180, 20) == pytest.approx(level, abs=0.0006)
    assert average_speed_of_answer(agents, 10.0, 180) == pytest.approx(asa, abs=0.06)


@pytest.mark.parametrize(("lines", "erlangs"), ERLANG_B_ONE_PERCENT)
def test_erlang_b_matches_the_one_percent_traffic_table(lines: int, erlangs: float) -> None:
    assert erlang_b(lines, erlangs) == pytest.approx(0.01, rel=0.01)


@pytest.mark.parametrize("agents", [1, 2, 3, 5, 8, 13, 21, 34, 55])
@pytest.mark.parametrize("utilisation", [Fraction(1, 10), Fraction(1, 2), Fraction(9, 10)])
def test_erlang_c_agrees_with_an_exact_factorial_implementation(
    agents: int, utilisation: Fraction
) -> None:
    load = agents * utilisation
    assert erlang_c(agents, float(load)) == pytest.approx(float(exact_erlang_c(agents, load)))


def test_the_issue_example_needs_fourteen_agents_and_twenty_heads() -> None:
    target = StaffingTarget(service_level=0.8, answer_seconds=20, max_occupancy=0.85, shrinkage=0.3)
    plan = required_agents(offered_load(100, 1800, 180), 180, target)
    assert (plan.agents, plan.scheduled) == (14, 20)
    assert round(plan.service_level, 4) == 0.8884
    assert round(plan.asa_seconds, 2) == 7.84
    assert round(plan.occupancy, 4) == 0.7143
    assert round(service_level(13, 10.0, 180, 20), 4) == 0.7956


def test_saturation_is_an_answer_not_an_exception() -> None:
    for agents in (0, 5, 10):
        assert erlang_c(agents, 10.0) == 1.0
        assert service_level(agents, 10.0, 180, 20) == 0.0
        assert average_speed_of_answer(agents, 10.0, 180) == math.inf
    assert occupancy(5, 10.0) == 1.0


def test_a_thousand_agents_do_not_overflow() -> None:
    load = 1150.0
    waiting = erlang_c(1200, load)
    assert 0 < waiting < 1
    plan = required_agents(load, 180, StaffingTarget(0.8, 20))
    assert load < plan.agents < 1250
    assert service_level(plan.agents - 1, load, 180, 20) < 0.8 <= plan.service_level


def test_a_load_beyond_any_practical_team_is_refused_before_any_computation() -> None:
    """A billion Erlangs would make Erlang B loop over a billion agents (minutes, on the
    server's event loop); the search refuses it at once instead."""
    with pytest.raises(ValueError, match="practical"):
        required_agents(1.44e9, 86_400, StaffingTarget(0.8, 20))
    with pytest.raises(ValueError, match="practical"):
        required_agents(2e6, 180, StaffingTarget(0.8, 20, max_occupancy=0.5))


def test_the_occupancy_cap_can_decide_the_answer() -> None:
    relaxed = required_agents(10.0, 180, StaffingTarget(0.5, 20))
    capped = required_agents(10.0, 180, StaffingTarget(0.5, 20, max_occupancy=0.7))
    assert relaxed.agents == 12
    assert capped.agents == 15 and capped.occupancy <= 0.7


def test_shrinkage_rounds_heads_up_but_never_past_an_exact_division() -> None:
    assert scheduled_heads(14, 0.3) == 20
    assert scheduled_heads(7, 0.3) == 10  # 7 / 0.7 is 10 exactly, not 10.000000000000002
    assert scheduled_heads(10, 0.0) == 10


def test_pool_size_is_the_smallest_pool_meeting_the_overflow_target() -> None:
    points, overflow = pool_size(offered_load(20, 3600, 1800), 0.01)
    assert (points, round(overflow, 4)) == (18, 0.0071)
    assert erlang_b(points - 1, 10.0) > 0.01


loads = st.floats(min_value=0.1, max_value=400, allow_nan=False)
extra = st.integers(min_value=1, max_value=60)


@given(loads, extra, st.floats(min_value=1, max_value=60), st.floats(min_value=30, max_value=900))
def test_service_level_rises_strictly_with_each_agent(
    load: float, above: int, answer: float, handle: float
) -> None:
    agents = math.floor(load) + above
    lower = service_level(agents, load, handle, answer)
    higher = service_level(agents + 1, load, handle, answer)
    assert lower <= higher
    if higher < 1 - 1e-12:
        assert lower < higher


@given(loads, extra, st.floats(min_value=30, max_value=900))
def test_asa_falls_strictly_with_each_agent(load: float, above: int, handle: float) -> None:
    agents = math.floor(load) + above
    lower = average_speed_of_answer(agents + 1, load, handle)
    higher = average_speed_of_answer(agents, load, handle)
    assert lower <= higher
    if higher > 1e-12:
        assert lower < higher


@given(loads, st.floats(min_value=0.05, max_value=0.99), st.floats(min_value=0, max_value=60))
def test_required_agents_is_never_one_too_many(load: float, level: float, answer: float) -> None:
    target = StaffingTarget(service_level=level, answer_seconds=answer)
    plan = required_agents(load, 180, target)
    assert plan.service_level >= level
    fewer = plan.agents - 1
    assert fewer <= load or service_level(fewer, load, 180, answer) < level


@given(st.floats(min_value=0, max_value=200), st.floats(min_value=0.001, max_value=0.5))
def test_pool_size_is_minimal(load: float, overflow: float) -> None:
    points, rate = pool_size(load, overflow)
    assert rate <= overflow
    assert points == 0 or erlang_b(points - 1, load) > overflow


def test_nonsense_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        erlang_c(-1, 1.0)
    with pytest.raises(ValueError, match="load"):
        erlang_b(3, math.nan)
    with pytest.raises(ValueError, match="service level"):
        StaffingTarget(service_level=1.5, answer_seconds=20)
    with pytest.raises(ValueError, match="interval"):
        offered_load(10, 0, 180)


# --- Erlang A ----------------------------------------------------------------------------


def simulated_erlang_a(
    agents: int, load: float, handle: float, answer: float, patience: float, callers: int
) -> tuple[float, float, float]:
    """A first-come-first-served queue with impatient callers, simulated caller by caller
    (seeded): each takes the earliest free agent unless the wait exceeds their patience.
    Returns (service level, probability of abandon, probability of waiting)."""
    rng = random.Random(15)
    free = [0.0] * agents
    clock = answered_in_time = abandoned = waited = 0.0
    rate = load / handle
    for _ in range(callers):
        clock += rng.expovariate(rate)
        earliest = heapq.heappop(free)
        wait = max(0.0, earliest - clock)
        waited += wait > 0
        if wait > rng.expovariate(1 / patience):
            abandoned += 1
            heapq.heappush(free, earliest)
            continue
        answered_in_time += wait <= answer
        heapq.heappush(free, max(earliest, clock) + rng.expovariate(1 / handle))
    return answered_in_time / callers, abandoned / callers, waited / callers


@pytest.mark.parametrize("agents", [11, 13, 14, 15])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(agents: int) -> None:
    patient = erlang_a(agents, 10.0, 180, 20, patience_seconds=1e7)
    assert patient.probability_of_waiting == pytest.approx(erlang_c(agents, 10.0), abs=1e-4)
    assert patient.service_level == pytest.approx(service_level(agents, 10.0, 180, 20), abs=1e-4)
    assert patient.asa_seconds == pytest.approx(
        average_speed_of_answer(agents, 10.0, 180), rel=1e-3
    )


@pytest.mark.parametrize(("agents", "load"), [(5, 4.5), (8, 10.0), (14, 10.0)])
def test_erlang_a_agrees_with_a_simulation_of_impatient_callers(agents: int, load: float) -> None:
    level, abandon, waiting = simulated_erlang_a(agents, load, 180, 20, 120, 200_000)
    patient = erlang_a(agents, load, 180, 20, 120)
    assert patient.service_level == pytest.approx(level, abs=0.01)
    assert patient.probability_of_abandon == pytest.approx(abandon, abs=0.01)
    assert patient.probability_of_waiting == pytest.approx(waiting, abs=0.01)


def test_erlang_a_stays_finite_when_agents_are_fewer_than_the_load() -> None:
    overloaded = erlang_a(8, 10.0, 180, 20, 120)
    assert 0 < overloaded.service_level < 1
    assert 0.2 < overloaded.probability_of_abandon < 0.3
    assert math.isfinite(overloaded.asa_seconds)


def test_patience_lowers_the_agents_required() -> None:
    target = StaffingTarget(0.8, 20, max_occupancy=0.85, shrinkage=0.3, patience_seconds=120)
    plan = required_agents(10.0, 180, target)
    assert plan.agents == 12 and plan.probability_of_abandon is not None
    assert plan.figures()["probability_of_abandon"] == round(plan.probability_of_abandon, 4)
    fewer = erlang_a(11, 10.0, 180, 20, 120)
    assert fewer.service_level < 0.8 <= plan.service_level


@given(st.integers(1, 30), st.floats(0.5, 25), st.floats(30, 600))
def test_erlang_a_improves_with_each_agent(agents: int, load: float, patience: float) -> None:
    fewer = erlang_a(agents, load, 180, 20, patience)
    more = erlang_a(agents + 1, load, 180, 20, patience)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.probability_of_abandon <= fewer.probability_of_abandon + 1e-12
