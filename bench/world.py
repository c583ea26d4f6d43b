"""A synthetic contact center for the engine benchmarks: queues, workers and waiting tasks.

The world is plain data (dicts, like decoded rows), so building the engine's
:class:`~switchboard.distribution.domain.matching.Snapshot` from it can be timed on its own.
Everything is derived from a seeded :class:`random.Random`: runs are comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain.expressions import compile_expression

VOICE = "TCvoice"
CHAT = "TCchat"
LANGS = ("en", "es", "fr")
LANG_WEIGHTS = (6, 3, 1)
SKILLS = ("billing", "sales", "support")
# queue sid -> TargetWorkers, and the share of the tasks it receives
QUEUES: dict[str, tuple[str, int]] = {
    "WQbilling": ("skills HAS 'billing'", 20),
    "WQsales": ("skills HAS 'sales'", 20),
    "WQsupport": ("skills HAS 'support' AND level >= 2", 20),
    "WQsenior": ("level >= 4", 10),
    "WQspanish": ("languages HAS 'es'", 10),
    "WQall": ("1==1", 20),
}
LANG_TARGET = "task.lang == worker.lang"
LANG_TARGET_SHARE = 0.3


@dataclass(frozen=True)
class World:
    workers: list[dict[str, Any]]
    tasks: list[dict[str, Any]]


def make_worker(rng: random.Random, index: int) -> dict[str, Any]:
    skills = [skill for skill in SKILLS if rng.random() < 0.45] or [rng.choice(SKILLS)]
    lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
    languages = sorted({lang, "en"} if rng.random() < 0.5 else {lang})
    return {
        "sid": f"WK{index:032x}",
        "friendly_name": f"worker-{index}",
        "attributes": {
            "skills": skills,
            "level": rng.randint(1, 5),
            "lang": lang,
            "languages": languages,
        },
        "idle_since": rng.randint(0, 3_600_000),
        "capacity": {VOICE: 1, CHAT: rng.randint(1, 3)},
    }


def make_task(
    rng: random.Random, index: int, queue_sids: list[str], weights: list[int]
) -> dict[str, Any]:
    return {
        "sid": f"WT{index:032x}",
        "priority": rng.choice((0, 0, 0, 1, 5)),
        "virtual_start_time": rng.randint(0, 86_400_000),
        "attributes": {"lang": rng.choices(LANGS, LANG_WEIGHTS)[0], "n": index},
        "queue_sid": rng.choices(queue_sids, weights)[0],
        "channel_sid": VOICE if rng.random() < 0.4 else CHAT,
        "lang_target": rng.random() < LANG_TARGET_SHARE,
    }


def make_world(workers: int, tasks: int, seed: int = 7) -> World:
    rng = random.Random(seed)
    queue_sids = list(QUEUES)
    weights = [share for _expr, share in QUEUES.values()]
    return World(
        [make_worker(rng, i) for i in range(workers)],
        [make_task(rng, i, queue_sids, weights) for i in range(tasks)],
    )


def worker_state(row: dict[str, Any]) -> m.WorkerState:
    return m.WorkerState(
        sid=row["sid"],
        friendly_name=row["friendly_name"],
        attributes=row["attributes"],
        activity_sid="WAavailable",
        activity_name="Available",
        available=True,
        idle_since=row["idle_since"],
        channels={sid: m.ChannelState(capacity=n) for sid, n in row["capacity"].items()},
    )


def waiting_task(row: dict[str, Any]) -> m.WaitingTask:
    return m.WaitingTask(
        sid=row["sid"],
        priority=row["priority"],
        virtual_start_time=row["virtual_start_time"],
        attributes=row["attributes"],
        queue_sid=row["queue_sid"],
        channel_sid=row["channel_sid"],
        target_expression=compile_expression(LANG_TARGET) if row["lang_target"] else None,
    )


def build_snapshot(world: World) -> m.Snapshot:
    """The engine's input, fresh (planning mutates capacities)."""
    queues = {
        sid: m.QueueState(sid, compile_expression(expr)) for sid, (expr, _s) in QUEUES.items()
    }
    return m.Snapshot(
        tuple(worker_state(row) for row in world.workers),
        queues,
        tuple(waiting_task(row) for row in world.tasks),
    )


def total_capacity(world: World) -> int:
    return sum(sum(row["capacity"].values()) for row in world.workers)
