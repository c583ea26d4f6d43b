"""The matching engine alone, in process: reservations per second against a naive matcher."""

from __future__ import annotations

import gc

from bench.common import Config, Result, Stopwatch
from bench.naive import naive_plan
from bench.world import World, build_snapshot, make_world, total_capacity
from switchboard.distribution.domain import matching as m

TARGET_RATE = 20_000.0
NAME = "engine (in-process)"


def _key(match: m.Match) -> tuple[str, str, str, str]:
    return (match.task_sid, match.worker_sid, match.queue_sid, match.channel_sid)


def _fastest(world: World, repeats: int) -> tuple[Stopwatch, Stopwatch, list[m.Match]]:
    """Build and plan `repeats` times, keeping the fastest of each: small (CI) sizes take
    milliseconds, where one preemption on a loaded machine would double a figure."""
    builds, plans = [], []
    matches: list[m.Match] = []
    for _ in range(repeats):
        with Stopwatch() as build:
            snapshot = build_snapshot(world)
        with Stopwatch() as planning:
            matches = m.plan_reservations(snapshot)
        builds.append(build)
        plans.append(planning)
    return min(builds, key=_wall), min(plans, key=_wall), matches


def _wall(watch: Stopwatch) -> float:
    return watch.seconds


def run(config: Config) -> list[Result]:
    world = make_world(config.workers, config.tasks)
    capacity = total_capacity(world)
    gc.collect()
    build, planning, matches = _fastest(world, 3 if config.quick else 1)
    busy = len({match.worker_sid for match in matches})
    naive = naive_plan(build_snapshot(world), config.naive_seconds)
    agrees = [_key(x) for x in naive.matches] == [_key(x) for x in matches[: len(naive.matches)]]
    rate = len(matches) / planning.seconds
    naive_rate = len(naive.matches) / naive.seconds
    sizes = f"{config.workers:,} workers, {config.tasks:,} waiting tasks, capacity {capacity:,}"
    coverage = "full plan" if naive.finished else f"first {naive.tasks_seen:,} tasks"
    plan = Result(
        NAME,
        "reservations/s (plan_reservations vs naive scan)",
        rate,
        "res/s",
        naive_rate,
        notes=[
            sizes,
            f"{len(matches):,} reservations in {planning.seconds * 1000:.0f} ms",
            f"{busy:,}/{config.workers:,} workers got work",
            f"target >= {TARGET_RATE:,.0f} res/s: {'met' if rate >= TARGET_RATE else 'MISSED'}",
            f"naive ran {naive.seconds:.1f} s over the {coverage} "
            f"({len(naive.matches):,} reservations; its cheap early tasks flatter it)",
            f"naive agrees with the engine on those: {'yes' if agrees else 'NO'}",
        ],
    )
    snapshot_row = Result(
        NAME,
        "snapshot build time (rows -> Snapshot)",
        build.seconds,
        "s",
        planning.seconds,
        better="lower",
        notes=["baseline: the plan itself on that snapshot", sizes],
    )
    return [plan, snapshot_row]
