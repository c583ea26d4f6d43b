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
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Protocol, cast

from switchboard.distribution.domain.equality_index import (
    EqualityIndex,
    Probe,
    probe,
)
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
    workers: Collection[WorkerState]
    queues: Mapping[str, QueueState]
    tasks: tuple[WaitingTask, ...]
    extra_context: Mapping[str, Any] = field(default_factory=dict)
    # per queue, the rank of the worker offered a task last (round robin goes on after it)
    last_offered: dict[str, tuple[int, str]] = field(default_factory=dict)
    # the workers by sid, when the caller keeps them so (a pass then never lists them all)
    by_sid: Mapping[str, WorkerState] | None = None


DeadEnd = tuple[str, str, str, str]


@lru_cache(maxsize=4096)
def _task_names(expression: Expression) -> tuple[str, ...] | None:
    """The task attributes `expression` reads (None: `task` itself, so all of them)."""
    refs = [r for r in expression.references if r[0] == "task"]
    if any(len(r) == 1 for r in refs):
        return None
    return tuple(sorted({str(r[1]) for r in refs}))


def dead_end_key(task: WaitingTask) -> DeadEnd | None:
    """What decides whether any worker of a pass fits `task` (queue, channel, target
    expression, the task values it reads): tasks with the same key fit the same
    workers. None when not cacheable (a known worker, or capacity ignored)."""
    if task.requires_known_worker or task.ignore_capacity:
        return None
    expression = task.target_expression
    if expression is None:
        return (task.queue_sid, task.channel_sid, "", "")
    names = _task_names(expression)
    attributes = task.attributes
    values = repr(attributes) if names is None else repr([attributes.get(n) for n in names])
    return (task.queue_sid, task.channel_sid, expression.source, values)


def runs_of(tasks: Iterable[WaitingTask]) -> list[list[WaitingTask]]:
    """Tasks (in the engine's order) split into runs of one dead-end key each, in that
    order: the backlog form :func:`plan_changes` reads."""
    runs: dict[DeadEnd | None, list[WaitingTask]] = {}
    for task in tasks:
        runs.setdefault(dead_end_key(task), []).append(task)
    return list(runs.values())


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

    def __init__(
        self, workers: Sequence[WorkerState], channel_sid: str, *, ordered: bool = False
    ) -> None:
        """`ordered`: `workers` come longest idle first already, some perhaps without
        room (met and passed over lazily, so a pool costs nothing per idle worker)."""
        self.channel_sid = channel_sid
        self.workers = workers if ordered else sorted(workers, key=lambda w: (w.idle_since, w.sid))
        self.head = 0

    def candidates(self) -> Iterator[WorkerState]:
        # by index, never by length: an ordered source may be read lazily (a merge)
        workers, channel = self.workers, self.channel_sid
        try:
            while workers[self.head].free_on(channel) <= 0:
                self.head += 1
        except IndexError:
            return
        index = self.head
        while True:
            try:
                worker = workers[index]
            except IndexError:
                return
            if worker.free_on(channel) > 0:
                yield worker
            index += 1


class IndexedMembers(Protocol):
    """Queue members a caller keeps grouped by the attributes targets compare, so a
    pass reads only the group a task's target can match (see `equality_index`). It
    holds every queue of the snapshot (`includes` answers for all of them)."""

    def ready(self, queue_sid: str) -> Sequence[Any]:
        """The queue's members that may have room (at least every one that has), longest
        idle first: `(idle_since, sid)` order, kept as workers change, not sorted here."""
        ...

    def bucket(self, queue_sid: str, found: Probe) -> list[Any]:
        """Of those, the ones whose value at `found.path` may match the task's side
        (`equality_index.EqualityIndex.members`)."""
        ...

    def bucket_in_order(self, queue_sid: str, found: Probe) -> Sequence[Any] | None:
        """The same, longest idle first as `ready` gives them, when the group's kept
        order answers (`EqualityIndex.members_in_order`); None when it cannot."""
        ...

    def includes(self, queue_sid: str, worker_sid: str) -> bool:
        """Whether the worker is one of the queue's members."""
        ...


class Planner:
    """One matching pass over a snapshot; :func:`plan_reservations` is the entry point.

    `members` may give each queue's eligible workers (in snapshot order) when the
    caller keeps them up to date itself, instead of evaluating TargetWorkers here;
    when it also keeps them grouped (`IndexedMembers`), a task whose target compares
    a worker attribute with `==` or `HAS` reads only the matching group, not the whole queue.
    """

    def __init__(
        self,
        snapshot: Snapshot,
        members: Mapping[str, list[WorkerState]] | None = None,
        *,
        narrow: bool = True,
    ) -> None:
        self.snapshot = snapshot
        # whether to read only the group a task's `==` or `HAS` conjunct allows (the tests plan
        # both ways and compare)
        self.narrow = narrow
        self.given = members
        self.eligible: dict[str, list[WorkerState]] = {}
        # a Mapping that is also IndexedMembers (mypy cannot see both in one isinstance)
        self.indexed: IndexedMembers | None = (
            cast(IndexedMembers, members) if hasattr(members, "bucket") else None
        )
        self.pools: dict[tuple[str, str], _Pool] = {}
        # the same, for the groups a probe reads (queue, channel, probe)
        self.bucket_pools: dict[tuple[str, str, Probe], _Pool] = {}
        # this pass's own groups, when the caller keeps none (queue, path, mode)
        self.indexes: dict[tuple[str, tuple[str | int, ...], str], EqualityIndex[WorkerState]] = {}
        self.eligible_sids: dict[str, frozenset[str]] = {}
        # (queue, channel, target expression, task values it reads) that found no worker
        self.dead_ends: set[DeadEnd] = set()

    @cached_property
    def by_sid(self) -> Mapping[str, WorkerState]:
        known = self.snapshot.by_sid
        return known if known is not None else {w.sid: w for w in self.snapshot.workers}

    @cached_property
    def by_name(self) -> dict[str, WorkerState]:
        return {w.friendly_name.lower(): w for w in self.snapshot.workers}

    def queue_members(self, queue_sid: str) -> list[WorkerState]:
        """Workers whose attributes satisfy the queue's TargetWorkers (cached per pass)."""
        members = self.eligible.get(queue_sid)
        if members is None and self.given is not None and queue_sid in self.given:
            members = self.eligible[queue_sid] = self.given[queue_sid]
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
        return members

    def pool(self, queue_sid: str, channel_sid: str) -> _Pool:
        key = (queue_sid, channel_sid)
        pool = self.pools.get(key)
        if pool is None:
            # capacity only shrinks during a pass: workers with none now never get any
            if self.indexed is not None:  # in order already: nothing listed or sorted
                pool = _Pool(self.indexed.ready(queue_sid), channel_sid, ordered=True)
            else:
                source = self.queue_members(queue_sid)
                members = [w for w in source if w.free_on(channel_sid) > 0]
                pool = _Pool(members, channel_sid)
            self.pools[key] = pool
        return pool

    def bucket_pool(self, queue_sid: str, channel_sid: str, found: Probe) -> _Pool:
        """The pool of the queue's workers a task's `==` or `HAS` conjunct does not rule out.

        Every worker left out fails that conjunct, so fails the target: the pool's
        candidates that fit are the whole pool's, in the same order."""
        key = (queue_sid, channel_sid, found)
        pool = self.bucket_pools.get(key)
        if pool is None:
            if self.indexed is not None:
                ordered = self.indexed.bucket_in_order(queue_sid, found)
                if ordered is not None:  # in order already: nothing listed or sorted
                    pool = self.bucket_pools[key] = _Pool(ordered, channel_sid, ordered=True)
                    return pool
                group = self.indexed.bucket(queue_sid, found)
            else:
                spec = (queue_sid, found.path, found.mode)
                index = self.indexes.get(spec)
                if index is None:
                    index = self.indexes[spec] = EqualityIndex(found.path, found.mode)
                    for worker in self.queue_members(queue_sid):
                        index.add(worker.sid, worker.context, worker)
                group = index.members(found.keys)
            members = [w for w in group if w.free_on(channel_sid) > 0]
            pool = self.bucket_pools[key] = _Pool(members, channel_sid)
        return pool

    def is_member(self, queue_sid: str, worker_sid: str) -> bool:
        if self.indexed is not None:
            return self.indexed.includes(queue_sid, worker_sid)
        sids = self.eligible_sids.get(queue_sid)
        if sids is None:
            sids = frozenset(w.sid for w in self.queue_members(queue_sid))
            self.eligible_sids[queue_sid] = sids
        return worker_sid in sids

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

    def task_context(self, task: WaitingTask) -> Mapping[str, Any]:
        """What a target expression reads besides `worker` (which probes never read here)."""
        extra = self.snapshot.extra_context
        return {**extra, "task": task.attributes} if extra else {"task": task.attributes}

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
            if task.ignore_capacity or self.is_member(task.queue_sid, worker.sid):
                return (worker,)
            return ()
        found = None
        if self.narrow and task.target_expression is not None:
            found = probe(task.target_expression, self.task_context(task))
        if found is not None and not found.keys:
            return ()  # the task's side of a needed conjunct matches nobody (missing)
        if found is not None:
            pool = self.bucket_pool(task.queue_sid, task.channel_sid, found)
        else:
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

    @staticmethod
    def dead_end_key(task: WaitingTask) -> DeadEnd | None:
        return dead_end_key(task)

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
    backlog: Mapping[str, Iterable[Iterable[WaitingTask]]],
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

    Each queue's backlog comes as runs (:func:`runs_of`): the tasks of one run share
    their :func:`dead_end_key`, so once one of them found no worker in this pass, the
    rest of its run is not read at all. A worker who frees up beside thousands of
    waiting tasks it cannot take reads one task per run, not the backlog.
    """
    queues = snapshot.queues
    planner = Planner(snapshot, members)
    known = planner.by_sid if snapshot.by_sid is not None else None
    if known is not None:
        fresh_workers = [known[sid] for sid in fresh if sid in known]
    else:
        fresh_workers = [w for w in snapshot.workers if w.sid in fresh]
    changed = sorted(
        (t for t in snapshot.tasks if t.queue_sid in queues),
        key=lambda t: task_order_key(t, queues[t.queue_sid]),
    )
    streams = [_keyed(changed, queues, 0)]
    for queue_sid, runs in backlog.items():
        if queue_sid in queues and _joined(planner, queue_sid, fresh):
            streams.extend(_keyed(run, queues, 1) for run in runs)
    # the streams merged by (order key, changed first), as heapq.merge would, except
    # that a run whose next task is a dead end is dropped instead of read on
    heads: list[tuple[tuple[int, int, str], int, int, WaitingTask]] = []
    for number, stream in enumerate(streams):
        for key, source, task in stream:
            heads.append((key, source, number, task))
            break
    heapq.heapify(heads)
    matches: list[Match] = []
    served: set[str] = set()
    ids = {t.sid for t in changed}
    while heads:
        _key, from_backlog, number, task = heads[0]
        if from_backlog and task.sid not in ids:
            if not _room(fresh_workers):
                break  # the rest of the backlog fits nobody; changed tasks may still fit
            dead = dead_end_key(task)
            if dead is not None and dead in planner.dead_ends:
                heapq.heappop(heads)  # so is the rest of its run: not read
                continue
            served.add(task.sid)
            planner.serve(task, matches)
        elif not from_backlog:
            served.add(task.sid)
            planner.serve(task, matches)
        # else: it is in the changed stream already
        following = next(streams[number], None)
        if following is None:
            heapq.heappop(heads)
        else:
            heapq.heapreplace(heads, (following[0], following[1], number, following[2]))
    for task in changed:
        if task.sid not in served:
            planner.serve(task, matches)
    return matches


def _keyed(
    tasks: Iterable[WaitingTask], queues: Mapping[str, QueueState], source: int
) -> Iterator[tuple[tuple[int, int, str], int, WaitingTask]]:
    for task in tasks:
        yield task_order_key(task, queues[task.queue_sid]), source, task


def _joined(planner: Planner, queue_sid: str, fresh: frozenset[str]) -> bool:
    """Whether a fresh worker is one of the queue's members."""
    if planner.indexed is not None and len(fresh) < 64:
        return any(planner.indexed.includes(queue_sid, sid) for sid in fresh)
    given = planner.given
    return given is not None and any(w.sid in fresh for w in given.get(queue_sid, ()))


def _room(workers: list[WorkerState]) -> bool:
    return any(w.free_on(c) > 0 for w in workers for c in w.channels)
