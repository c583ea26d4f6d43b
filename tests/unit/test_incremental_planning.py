"""Planning only what changed plans exactly what planning everything would.

The routing owner keeps its workspace at rest (no waiting task fits a worker with
room) and, after some tasks and workers change, plans with :func:`plan_changes`
over the changed ones and the backlog of the queues the changed workers serve.
Hypothesis draws a workspace, brings it to rest with a full plan, changes it at
random (new tasks, workers freed, made available, given other skills or idle times),
and compares the two plans on copies of the same state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.distribution.domain.expressions import compile_expression
from switchboard.distribution.domain.matching import (
    ChannelState,
    Match,
    QueueState,
    Snapshot,
    WaitingTask,
    WorkerState,
    plan_changes,
    plan_reservations,
    runs_of,
    task_order_key,
)
from tests.unit.test_matching_properties import (
    CHANNELS,
    Digits,
    Workspace,
    build_task,
    specs,
    workspaces,
)

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at_rest(snapshot: Snapshot) -> Snapshot:
    """Plan until nothing more fits, applying each plan as the store would."""
    tasks = {t.sid: t for t in snapshot.tasks}
    for _ in range(10):
        matches = plan_reservations(snapshot)  # consumes capacity, excludes the worker
        if not matches:
            return snapshot
        for match in matches:
            tasks[match.task_sid].open_reservations += 1
    raise AssertionError("never came to rest")


@dataclass(frozen=True)
class Change:
    """What happens between two passes, as digits: new tasks and touched workers."""

    new_tasks: tuple[int, ...]
    touched: tuple[int, ...]


def apply(snapshot: Snapshot, change: Change) -> tuple[Snapshot, frozenset[str], set[str]]:
    """The changed state, the sids of the touched workers and of the new tasks."""
    workers = list(snapshot.workers)
    fresh: set[str] = set()
    for spec in change.touched:
        d = Digits(spec)
        index = d.take(len(workers))
        worker = workers[index]
        what = d.take(4)
        if what == 0:  # a reservation ended: a slot frees up
            for channel in worker.channels.values():
                channel.in_use = max(0, channel.in_use - 1)
        elif what == 1:
            worker.available = True
        elif what == 2:  # new skills and level
            attributes = {"skills": ["a", "b", "c"][: d.take(4)], "level": d.take(4)}
            workers[index] = replace(worker, attributes=attributes)
        else:
            workers[index] = replace(worker, idle_since=d.take(50))
        fresh.add(worker.sid)
    channels = sorted({c for w in workers for c in w.channels} or {CHANNELS[0]})
    queue_sids = list(snapshot.queues)
    start = len(snapshot.tasks)
    new = [
        build_task(start + i, spec, queue_sids, channels, len(workers))
        for i, spec in enumerate(change.new_tasks)
    ]
    changed = Snapshot(tuple(workers), snapshot.queues, (*snapshot.tasks, *new))
    return changed, frozenset(fresh), {t.sid for t in new}


def incremental(snapshot: Snapshot, fresh: frozenset[str], new: set[str]) -> list[Match]:
    queues = snapshot.queues
    members = {
        sid: [w for w in snapshot.workers if queue.target_workers.evaluate(w.context)]
        for sid, queue in queues.items()
    }
    backlog: dict[str, list[WaitingTask]] = {sid: [] for sid in queues}
    for task in snapshot.tasks:
        if task.sid not in new and task.queue_sid in queues:
            backlog[task.queue_sid].append(task)
    for sid, tasks in backlog.items():
        tasks.sort(key=lambda t, q=queues[sid]: task_order_key(t, q))  # type: ignore[misc]
    # tasks that ignore capacity may fit a full worker: they count as changed every time
    again = tuple(t for t in snapshot.tasks if t.sid in new or t.ignore_capacity)
    changed = Snapshot(snapshot.workers, queues, again)
    runs = {sid: runs_of(tasks) for sid, tasks in backlog.items()}
    return plan_changes(changed, members, runs, fresh)


changes = st.builds(Change, new_tasks=specs(0, 8), touched=specs(0, 4))


@SETTINGS
@given(workspaces, changes)
def test_planning_the_changes_equals_planning_everything(
    workspace: Workspace, change: Change
) -> None:
    state, fresh, new = apply(at_rest(workspace.build()), change)
    everything = plan_reservations(copy.deepcopy(state))
    assert incremental(copy.deepcopy(state), fresh, new) == everything


@SETTINGS
@given(workspaces)
def test_at_rest_nothing_changed_plans_nothing(workspace: Workspace) -> None:
    state = at_rest(workspace.build())
    assert incremental(state, frozenset(), set()) == []


def test_a_better_waiting_task_takes_the_freed_worker_before_a_new_one() -> None:
    worker = WorkerState(
        "WK1", "w", {}, "WAidle", "Idle", True, 0, {"voice": ChannelState(1)}, single_task=True
    )
    queue = QueueState("WQ1", compile_expression("1==1"))
    old = WaitingTask("WTold", 5, 10, {}, "WQ1", "voice")
    new = WaitingTask("WTnew", 1, 20, {}, "WQ1", "voice")
    everything = plan_reservations(copy.deepcopy(Snapshot((worker,), {"WQ1": queue}, (old, new))))
    matches = plan_changes(
        Snapshot((worker,), {"WQ1": queue}, (new,)),
        {"WQ1": [worker]},
        {"WQ1": [[old]]},
        frozenset({"WK1"}),
    )
    assert matches == [Match("WTold", "WK1", "WQ1", "voice")]
    assert matches == everything
