"""Real-time statistics: the state right now, read from the current task and worker records.

Task figures are grouped by the statistics port per scope key (workspace, queue
or workflow), so a page of queues costs two queries. Worker figures need each
queue's TargetWorkers expression, which only the expression engine can
evaluate: the workspace's workers are loaded once (as the dispatcher does) and
every queue of the request is matched against that one list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain.expressions import ExpressionError, compile_expression
from switchboard.distribution.domain.records import Activity, TaskQueue, Workspace
from switchboard.distribution.work.placement import time_context
from switchboard.distribution.work.worker_states import load_workers
from switchboard.kernel.criteria import asc, eq
from switchboard.kernel.ports import Unit

JSON = dict[str, Any]


@dataclass(frozen=True)
class WorkerPool:
    """The workspace's workers (on the requested channel), loaded once per request."""

    workers: list[m.WorkerState]
    activities: list[tuple[str, str]]  # (sid, friendly_name), oldest activity first
    channel: str | None
    extra: dict[str, Any]  # time of day, for TargetWorkers using `taskrouter.*`

    def available(self, worker: m.WorkerState) -> bool:
        """An available activity (and, per channel, the channel switched on)."""
        if not worker.available:
            return False
        return self.channel is None or worker.channels[self.channel].available

    def eligible(self, target_workers: str) -> list[m.WorkerState]:
        """Workers that TargetWorkers selects, whatever their activity (as the dispatcher sees)."""
        try:
            expression = compile_expression(target_workers or "1==1")
        except ExpressionError:
            return []
        if expression.matches_all():
            return list(self.workers)
        return [w for w in self.workers if expression.evaluate({**self.extra, **w.context})]

    def on_channel(self, channel: str | None) -> WorkerPool:
        """Only workers with capacity on the channel: the ones that can take its tasks."""
        if channel is None:
            return self
        workers = [
            w for w in self.workers if channel in w.channels and w.channels[channel].capacity > 0
        ]
        return replace(self, workers=workers, channel=channel)

    def with_workers(self, workers: Sequence[m.WorkerState]) -> WorkerPool:
        return replace(self, workers=list(workers))

    def named(self, friendly_name: str) -> list[m.WorkerState]:
        """Worker names are unique case-insensitively, so is this filter."""
        key = friendly_name.lower()
        return [w for w in self.workers if w.friendly_name.lower() == key]

    def activity_statistics(self, workers: Sequence[m.WorkerState]) -> list[JSON]:
        """One entry per activity of the workspace, zeros included."""
        counts = Counter(w.activity_sid for w in workers)
        return [
            {"friendly_name": name, "sid": sid, "workers": counts.get(sid, 0)}
            for sid, name in self.activities
        ]


async def load_pool(unit: Unit, workspace: Workspace, now: int) -> WorkerPool:
    """Every worker of the workspace with its channels, and the activities in creation order."""
    rows = await unit.select(
        Activity, eq("workspace_sid", workspace.sid), order=[asc("date_created"), asc("sid")]
    )
    activities = {a.sid: a for a in rows}
    states, _rows = await load_workers(unit, workspace, activities)
    names = [(a.sid, a.friendly_name) for a in activities.values()]
    return WorkerPool(states, names, None, time_context(now))


def queue_worker_fields(pool: WorkerPool, queue: TaskQueue) -> JSON:
    members = pool.eligible(queue.target_workers)
    return {
        "activity_statistics": pool.activity_statistics(members),
        "total_available_workers": sum(1 for w in members if pool.available(w)),
        "total_eligible_workers": len(members),
    }
