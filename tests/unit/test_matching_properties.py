"""Matching engine properties over random workspaces.

Hypothesis draws whole snapshots (workers with skills, levels, languages and
per-channel capacity; queues with TargetWorkers; waiting tasks with priorities,
targets, exclusions and known workers) and checks the documented rules on the
plan. The checks restate the rules independently of the engine: a small
"does this worker fit this task right now" reference, and a replay of the
plan's matches in the order the engine made them.

Hypothesis draws a compact description (:class:`Workspace`); the planner mutates
the snapshot it is given (capacities, exclusions), so every call plans on a
freshly built snapshot and the checks read another one as the state *before*
the pass.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    plan_reservations,
)
from switchboard.distribution.domain.workflow import OrderBy

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHANNELS = ("voice", "chat", "sms")
SKILLS = ("a", "b", "c")
LANGS = ("en", "fr", None)  # None: the attribute is absent
QUEUE_TARGETS = ("1==1", "skills HAS 'a'", "level >= 2", "skills HAS 'b' OR level < 1")
TASK_TARGETS = (None, None, "task.lang == worker.lang", "worker.level > task.min_level")
ORDER_BYS: tuple[tuple[OrderBy, ...], ...] = (
    (),
    (),
    (),
    (OrderBy(("level",), descending=True),),
    (OrderBy(("level",), descending=False),),
)
GONE_QUEUE = "WQ-deleted"

Usage = dict[tuple[str, str], int]

# --- strategies -------------------------------------------------------------------
#
# Drawing every field of 90 objects one by one makes Hypothesis spend ~40 ms per
# example. Instead each worker, queue and task is one integer read as mixed-radix
# digits: few draws, and shrinking the integer to 0 turns every digit into choice 0,
# the plainest value (available, idle, no exclusions, no known worker).


class Digits:
    """Reads an integer as a sequence of choices."""

    def __init__(self, value: int) -> None:
        self.value = value

    def take(self, radix: int) -> int:
        self.value, digit = divmod(self.value, radix)
        return digit

    def pick(self, choices: Sequence[Any]) -> Any:
        return choices[self.take(len(choices))]

    def flag(self, odds_false: int) -> bool:
        """True unless a 1-in-`odds_false` digit says otherwise."""
        return self.take(odds_false) != odds_false - 1


def build_worker(index: int, spec: int, channels: Sequence[str], single_task: bool) -> WorkerState:
    d = Digits(spec)
    states: dict[str, ChannelState] = {}
    mask = d.take(2 ** len(channels) - 1)  # 0 = every channel
    for bit, channel in enumerate(channels):
        if mask >> bit & 1:
            continue
        capacity = (d.take(4) + 1) % 4  # 1, 2, 3, then 0
        in_use = min(max(d.take(8) - 5, 0), capacity)  # 0 five times in eight
        states[channel] = ChannelState(capacity, available=d.flag(6), in_use=in_use)
    available = d.flag(4)
    idle_since = d.take(41)
    attributes: dict[str, Any] = {
        "skills": [s for bit, s in enumerate(SKILLS) if d.take(8) >> bit & 1],
        "level": d.take(4),
    }
    lang = d.pick(LANGS)
    if lang is not None:
        attributes["lang"] = lang
    return WorkerState(
        sid=f"WK{index:02d}",
        friendly_name=f"Agent{index}",
        attributes=attributes,
        activity_sid="WAidle" if available else "WAaway",
        activity_name="Idle" if available else "Away",
        available=available,
        idle_since=idle_since,
        channels=states,
        single_task=single_task,
    )


def build_queue(index: int, spec: int) -> QueueState:
    d = Digits(spec)
    return QueueState(
        sid=f"WQ{index}",
        target_workers=compile_expression(d.pick(QUEUE_TARGETS)),
        max_reserved_workers=1 + d.take(3),
        lifo=bool(d.take(2)),
    )


def build_task(
    index: int, spec: int, queue_sids: Sequence[str], channels: Sequence[str], n_workers: int
) -> WaitingTask:
    d = Digits(spec)
    task = WaitingTask(
        sid=f"WT{index:02d}",
        priority=d.take(4),
        virtual_start_time=d.take(31),
        attributes={"min_level": d.take(4)},
        queue_sid=d.pick([*queue_sids, *queue_sids, GONE_QUEUE]),
        channel_sid=d.pick(channels),
    )
    lang = d.pick(LANGS)
    if lang is not None:
        task.attributes = {**task.attributes, "lang": lang}
    target = d.pick(TASK_TARGETS)
    task.target_expression = compile_expression(target) if target else None
    task.order_by = d.pick(ORDER_BYS)
    task.open_reservations = d.pick((0, 0, 0, 1, 2))
    known = d.take(11)  # 0-7: an ordinary task
    if known >= 8:
        task.requires_known_worker = True
        task.ignore_capacity = bool(d.take(2))
        which = d.take(n_workers + 1)  # n_workers: a worker that does not exist
        if known == 8:
            task.known_worker_sid = f"WK{which:02d}"
        elif known == 9:
            task.known_worker_name = f"agent{which}" if d.take(2) else f"AGENT{which}"
    # up to three exclusions, each slot one time in six
    excluded = (d.take(6 * n_workers) - 5 * n_workers for _ in range(3))
    task.excluded_workers = frozenset(f"WK{i:02d}" for i in excluded if i >= 0)
    return task


# bytes, not st.integers: Hypothesis favours short integers, which would leave the
# high digits (the later choices) almost always 0
SPEC = st.binary(min_size=8, max_size=8).map(lambda raw: int.from_bytes(raw, "little"))


@dataclass(frozen=True)
class Workspace:
    """A drawn workspace; :meth:`build` makes a fresh snapshot (the planner mutates it)."""

    n_channels: int
    single_task: bool
    workers: tuple[int, ...]
    queues: tuple[int, ...]
    tasks: tuple[int, ...]

    def build(self) -> Snapshot:
        channels = CHANNELS[: self.n_channels]
        queues = {q.sid: q for q in (build_queue(i, s) for i, s in enumerate(self.queues))}
        n = len(self.workers)
        return Snapshot(
            tuple(
                build_worker(i, s, channels, self.single_task) for i, s in enumerate(self.workers)
            ),
            queues,
            tuple(build_task(i, s, list(queues), channels, n) for i, s in enumerate(self.tasks)),
        )

    def __repr__(self) -> str:
        return describe(self.build())


def specs(low: int, high: int) -> st.SearchStrategy[tuple[int, ...]]:
    """A tuple of `low`..`high` specs, the length drawn first so big workspaces are common."""
    return st.integers(low, high).flatmap(
        lambda n: st.lists(SPEC, min_size=n, max_size=n).map(tuple)
    )


workspaces = st.builds(
    Workspace,
    n_channels=st.integers(1, len(CHANNELS)),
    single_task=st.booleans(),
    workers=specs(1, 30),
    queues=specs(1, 4),
    tasks=specs(1, 60),
)


def describe(snapshot: Snapshot) -> str:
    """A compact listing, for Hypothesis' falsifying example."""
    lines = ["Snapshot:"]
    for w in snapshot.workers:
        channels = " ".join(
            f"{c}={ch.in_use}/{ch.capacity}{'' if ch.available else '(off)'}"
            for c, ch in w.channels.items()
        )
        state = "available" if w.available else "away"
        single = " single-task" if w.single_task else ""
        lines.append(f"  {w.sid} {state}{single} idle={w.idle_since} {channels} {w.attributes}")
    for q in snapshot.queues.values():
        lifo = " LIFO" if q.lifo else ""
        lines.append(f"  {q.sid} [{q.target_workers.source}] max={q.max_reserved_workers}{lifo}")
    for t in snapshot.tasks:
        extra = {
            "target": t.target_expression.source if t.target_expression else None,
            "order_by": t.order_by or None,
            "open": t.open_reservations or None,
            "excluded": sorted(t.excluded_workers) or None,
            "known": t.known_worker_sid or t.known_worker_name or t.requires_known_worker or None,
            "ignore_capacity": t.ignore_capacity or None,
        }
        shown = " ".join(f"{k}={v}" for k, v in extra.items() if v is not None)
        lines.append(
            f"  {t.sid} p={t.priority} vst={t.virtual_start_time} {t.queue_sid}/{t.channel_sid}"
            f" {dict(t.attributes)} {shown}"
        )
    return "\n".join(lines)


# --- a reference for "fits", restated from the rules --------------------------------


def plan(workspace: Workspace | PlainWorkspace) -> tuple[Snapshot, list[Match]]:
    """The state before the pass (a snapshot of its own) and the plan made on a fresh one."""
    return workspace.build(), plan_reservations(workspace.build())


def initial_usage(snapshot: Snapshot) -> Usage:
    return {(w.sid, c): ch.in_use for w in snapshot.workers for c, ch in w.channels.items()}


def in_queue(snapshot: Snapshot, queue_sid: str, worker: WorkerState) -> bool:
    return snapshot.queues[queue_sid].target_workers.evaluate(worker.context)


def is_known(task: WaitingTask, worker: WorkerState) -> bool:
    if task.known_worker_sid is not None:
        return worker.sid == task.known_worker_sid
    if task.known_worker_name is not None:
        return worker.friendly_name.lower() == task.known_worker_name.lower()
    return False


def target_accepts(task: WaitingTask, worker: WorkerState) -> bool:
    if task.target_expression is None:
        return True
    return task.target_expression.evaluate({"task": task.attributes, "worker": worker.context})


def could_take(snapshot: Snapshot, task: WaitingTask, worker: WorkerState) -> bool:
    """Everything but capacity: queue, channel, known worker, exclusions, target."""
    if worker.sid in task.excluded_workers or not target_accepts(task, worker):
        return False
    if task.requires_known_worker:
        if not is_known(task, worker):
            return False
        return task.ignore_capacity or in_queue(snapshot, task.queue_sid, worker)
    return task.channel_sid in worker.channels and in_queue(snapshot, task.queue_sid, worker)


def has_room(worker: WorkerState, channel_sid: str, usage: Usage) -> bool:
    """Available, on an available channel with a free slot; single-task: nothing in hand."""
    channel = worker.channels.get(channel_sid)
    if not worker.available or channel is None or not channel.available:
        return False
    # every channel: an ignore_capacity offer may sit on a channel the worker lacks
    if worker.single_task and any(usage.get((worker.sid, c), 0) for c in CHANNELS):
        return False
    return usage[worker.sid, channel_sid] < channel.capacity


def fits_now(snapshot: Snapshot, task: WaitingTask, worker: WorkerState, usage: Usage) -> bool:
    if not could_take(snapshot, task, worker):
        return False
    return task.ignore_capacity or has_room(worker, task.channel_sid, usage)


def wanted(snapshot: Snapshot, task: WaitingTask) -> int:
    return max(0, snapshot.queues[task.queue_sid].max_reserved_workers - task.open_reservations)


def preference(task: WaitingTask, worker: WorkerState) -> tuple[Any, ...]:
    """How a task ranks workers, without the sid tie-break: order_by clauses, then idle time."""
    parts: list[Any] = []
    for clause in task.order_by:
        value = worker.attributes.get(clause.path[0])
        if isinstance(value, int) and not isinstance(value, bool):
            parts.append((0, -value if clause.descending else value))
        else:
            parts.append((1, 0))
    return (*parts, worker.idle_since)


def routable(snapshot: Snapshot) -> list[WaitingTask]:
    return [t for t in snapshot.tasks if t.queue_sid in snapshot.queues]


def by_task(matches: Sequence[Match]) -> dict[str, list[str]]:
    """Worker sids per task, in the order the engine served the tasks."""
    served: dict[str, list[str]] = {}
    for match in matches:
        served.setdefault(match.task_sid, []).append(match.worker_sid)
    return served


def ahead(snapshot: Snapshot, first: WaitingTask, second: WaitingTask) -> bool:
    """Whether the rules say `first` must be served before `second`."""
    if first.priority != second.priority:
        return first.priority > second.priority
    lifo = snapshot.queues[first.queue_sid].lifo
    if lifo != snapshot.queues[second.queue_sid].lifo:
        return False  # FIFO against LIFO at equal priority: the rules say nothing
    if lifo:
        return first.virtual_start_time > second.virtual_start_time
    return first.virtual_start_time < second.virtual_start_time


# --- invariants -------------------------------------------------------------------


@FAST
@given(workspaces)
def test_no_worker_is_reserved_beyond_capacity_or_while_unavailable(workspace: Workspace) -> None:
    snapshot, matches = plan(workspace)
    task_of = {t.sid: t for t in snapshot.tasks}
    workers = {w.sid: w for w in snapshot.workers}
    new: Counter[tuple[str, str]] = Counter()
    forced: set[str] = set()  # workers given an ignore_capacity task
    for match in matches:
        worker = workers[match.worker_sid]
        if task_of[match.task_sid].ignore_capacity:
            forced.add(worker.sid)
            continue
        new[worker.sid, match.channel_sid] += 1
        channel = worker.channels.get(match.channel_sid)
        assert worker.available, match
        assert channel is not None and channel.available, match
    for worker in snapshot.workers:
        if worker.sid in forced:
            continue
        for sid, channel in worker.channels.items():
            assert channel.in_use + new[worker.sid, sid] <= channel.capacity, (worker, new)
        if worker.single_task:
            before = sum(c.in_use for c in worker.channels.values())
            after = sum(new[worker.sid, c] for c in worker.channels)
            assert after == 0 if before else after <= 1, (worker, new)


@FAST
@given(workspaces)
def test_a_task_gets_at_most_its_free_offers_each_to_a_different_allowed_worker(
    workspace: Workspace,
) -> None:
    snapshot, matches = plan(workspace)
    served = by_task(matches)
    for task in snapshot.tasks:
        got = served.get(task.sid, [])
        if task.queue_sid not in snapshot.queues:
            assert got == [], task
            continue
        assert len(got) <= wanted(snapshot, task), (task, got)
        assert len(set(got)) == len(got), (task, got)
        assert not set(got) & task.excluded_workers, (task, got)
        if snapshot.queues[task.queue_sid].max_reserved_workers == 1 and not task.open_reservations:
            assert len(got) <= 1, (task, got)


@FAST
@given(workspaces)
def test_every_match_satisfies_the_queue_and_the_task_target(workspace: Workspace) -> None:
    snapshot, matches = plan(workspace)
    task_of = {t.sid: t for t in snapshot.tasks}
    workers = {w.sid: w for w in snapshot.workers}
    for match in matches:
        task, worker = task_of[match.task_sid], workers[match.worker_sid]
        assert (match.queue_sid, match.channel_sid) == (task.queue_sid, task.channel_sid)
        assert target_accepts(task, worker), match
        if task.requires_known_worker:
            assert is_known(task, worker), match
        if not (task.requires_known_worker and task.ignore_capacity):
            assert in_queue(snapshot, task.queue_sid, worker), match


@FAST
@given(workspaces)
def test_a_task_ahead_is_never_passed_over_for_a_worker_it_could_take(
    workspace: Workspace,
) -> None:
    """If B (behind A, same channel) got W while A still wanted offers, W did not suit A:
    A's queue or target rejects W, or W is excluded from A."""
    snapshot, matches = plan(workspace)
    served = by_task(matches)
    workers = {w.sid: w for w in snapshot.workers}
    pending = routable(snapshot)
    for first in pending:
        if len(served.get(first.sid, [])) >= wanted(snapshot, first):
            continue
        for second in pending:
            if second.ignore_capacity or second.channel_sid != first.channel_sid:
                continue
            if not ahead(snapshot, first, second):
                continue
            for sid in served.get(second.sid, []):
                if sid not in served.get(first.sid, []):
                    assert not could_take(snapshot, first, workers[sid]), (first, second, sid)


@FAST
@given(workspaces)
def test_each_task_takes_the_most_preferred_workers_that_fit_when_served(
    workspace: Workspace,
) -> None:
    """Replay the plan: each served task got the best-ranked fitting workers (idle time,
    or order_by then idle time), as many as it wanted or all that fit, never an unfit one."""
    snapshot, matches = plan(workspace)
    task_of = {t.sid: t for t in snapshot.tasks}
    workers = {w.sid: w for w in snapshot.workers}
    usage = initial_usage(snapshot)
    served = by_task(matches)
    in_order = [m.task_sid for m in matches]
    assert in_order == [sid for sid, got in served.items() for _ in got], "one run per task"
    for task_sid, got in served.items():
        task = task_of[task_sid]
        fitting = {w.sid for w in snapshot.workers if fits_now(snapshot, task, w, usage)}
        assert set(got) <= fitting, (task, got, fitting)
        worst = max(preference(task, workers[sid]) for sid in got)
        for sid in fitting - set(got):
            assert preference(task, workers[sid]) >= worst, (task, got, sid)
        if len(got) < wanted(snapshot, task):
            assert fitting == set(got), (task, got, fitting)
        for sid in got:
            usage[sid, task.channel_sid] = usage.get((sid, task.channel_sid), 0) + 1


@FAST
@given(workspaces)
def test_no_task_is_left_wanting_while_a_worker_that_fits_it_has_room(
    workspace: Workspace,
) -> None:
    snapshot, matches = plan(workspace)
    usage: Usage = defaultdict(int, initial_usage(snapshot))
    for match in matches:
        usage[match.worker_sid, match.channel_sid] += 1
    served = by_task(matches)
    for task in routable(snapshot):
        got = served.get(task.sid, [])
        if len(got) < wanted(snapshot, task):
            for worker in snapshot.workers:
                if worker.sid not in got:
                    assert not fits_now(snapshot, task, worker, usage), (task, worker.sid)


@dataclass(frozen=True)
class PlainWorkspace:
    """One `1==1` queue, one voice channel of capacity 1, no expressions."""

    single_task: bool
    lifo: bool
    workers: tuple[tuple[int, bool], ...]  # (idle_since, available), idle times distinct
    tasks: tuple[tuple[int, int], ...]  # (priority, virtual_start_time)

    def build(self) -> Snapshot:
        workers = tuple(
            WorkerState(
                sid=f"WK{i:02d}",
                friendly_name=f"Agent{i}",
                attributes={},
                activity_sid="WA",
                activity_name="",
                available=available,
                idle_since=idle,
                channels={"voice": ChannelState(capacity=1)},
                single_task=self.single_task,
            )
            for i, (idle, available) in enumerate(self.workers)
        )
        tasks = tuple(
            WaitingTask(f"WT{i:02d}", priority, vst, {}, "WQ", "voice")
            for i, (priority, vst) in enumerate(self.tasks)
        )
        queue = QueueState("WQ", compile_expression("1==1"), lifo=self.lifo)
        return Snapshot(workers, {"WQ": queue}, tasks)


plain_workspaces = st.builds(
    PlainWorkspace,
    single_task=st.booleans(),
    lifo=st.booleans(),
    workers=st.lists(
        st.tuples(st.integers(0, 10_000), st.booleans()),
        min_size=1,
        max_size=30,
        unique_by=lambda w: w[0],
    ).map(tuple),
    tasks=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30)), max_size=40).map(tuple),
)


@FAST
@given(plain_workspaces)
def test_the_longest_idle_available_workers_are_the_ones_reserved(
    workspace: PlainWorkspace,
) -> None:
    snapshot, matches = plan(workspace)
    available = sorted((w for w in snapshot.workers if w.available), key=lambda w: w.idle_since)
    k = min(len(snapshot.tasks), len(available))
    assert [m.worker_sid for m in matches] == [w.sid for w in available[:k]]

    def rank(task: WaitingTask) -> tuple[int, int]:
        age = task.virtual_start_time
        return (-task.priority, -age if workspace.lifo else age)

    task_of = {t.sid: t for t in snapshot.tasks}
    best = sorted(rank(t) for t in snapshot.tasks)[:k]
    assert [rank(task_of[m.task_sid]) for m in matches] == best


@FAST
@given(workspaces)
def test_planning_is_deterministic(workspace: Workspace) -> None:
    assert plan(workspace)[1] == plan(workspace)[1]


@FAST
@given(workspaces, st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_workers_queues_or_tasks(
    workspace: Workspace, rnd: random.Random
) -> None:
    snapshot, matches = plan(workspace)
    workers, tasks = list(snapshot.workers), list(snapshot.tasks)
    rnd.shuffle(workers)
    rnd.shuffle(tasks)
    queues = dict(reversed(list(snapshot.queues.items())))
    assert plan_reservations(Snapshot(tuple(workers), queues, tuple(tasks))) == matches
