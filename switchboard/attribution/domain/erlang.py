"""Erlang B and Erlang C: the queueing arithmetic of staffing and of contact-point pools.

Standard library only. Probabilities come from the Erlang B recursion
``B(k) = A·B(k-1) / (k + A·B(k-1))``, which never forms a factorial or a power and so
stays finite for thousands of agents; Erlang C follows from B without loss
(``C = N·B / (N - A·(1 - B))``). At or above saturation (``N ≤ A``) the queue grows
without bound: the probability of waiting is 1, the service level 0 and the average
speed of answer infinite — answers, never exceptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Patient",
    "Staffing",
    "StaffingTarget",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "offered_load",
    "pool_size",
    "required_agents",
    "scheduled_heads",
    "service_level",
    "staffing",
]

# a search never needs more agents than this many times the load (plus a margin)
_MAX_AGENTS = 1_000_000


def offered_load(contacts: float, interval_seconds: float, handle_seconds: float) -> float:
    """Traffic in Erlangs: contacts per interval times the handle time, over the interval."""
    if interval_seconds <= 0:
        raise ValueError("the interval must be positive")
    if contacts < 0 or handle_seconds < 0:
        raise ValueError("contacts and handle time cannot be negative")
    return contacts * handle_seconds / interval_seconds


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of `servers` lines offered `load` Erlangs (no queue)."""
    _check(servers, load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a contact waits (all `agents` busy); 1 when ``agents <= load``."""
    _check(agents, load)
    if agents <= load:
        return 1.0
    if load == 0:
        return 0.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1 - blocking))


def service_level(agents: int, load: float, handle_seconds: float, answer_seconds: float) -> float:
    """Share of contacts answered within `answer_seconds`: ``1 - C·e^{-(N-A)·T/AHT}``."""
    if agents <= load:
        return 0.0
    waiting = erlang_c(agents, load)
    if handle_seconds <= 0:
        return 1.0
    return 1.0 - waiting * math.exp(-(agents - load) * answer_seconds / handle_seconds)


def average_speed_of_answer(agents: int, load: float, handle_seconds: float) -> float:
    """Mean wait in seconds over all contacts, ``C·AHT / (N - A)``; infinite when saturated."""
    if agents <= load:
        return math.inf
    return erlang_c(agents, load) * handle_seconds / (agents - load)


def occupancy(agents: int, load: float) -> float:
    """Share of the agents' time spent handling contacts (1 when saturated)."""
    if agents <= 0:
        return 1.0
    return min(1.0, load / agents)


def scheduled_heads(agents: int, shrinkage: float) -> int:
    """Heads to schedule so that `agents` remain after breaks, training and absence."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(round(agents / (1 - shrinkage), 9))


@dataclass(frozen=True)
class StaffingTarget:
    """What an interval must achieve: answered within `answer_seconds` for `service_level`
    of contacts, agents busy at most `max_occupancy`, optional ASA ceiling."""

    service_level: float
    answer_seconds: float
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    max_asa_seconds: float | None = None
    # Erlang A: callers' mean patience (None: Erlang C, nobody hangs up)
    patience_seconds: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            raise ValueError("the service level target must be between 0 and 1")
        if self.answer_seconds < 0:
            raise ValueError("the answer time cannot be negative")
        if not 0 < self.max_occupancy <= 1:
            raise ValueError("the maximum occupancy must be in (0, 1]")
        if not 0 <= self.shrinkage < 1:
            raise ValueError("shrinkage must be in [0, 1)")
        if self.patience_seconds is not None and self.patience_seconds <= 0:
            raise ValueError("the callers' patience must be positive")


@dataclass(frozen=True)
class Staffing:
    """One interval's answer: agents on the phones, heads to schedule, and what they give."""

    load: float
    agents: int
    scheduled: int
    service_level: float
    asa_seconds: float
    occupancy: float
    probability_of_waiting: float
    # Erlang A only: the share of callers who hang up before an answer
    probability_of_abandon: float | None = None

    def figures(self) -> dict[str, float | int | None]:
        """The calculator's printed object (CLI `--json` and HTTP): rounded, and an
        infinite ASA as null."""
        asa = None if math.isinf(self.asa_seconds) else round(self.asa_seconds, 2)
        return {
            "agents": self.agents,
            "scheduled": self.scheduled,
            "service_level": round(self.service_level, 4),
            "asa_seconds": asa,
            "occupancy": round(self.occupancy, 4),
            "probability_of_waiting": round(self.probability_of_waiting, 4),
        } | (
            {}
            if self.probability_of_abandon is None
            else {"probability_of_abandon": round(self.probability_of_abandon, 4)}
        )


def staffing(agents: int, load: float, handle_seconds: float, target: StaffingTarget) -> Staffing:
    """What `agents` achieve on `load` (the figures a staffing table prints)."""
    if target.patience_seconds is not None:
        patient = erlang_a(
            agents, load, handle_seconds, target.answer_seconds, target.patience_seconds
        )
        return Staffing(
            load, agents, scheduled_heads(agents, target.shrinkage), patient.service_level,
            patient.asa_seconds, patient.occupancy, patient.probability_of_waiting,
            patient.probability_of_abandon,
        )  # fmt: skip
    return Staffing(
        load=load,
        agents=agents,
        scheduled=scheduled_heads(agents, target.shrinkage),
        service_level=service_level(agents, load, handle_seconds, target.answer_seconds),
        asa_seconds=average_speed_of_answer(agents, load, handle_seconds),
        occupancy=occupancy(agents, load),
        probability_of_waiting=erlang_c(agents, load),
    )


def _meets(agents: int, load: float, handle_seconds: float, target: StaffingTarget) -> bool:
    if target.patience_seconds is not None:
        found = staffing(agents, load, handle_seconds, target)
        asa_ok = target.max_asa_seconds is None or found.asa_seconds <= target.max_asa_seconds
        level_ok = found.service_level >= target.service_level
        return found.occupancy <= target.max_occupancy and level_ok and asa_ok
    if occupancy(agents, load) > target.max_occupancy or agents <= load:
        return False
    if service_level(agents, load, handle_seconds, target.answer_seconds) < target.service_level:
        return False
    asa = target.max_asa_seconds
    return asa is None or average_speed_of_answer(agents, load, handle_seconds) <= asa


def required_agents(load: float, handle_seconds: float, target: StaffingTarget) -> Staffing:
    """The smallest number of agents meeting every part of `target` (never one too many:
    the service level rises with each agent, so the first that meets it is the answer)."""
    _check(0, load)
    agents = max(1, math.ceil(load / target.max_occupancy - 1e-9))
    if target.patience_seconds is None:  # Erlang C needs more agents than the load
        agents = max(agents, math.floor(load) + 1)
    if agents > _MAX_AGENTS:  # refused before Erlang B's loop over every agent
        raise ValueError("the target cannot be met by any practical number of agents")
    if target.patience_seconds is None:
        agents = _first_meeting_erlang_c(agents, load, handle_seconds, target)
    else:
        while not _meets(agents, load, handle_seconds, target):
            agents += 1
            if agents > _MAX_AGENTS:
                raise ValueError("the target cannot be met by any practical number of agents")
    return staffing(agents, load, handle_seconds, target)


def _first_meeting_erlang_c(
    agents: int, load: float, handle_seconds: float, target: StaffingTarget
) -> int:
    """:func:`_meets` for Erlang C from `agents` upward, with Erlang B carried from one
    count to the next (one step of its recursion per agent added, not a loop over all of
    them per count: a search over thousands of agents stays linear)."""
    blocking = erlang_b(agents, load)
    while True:
        waiting = 0.0 if load == 0 else agents * blocking / (agents - load * (1 - blocking))
        if occupancy(agents, load) <= target.max_occupancy and agents > load:
            spare = agents - load
            level = (
                1.0
                if handle_seconds <= 0
                else 1.0 - waiting * math.exp(-spare * target.answer_seconds / handle_seconds)
            )
            asa = waiting * handle_seconds / spare
            ceiling = target.max_asa_seconds
            if level >= target.service_level and (ceiling is None or asa <= ceiling):
                return agents
        agents += 1
        if agents > _MAX_AGENTS:
            raise ValueError("the target cannot be met by any practical number of agents")
        blocking = load * blocking / (agents + load * blocking)


def pool_size(load: float, max_blocking: float) -> tuple[int, float]:
    """The smallest pool whose Erlang B blocking is at most `max_blocking`, and that rate.

    A contact-point pool is a loss system: a visitor holds a point for the lease time,
    and a visitor arriving when every point is leased overflows to the fallback."""
    if not 0 < max_blocking < 1:
        raise ValueError("the accepted overflow must be between 0 and 1")
    _check(0, load)
    blocking, points = 1.0, 0
    while blocking > max_blocking:
        points += 1
        blocking = load * blocking / (points + load * blocking)
        if points > _MAX_AGENTS:
            raise ValueError("no practical pool meets the overflow target")
    return points, blocking


def _check(servers: int, load: float) -> None:
    if servers < 0:
        raise ValueError("the number of agents cannot be negative")
    if load < 0 or not math.isfinite(load):
        raise ValueError("the load must be a finite, non-negative number of Erlangs")


# --- Erlang A: callers who hang up ------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """Erlang A (M/M/N+M) figures: callers abandon after an exponential patience."""

    probability_of_waiting: float
    probability_of_abandon: float
    asa_seconds: float
    service_level: float
    occupancy: float


def _stationary(agents: int, load: float, patience_ratio: float) -> list[float]:
    """Steady-state probabilities of n contacts in the system (in units of the handle
    time: arrivals `load`, service 1 per busy agent, abandonment `patience_ratio` per
    waiting caller), built in log space and cut where they fall below 1e-18."""
    logs, current, top, n = [0.0], 0.0, 0.0, 0
    while True:
        n += 1
        death = min(n, agents) + max(0, n - agents) * patience_ratio
        current += math.log(load) - math.log(death)
        logs.append(current)
        top = max(top, current)
        if n > agents and current < top - 41.5:
            break
        if n > agents + _MAX_AGENTS:
            raise ValueError("the queue does not settle: give callers a finite patience")
    weights = [math.exp(value - top) for value in logs]
    total = sum(weights)
    return [w / total for w in weights]


def _served_within(agents: int, patience_ratio: float, horizon: float, ahead: int) -> list[float]:
    """For a caller finding k = 0..ahead callers ahead of them: the probability of being
    answered within `horizon` handle times before hanging up (uniformization of the
    countdown: rate N + jθ moves them forward, θ makes them leave)."""
    top = agents + ahead * patience_ratio + patience_ratio
    steps = int(top * horizon + 10 * math.sqrt(top * horizon) + 20)
    forward = [(agents + j * patience_ratio) / top for j in range(ahead + 1)]
    stay = [1 - forward[j] - patience_ratio / top for j in range(ahead + 1)]
    reached = [0.0] * (ahead + 1)
    answered = [0.0] * (ahead + 1)
    mean = top * horizon
    for m in range(steps + 1):
        if m > 0:  # one more step of the chain: reached[k] = P(served within m steps | k)
            reached = [forward[k] * (reached[k - 1] if k else 1.0) + stay[k] * reached[k]
                       for k in range(ahead + 1)]  # fmt: skip
        if mean == 0:
            weight = 1.0 if m == 0 else 0.0
        else:
            weight = math.exp(-mean + m * math.log(mean) - math.lgamma(m + 1))
        answered = [a + weight * r for a, r in zip(answered, reached, strict=True)]
    return answered


def erlang_a(
    agents: int,
    load: float,
    handle_seconds: float,
    answer_seconds: float,
    patience_seconds: float,
) -> Patient:
    """Erlang A: like Erlang C, but each waiting caller hangs up after an exponentially
    distributed patience (mean `patience_seconds`). Stable at any load; as the patience
    grows without bound it tends to Erlang C. The service level is the share of all
    callers answered within `answer_seconds` (those who hang up count as not answered)."""
    _check(agents, load)
    if patience_seconds <= 0 or handle_seconds <= 0:
        raise ValueError("patience and handle time must be positive")
    if agents == 0 or load == 0:
        waiting = 1.0 if agents == 0 and load > 0 else 0.0
        return Patient(waiting, waiting, 0.0, 1.0 - waiting, 0.0)
    ratio = handle_seconds / patience_seconds
    states = _stationary(agents, load, ratio)
    queued = sum((n - agents) * p for n, p in enumerate(states) if n > agents)
    ahead = len(states) - agents
    served = _served_within(agents, ratio, answer_seconds / handle_seconds, ahead)
    level = sum(states[:agents]) + sum(states[agents + k] * served[k] for k in range(ahead))
    abandon = ratio * queued / load
    return Patient(
        probability_of_waiting=sum(states[agents:]),
        probability_of_abandon=abandon,
        asa_seconds=queued / load * handle_seconds,
        service_level=level,
        occupancy=min(1.0, load * (1 - abandon) / agents),
    )
