"""Queue strategies: which of the workers that fit a task is offered it first.

TaskRouter offers a task to the worker idle the longest (or by the target's
`order_by`). Contact centers running open-source ACDs (FreeSWITCH mod_callcenter,
Asterisk app_queue) expect more; a workflow target may name one with `"strategy"`
(a Switchboard extension: Twilio ignores the key):

* ``longest_idle`` (the default): idle the longest first;
* ``round_robin``: the next worker, in the order workers were created, after the one
  the queue offered a task to last;
* ``top_down``: always from the first worker created down;
* ``fewest_tasks``: fewest tasks accepted today (UTC);
* ``least_talk_time``: least talk time today;
* ``lowest_average_handling_time``: lowest average handling time of the tasks
  completed today; a worker without one yet comes first (so every worker gets one).
  With ``"handling_times": "task.<path>"`` the figures come from the task instead: an
  object of worker sid -> average handling time (ms) at that path, which the caller
  computed for what the task is about (the conversations pillar puts each member's
  figure for the request's category there). Workers with a figure come first, lowest
  first; workers without one come after, fewest open tasks first (reservations
  pending, accepted or wrapping); with no figure at all, that is the whole order;
* ``random``: a shuffled order, the same for a given ``random_seed`` and task.

Ties fall back to idle time, then the worker's sid, so every order is deterministic.
`order_by` clauses, when given, come before the strategy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

STRATEGIES = (
    "longest_idle",
    "round_robin",
    "top_down",
    "fewest_tasks",
    "least_talk_time",
    "lowest_average_handling_time",
    "random",
)
DEFAULT = "longest_idle"


class Ranked(Protocol):
    """What a strategy reads of a worker (see `matching.WorkerState`)."""

    sid: str
    rank: tuple[int, str]
    idle_since: int
    handled_today: int
    talk_ms_today: int
    average_handling_ms: float | None

    @property
    def open_tasks(self) -> int:
        """Reservations the worker holds now (pending, accepted or wrapping)."""
        ...


@dataclass(frozen=True)
class Strategy:
    name: str = DEFAULT
    seed: int = 0
    # lowest_average_handling_time: where the task carries the figures (a path, no "task.")
    handling_times: tuple[str, ...] | None = None

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT


LONGEST_IDLE = Strategy()


def key(
    strategy: Strategy,
    worker: Ranked,
    task_sid: str,
    last_rank: tuple[int, str] | None,
    attributes: Mapping[str, Any] | None = None,
) -> tuple[Any, ...]:
    """The sort key of `worker` for a task under `strategy` (smaller comes first).

    `last_rank` is the rank of the worker the task's queue offered a task to last
    (round robin starts after it); `attributes` are the task's (for `handling_times`)."""
    name = strategy.name
    if name == "round_robin":
        after = last_rank is None or worker.rank > last_rank
        primary: tuple[Any, ...] = (0 if after else 1, worker.rank)
    elif name == "top_down":
        primary = (worker.rank,)
    elif name == "fewest_tasks":
        primary = (worker.handled_today,)
    elif name == "least_talk_time":
        primary = (worker.talk_ms_today,)
    elif name == "lowest_average_handling_time" and strategy.handling_times is not None:
        figure = task_figure(attributes or {}, strategy.handling_times, worker.sid)
        primary = (0, figure) if figure is not None else (1, float(worker.open_tasks))
    elif name == "lowest_average_handling_time":
        aht = worker.average_handling_ms
        primary = (0, 0.0) if aht is None else (1, aht)
    elif name == "random":
        primary = (_shuffle(strategy.seed, task_sid, worker.sid),)
    else:
        primary = ()
    return (*primary, worker.idle_since, worker.sid)


def task_figure(attributes: Mapping[str, Any], path: tuple[str, ...], sid: str) -> float | None:
    """The number the task carries for worker `sid` in the object at `path` (None when
    there is none, or it is not a finite number of at least 0)."""
    value: Any = attributes
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    figure = value.get(sid) if isinstance(value, Mapping) else None
    if isinstance(figure, bool) or not isinstance(figure, int | float):
        return None
    return float(figure) if math.isfinite(figure) and figure >= 0 else None


def _shuffle(seed: int, task_sid: str, worker_sid: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{task_sid}:{worker_sid}".encode(), digest_size=8).digest()
