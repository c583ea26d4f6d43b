"""The matching engine: which waiting task goes to which worker, right now.

A pure function over a snapshot of one workspace. The caller (the routing
service) loads the snapshot from the store, calls :func:`plan_reservations`
and persists the returned matches in the same transaction, so the store stays
the only source of truth and a crash loses nothing.

Rules, in order of precedence:

* tasks are served highest priority first, then oldest first (by virtual start
  time), or newest first when the task's queue is LIFO;
* a task goes to the matching worker idle the longest, unless its target gives
  an ``order_by`` (then by those worker attributes, idle time breaking ties);
* a worker receives a task only while its activity is available, it is not resting
  (wrap-up time, reject and no-answer delays) and the task's channel has free
  capacity (pending reservations count against capacity);
  single-tasking workspaces give every worker a capacity of one task overall;
* a task holds at most its queue's ``max_reserved_workers`` pending reservations
  and is never offered twice to the same worker (nor to one who declined it).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from switchboard.distribution.domain.expressions import Expression
from switchboard.distribution.domain.strategies import LONGEST_IDLE, Strategy
from switchboard.distribution.domain.strategies import key as strategy_key
from switchboard.distribution.domain.workflow import OrderBy


@dataclass(slots=True)
class ChannelState:
    """A worker's capacity on one task channel."""

    capacity: int
    available: bool = True
    in_use: int = 0
    last_reserved_at: int = 0

    def free(self) -> int:
        return max(0, self.capacity - self.in_use) if self.available else 0


@dataclass(slots=True)
class WorkerState:
    sid: str
    friendly_name: str
    attributes: Mapping[str, Any]
    activity_sid: str
    activity_name: str
    available: bool
    idle_since: int
    channels: dict[str, ChannelState]
    single_task: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    # for the queue strategies: creation order (instant, sid), and today's work
    rank: tuple[int, str] = (0, "")
    handled_today: int = 0
    talk_ms_today: int = 0
    average_handling_ms: float | None = None
    # resting after a task, a refusal or a missed offer: no offers until it ends
    resting: bool = False

    def __post_init__(self) -> None:
        # what queue and target expressions see as `worker`
        self.context = {
            "sid": self.sid,
            "friendly_name": self.friendly_name,
            "activity_sid": self.activity_sid,
            "activity_name": self.activity_name,
            **self.attributes,
        }

    @property
    def open_tasks(self) -> int:
        """Reservations held now, on every channel (the queue strategies read it)."""
        return sum(c.in_use for c in self.channels.values())

    def busy(self) -> bool:
        return self.single_task and any(c.in_use for c in self.channels.values())

    def free_on(self, channel_sid: str) -> int:
        channel = self.channels.get(channel_sid)
        if channel is None or not self.available or self.resting or self.busy():
            return 0
        return min(channel.free(), 1) if self.single_task else channel.free()


@dataclass(frozen=True, slots=True)
class QueueState:
    sid: str
    target_workers: Expression
    max_reserved_workers: int = 1
    lifo: bool = False


@dataclass(slots=True)
class WaitingTask:
    sid: str
    priority: int
    virtual_start_time: int
    attributes: Mapping[str, Any]
    queue_sid: str
    channel_sid: str
    target_expression: Expression | None = None
    order_by: tuple[OrderBy, ...] = ()
    # a single worker the task must go to (known-worker routing or a worker RoutingTarget)
    known_worker_sid: str | None = None
    known_worker_name: str | None = None
    requires_known_worker: bool = False
    ignore_capacity: bool = False
    open_reservations: int = 0
    # workers that hold, declined or let time out a reservation for this task
    excluded_workers: frozenset[str] = frozenset()
    strategy: Strategy = LONGEST_IDLE


@dataclass(frozen=True, slots=True)
class Match:
    task_sid: str
    worker_sid: str
    queue_sid: str
    channel_sid: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    workers: tuple[WorkerState, ...]
    queues: Mapping[str, QueueState]
    tasks: tuple[WaitingTask, ...]
    extra_context: Mapping[str, Any] = field(default_factory=dict)
    # per queue, the rank of the worker offered a task last (round robin goes on after it)
    last_offered: dict[str, tuple[int, str]] = field(default_factory=dict)


def task_order_key(task: WaitingTask, queue: QueueState | None) -> tuple[int, int, str]:
    """Highest priority first, then oldest (FIFO) or newest (LIFO)."""
    age_key = (
        -task.virtual_start_time if queue is not None and queue.lifo else task.virtual_start_time
    )
    return (-task.priority, age_key, task.sid)


class _Pool:
    """The workers of one queue on one channel, longest idle first.

    Workers that cannot take anything more in this pass are dropped from the
    head of the list as they are met, so a pass over many tasks stays linear.
    """

    def __init__(self, workers: list[WorkerState], channel_sid: str) -> None:
        self.channel_sid = channel_sid
        self.workers = sorted(workers, key=lambda w: (w.idle_since, w.sid))
        self.head = 0

    def candidates(self) -> Iterator[WorkerState]:
        while (
            self.head < len(self.workers) and self.workers[self.head].free_on(self.channel_sid) <= 0
        ):
            self.head += 1
        for index in range(self.head, len(self.workers)):
            worker = self.workers[index]
            if worker.free_on(self.channel_sid) > 0:
                yield worker


class Planner:
    """One matching pass over a snapshot; :func:`plan_reservations` is the entry point.

    `members` may give each queue's eligible workers (in snapshot order) when the
    caller keeps them up to date itself, instead of evaluating TargetWorkers here.
    """

    def __init__(
        self, snapshot: Snapshot, members: Mapping[str, list[WorkerState]] | None = None
    ) -> None:
        self.snapshot = snapshot
        self.eligible: dict[str, list[WorkerState]] = dict(members or {})
        self.pools: dict[tuple[str, str], _Pool] = {}
        self.eligible_sids: dict[str, frozenset[str]] = {}
        # (queue, channel, target expression, task values it reads) that found no worker
        self.dead_ends: set[tuple[str, str, str, str]] = set()
        self._task_paths: dict[str, tuple[str, ...] | None] = {}

    @cached_property
    def by_sid(self) -> dict[str, WorkerState]:
        return {w.sid: w for w in self.snapshot.workers}

    @cached_property
    def by_name(self) -> dict[str, WorkerState]:
        return {w.friendly_name.lower(): w for w in self.snapshot.workers}

    def queue_members(self, queue_sid: str) -> list[WorkerState]:
        """Workers whose attributes satisfy the queue's TargetWorkers (cached per pass)."""
        members = self.eligible.get(queue_sid)
        if members is not None and queue_sid not in self.eligible_sids:
            self.eligible_sids[queue_sid] = frozenset(w.sid for w in members)
        if members is None:
            queue = self.snapshot.queues[queue_sid]
            extra = self.snapshot.extra_context
            if queue.target_workers.matches_all():
                members = list(self.snapshot.workers)
            else:
                members = [
                    w
                    for w in self.snapshot.workers
                    if queue.target_workers.evaluate({**extra, **w.context} if extra else w.context)
                ]
            self.eligible[queue_sid] = members
            self.eligible_sids[queue_sid] = frozenset(w.sid for w in members)
        return members

    def pool(self, queue_sid: str, channel_sid: str) -> _Pool:
        key = (queue_sid, channel_sid)
        pool = self.pools.get(key)
        if pool is None:
            # capacity only shrinks during a pass: workers with none now never get any
            members = [w for w in self.queue_members(queue_sid) if w.free_on(channel_sid) > 0]
            pool = self.pools[key] = _Pool(members, channel_sid)
        return pool

    def fits(self, task: WaitingTask, worker: WorkerState) -> bool:
        """Capacity, availability, exclusions and the target worker expression."""
        if worker.sid in task.excluded_workers:
            return False
        if not task.ignore_capacity and worker.free_on(task.channel_sid) <= 0:
            return False
        if task.target_expression is None:
            return True
        context = {**self.snapshot.extra_context, "task": task.attributes, "worker": worker.context}
        return task.target_expression.evaluate(context)

    def known_worker(self, task: WaitingTask) -> WorkerState | None:
        if task.known_worker_sid is not None:
            return self.by_sid.get(task.known_worker_sid)
        if task.known_worker_name is not None:
            return self.by_name.get(task.known_worker_name.lower())
        return None

    def candidates(self, task: WaitingTask) -> Iterable[WorkerState]:
        if task.requires_known_worker:
            worker = self.known_worker(task)
            if worker is None:
                return ()
            self.queue_members(task.queue_sid)
            if task.ignore_capacity or worker.sid in self.eligible_sids[task.queue_sid]:
                return (worker,)
            return ()
        pool = self.pool(task.queue_sid, task.channel_sid)
        if not task.order_by and task.strategy.is_default:
            return pool.candidates()
        last = self.snapshot.last_offered.get(task.queue_sid)

        def preference(worker: WorkerState) -> tuple[Any, ...]:
            ordered = order_key(worker, task.order_by)[:-2] if task.order_by else ()
            strategy = strategy_key(task.strategy, worker, task.sid, last, task.attributes)
            return (*ordered, *strategy)

        return sorted(pool.candidates(), key=preference)

    def plan(self) -> list[Match]:
        queues = self.snapshot.queues
        tasks = sorted(
            (t for t in self.snapshot.tasks if t.queue_sid in queues),
            key=lambda t: task_order_key(t, queues[t.queue_sid]),
        )
        free_slots = sum(
            w.free_on(c) for w in self.snapshot.workers for c in w.channels if w.available
        )
        may_ignore = any(t.ignore_capacity for t in tasks)
        matches: list[Match] = []
        for task in tasks:
            if free_slots <= 0 and not may_ignore:
                break
            free_slots -= self.serve(task, matches)
        return matches

    def serve(self, task: WaitingTask, matches: list[Match]) -> int:
        """Reserve the workers one task gets; returns how many free slots the pass lost.

        Capacity only shrinks during a pass, so when a task finds no worker at all,
        any later task of the same queue, channel and target expression reading the
        same task values finds none either (exclusions only remove workers): its
        scan of the whole pool is skipped.
        """
        wanted = self.snapshot.queues[task.queue_sid].max_reserved_workers - task.open_reservations
        key = self.dead_end_key(task)
        if wanted <= 0 or (key is not None and key in self.dead_ends):
            return 0
        lost = found = 0
        for worker in self.candidates(task):
            if found >= wanted:
                break
            if not self.fits(task, worker):
                continue
            lost += self.reserve(task, worker)
            self.snapshot.last_offered[task.queue_sid] = worker.rank
            matches.append(Match(task.sid, worker.sid, task.queue_sid, task.channel_sid))
            task.excluded_workers = task.excluded_workers | {worker.sid}
            found += 1
        if found == 0 and key is not None and not task.excluded_workers:
            self.dead_ends.add(key)
        return lost

    def dead_end_key(self, task: WaitingTask) -> tuple[str, str, str, str] | None:
        """What decides whether any pool worker fits `task`; None when not cacheable."""
        if task.requires_known_worker or task.ignore_capacity:
            return None
        expression = task.target_expression
        if expression is None:
            return (task.queue_sid, task.channel_sid, "", "")
        if expression.source not in self._task_paths:
            refs = [r for r in expression.references if r[0] == "task"]
            whole = any(len(r) == 1 for r in refs)  # `task` itself: key on every attribute
            self._task_paths[expression.source] = (
                None if whole else tuple(sorted({r[1] for r in refs}))
            )
        names = self._task_paths[expression.source]
        attributes = task.attributes
        values = repr(attributes) if names is None else repr([attributes.get(n) for n in names])
        return (task.queue_sid, task.channel_sid, expression.source, values)

    @staticmethod
    def reserve(task: WaitingTask, worker: WorkerState) -> int:
        """Take one unit of capacity; returns how many free slots the pass lost."""
        before = sum(worker.free_on(c) for c in worker.channels)
        channel = worker.channels.get(task.channel_sid)
        if channel is None:
            channel = worker.channels[task.channel_sid] = ChannelState(capacity=0)
        channel.in_use += 1
        return before - sum(worker.free_on(c) for c in worker.channels)


def order_key(worker: WorkerState, order_by: tuple[OrderBy, ...]) -> tuple[Any, ...]:
    """Twilio's `order_by`: workers lacking an attribute sort after those that have it."""
    parts: list[Any] = []
    for clause in order_by:
        value = _lookup(worker.context, clause.path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            parts.append((1, 0))
        else:
            parts.append((0, -value if clause.descending else value))
    parts.append(worker.idle_since)
    parts.append(worker.sid)
    return tuple(parts)


def _lookup(context: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = context
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def plan_reservations(snapshot: Snapshot) -> list[Match]:
    """The reservations to create now, best first. Mutates the snapshot's capacities."""
    return Planner(snapshot).plan()


def plan_changes(
    snapshot: Snapshot,
    members: Mapping[str, list[WorkerState]],
    backlog: Mapping[str, Iterable[WaitingTask]],
    fresh: frozenset[str],
) -> list[Match]:
    """What :func:`plan_reservations` would plan over the whole state, when the state
    was at rest before some tasks and workers changed.

    At rest means the last plan left no waiting task that fits a worker with free
    capacity. Then only the changed tasks (`snapshot.tasks`) can fit any free worker,
    and an unchanged task can fit only a changed (`fresh`) worker. So the changed
    tasks are merged, in the engine's order, with the queues' other waiting tasks
    (`backlog`, each in that order) of the queues a fresh worker belongs to, and the
    backlog stops being read once no fresh worker has capacity left. A task that
    ignores capacity can fit a full worker: the caller passes every such waiting task
    among the changed ones (they are few).
    """
    queues = snapshot.queues
    planner = Planner(snapshot, members)
    fresh_workers = [w for w in snapshot.workers if w.sid in fresh]
    changed = sorted(
        (t for t in snapshot.tasks if t.queue_sid in queues),
        key=lambda t: task_order_key(t, queues[t.queue_sid]),
    )
    streams = [_keyed(changed, queues, 0)]
    for queue_sid, tasks in backlog.items():
        if queue_sid in queues and any(w.sid in fresh for w in members.get(queue_sid, ())):
            streams.append(_keyed(tasks, queues, 1))
    matches: list[Match] = []
    served: set[str] = set()
    ids = {t.sid for t in changed}
    for _key, from_backlog, task in heapq.merge(*streams, key=lambda item: item[:2]):
        if from_backlog and task.sid in ids:
            continue  # it is in the changed stream already
        if from_backlog and not _room(fresh_workers):
            break  # the rest of the backlog fits nobody; changed tasks may still fit
        served.add(task.sid)
        planner.serve(task, matches)
    for task in changed:
        if task.sid not in served:
            planner.serve(task, matches)
    return matches


def _keyed(
    tasks: Iterable[WaitingTask], queues: Mapping[str, QueueState], source: int
) -> Iterator[tuple[tuple[int, int, str], int, WaitingTask]]:
    for task in tasks:
        yield task_order_key(task, queues[task.queue_sid]), source, task


def _room(workers: list[WorkerState]) -> bool:
    return any(w.free_on(c) > 0 for w in workers for c in w.channels)
