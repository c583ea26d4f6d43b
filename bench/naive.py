"""The baseline matcher: the engine's rules, with no indexing at all.

For every task (in the engine's order) it scans *all* workers, longest idle first,
evaluating the queue's TargetWorkers, the capacity and the target expression for
each. It covers what the benchmark world uses (queues, channels, capacity, target
expressions, ``max_reserved_workers``), not ``order_by`` or known-worker routing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from switchboard.distribution.domain import matching as m


@dataclass
class NaiveRun:
    matches: list[m.Match]
    seconds: float
    tasks_seen: int
    finished: bool


def _fits(queue: m.QueueState, task: m.WaitingTask, worker: m.WorkerState) -> bool:
    if worker.sid in task.excluded_workers or worker.free_on(task.channel_sid) <= 0:
        return False
    if not queue.target_workers.evaluate(worker.context):
        return False
    if task.target_expression is None:
        return True
    context = {"task": task.attributes, "worker": worker.context}
    return task.target_expression.evaluate(context)


def _take(worker: m.WorkerState, channel_sid: str) -> int:
    before = sum(worker.free_on(c) for c in worker.channels)
    worker.channels[channel_sid].in_use += 1
    return before - sum(worker.free_on(c) for c in worker.channels)


def naive_plan(snapshot: m.Snapshot, budget_seconds: float) -> NaiveRun:
    """Plan until done or until the time budget is spent (checked between tasks)."""
    started = time.perf_counter()
    deadline = started + budget_seconds
    queues = snapshot.queues
    tasks = sorted(snapshot.tasks, key=lambda t: m.task_order_key(t, queues[t.queue_sid]))
    workers = sorted(snapshot.workers, key=lambda w: (w.idle_since, w.sid))
    free_slots = sum(w.free_on(c) for w in workers for c in w.channels)
    matches: list[m.Match] = []
    seen = 0
    for seen, task in enumerate(tasks, 1):  # noqa: B007 (seen is reported)
        if free_slots <= 0 or time.perf_counter() > deadline:
            break
        queue = queues[task.queue_sid]
        wanted = queue.max_reserved_workers - task.open_reservations
        for worker in workers:
            if wanted <= 0:
                break
            if _fits(queue, task, worker):
                free_slots -= _take(worker, task.channel_sid)
                matches.append(m.Match(task.sid, worker.sid, task.queue_sid, task.channel_sid))
                wanted -= 1
    else:
        seen = len(tasks)
    finished = free_slots <= 0 or seen >= len(tasks)
    return NaiveRun(matches, time.perf_counter() - started, seen, finished)
