"""The routing owner's picture of one workspace, kept in memory between passes.

Loaded once when this process starts routing the workspace, then brought up to date
at the start of every pass from what was committed since (only those records are read
back), and by the pass itself as it reserves. Waiting tasks sit in per-queue order
(priority, then age), workers in per-queue member sets, timers in a heap: a pass
costs what changed, not the size of the backlog. The store stays the truth: on any
doubt (a change it cannot read back precisely, a configuration change) the picture is
rebuilt from the store, and a property test checks that the picture kept up to date
equals one rebuilt from scratch.
"""

from __future__ import annotations

import heapq
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sortedcontainers import SortedList

from switchboard.distribution.domain import matching as m
from switchboard.distribution.domain import workflow as wf
from switchboard.distribution.domain.equality_index import EqualityIndex, Probe, SortedView
from switchboard.distribution.domain.expressions import Path, compile_stored
from switchboard.distribution.domain.lifecycle import LIVE_RESERVATION_STATUSES
from switchboard.distribution.domain.records import (
    Activity,
    Event,
    Reservation,
    Task,
    TaskChannel,
    TaskDocument,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
    Workspace,
)
from switchboard.distribution.engine import snapshot as snap
from switchboard.distribution.work.worker_states import load_workers, worker_state
from switchboard.kernel import limits
from switchboard.kernel.changes import Changes
from switchboard.kernel.criteria import Cond, Criterion, desc, eq, isin
from switchboard.kernel.ports import Unit

# a change to any of these rebuilds the picture (they are rare and shape everything)
CONFIG_KINDS = frozenset({Workspace, Activity, TaskQueue, Workflow, TaskChannel})
# what the picture is made of: changes to other kinds (events, ...) do not matter
ROUTING_KINDS = CONFIG_KINDS | {Task, TaskDocument, Worker, WorkerChannel, Reservation}
# more changed records than this at once: rebuilding is cheaper than reading them back
MAX_PARTIAL = 400
WAITING = ("pending", "reserved")
# a reservation in these holds its task: the task is assigned or wrapping up
HOLDING = frozenset({"accepted", "wrapping"})
TIME_REFERENCE = "taskrouter"
MINUTE_MS = 60_000
DAY_MS = 86_400_000
# strategies that compare today's work
DAILY = ("fewest_tasks", "least_talk_time", "lowest_average_handling_time")
# how far back a loaded picture looks for the worker each queue offered a task to last
RECENT_OFFERS = 1000
# a new task's pass is put off only when this many of its queue's ready workers, at
# most, show that none has room (`has_room`): the look costs a few microseconds
ROOM_LOOKS = 64


class LazyAttributes(Mapping[str, Any]):
    """A task's attributes, decoded from JSON the first time an expression reads them:
    most waiting tasks are never looked at while they wait."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._value: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._value is None:
            self._value = limits.stored_object(self._text)
            self._text = None
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


@dataclass(slots=True)
class Waiting:
    """A pending or reserved task: what the planner needs, and its timers."""

    task: m.WaitingTask | None  # None: it waits in no queue (nothing can route it)
    target: wf.Target | None
    status: str
    skip_checked: bool
    timeout_at: int | None
    step_deadline: int | None
    key: tuple[int, int, str] | None = None  # its place in its queue's order
    run: Run | None = None  # the run of its queue's backlog it is in (`runs`)
    step_entered_at: int | None = None


@dataclass(slots=True)
class Run:
    """Waiting tasks of one queue that fit the same workers (one dead-end key), in the
    engine's order; shared by its tasks' entries, so a task costs one reference."""

    key: m.DeadEnd | None
    places: SortedList


@dataclass(slots=True)
class Offer:
    """A live reservation (pending, accepted or wrapping)."""

    task_sid: str
    worker_sid: str
    status: str
    timeout_at: int | None
    channel_sid: str = ""


class WorkspaceState:
    """One workspace as its routing owner sees it; see the module docstring."""

    def __init__(self, workspace_sid: str) -> None:
        self.workspace_sid = workspace_sid
        self._reset(None)

    def _reset(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.activities: dict[str, Activity] = {}
        self.queue_rows: dict[str, TaskQueue] = {}
        self.workflows: dict[str, Workflow] = {}
        self.queues: dict[str, m.QueueState] = {}
        self.workers: dict[str, m.WorkerState] = {}
        self.members: dict[str, dict[str, m.WorkerState]] = {}
        # each queue's members counted by activity, kept with `members`: skip_if's
        # `workers.*` figures and the no-agent watch read these, not the members
        self.by_activity: dict[str, Counter[str]] = {}
        # each queue's members that may have room: every member with a free slot is
        # here (a pass only takes slots, which leaves a full worker here until its next
        # change), so a pass never reads the logged-out and the busy
        self.ready: dict[str, dict[str, m.WorkerState]] = {}
        # the same keys in `(idle_since, sid)` order, longest idle first: a task's pool
        # is read from the head, so a pass costs nothing per idle worker it does not offer
        self.ready_order: dict[str, SortedList] = {}
        # those grouped by an attribute targets compare with `==` or `HAS`, built the first
        # time a pass asks for one and kept up to date with `ready`
        self.indexes: dict[str, dict[tuple[Path, str], EqualityIndex[m.WorkerState]]] = {}
        self.waiting: dict[str, Waiting] = {}
        self.order: dict[str, SortedList] = {}
        # the same split by dead-end key (`matching.runs_of`): a pass for a freed worker
        # reads one task of a run that cannot fit it, not the whole backlog
        self.runs: dict[str, dict[m.DeadEnd | None, Run]] = {}
        self.offers: dict[str, Offer] = {}
        # each worker's live reservations (their count per channel is its slots in use)
        self.offers_of: dict[str, set[str]] = {}
        # each worker's task channels as stored (a pass may add one it reserved beyond)
        self.channel_keys: dict[str, tuple[str, ...]] = {}
        self.channel_owner: dict[str, str] = {}
        self.timers: list[tuple[int, str, str]] = []
        self.time_sensitive = False
        # the minute (UTC) of the last plan: time-of-day expressions read the minute, so
        # the picture is at rest for them only within it
        self.planned_minute: int | None = None
        # a strategy reads today's work: the picture is read again each new day (UTC)
        self.day_sensitive = False
        self.day = 0
        self.last_offered: dict[str, tuple[int, str]] = {}
        # whether any task may route by a fetched document (else none is looked up)
        self.uses_documents = False
        # changed since the last plan: the next plan looks at these
        self.fresh_tasks: set[str] = set()
        self.fresh_workers: set[str] = set()
        # resting workers: when their rest ends
        self.rests: dict[str, int] = {}
        # tasks waiting at a target with `no_agent_timeout`; since when each of their
        # queues has had no worker logged in; when each such task moves on
        # (by queue: a loop looks at each queue once, and at each task only when it is
        # new there or when the queue's last worker logged out)
        self.no_agent_waits: dict[str, set[str]] = {}
        self.no_agent_new: dict[str, set[str]] = {}
        self.no_agent: dict[str, int] = {}
        self.no_agent_deadlines: dict[str, int] = {}
        self.unchecked: set[str] = set()
        self.ignoring_capacity: set[str] = set()
        self.plan_everything = True

    # --- loading ------------------------------------------------------------------------

    async def load(self, unit: Unit, workspace: Workspace, now: int) -> None:
        """Everything, from the store."""
        self._reset(workspace)
        self.day = now // DAY_MS
        mine = eq("workspace_sid", workspace.sid)
        self.activities = {a.sid: a for a in await unit.select(Activity, mine)}
        self.queue_rows = {q.sid: q for q in await unit.select(TaskQueue, mine)}
        self.workflows = {w.sid: w for w in await unit.select(Workflow, mine)}
        self._build_queues()
        self.uses_documents = any(w.document_url for w in self.workflows.values()) or (
            await unit.exists(TaskDocument, isin("workflow_sid", sorted(self.workflows)))
        )
        self.day_sensitive = self.day_sensitive or self.uses_documents  # documents may name one
        today = self._today(now)
        states, by_sid = await load_workers(unit, workspace, self.activities, now=today)
        for channel in await unit.select(WorkerChannel, mine):
            self.channel_owner[channel.sid] = channel.worker_sid
        for state in states:
            self._put_worker(state, by_sid[state.sid].rest_until, now)
        live = isin("status", LIVE_RESERVATION_STATUSES)
        for offer in await unit.select(Reservation, mine, live):
            self._put_offer(offer)
        rows = await unit.select(Task, mine, isin("assignment_status", WAITING))
        await self._put_tasks(unit, rows)
        await self._load_last_offered(unit)
        self.plan_everything = True

    async def _load_last_offered(self, unit: Unit) -> None:
        """Round robin resumes after the worker each queue offered a task to last (the
        events tell the order offers were made in, also within one pass)."""
        recent = await unit.select(
            Event,
            eq("workspace_sid", self.workspace_sid),
            eq("event_type", "reservation.created"),
            order=[desc("seq")],
            limit=RECENT_OFFERS,
        )
        for offer in reversed(recent):
            worker = self.workers.get(offer.worker_sid or "")
            if offer.task_queue_sid is not None and worker is not None:
                self.last_offered[offer.task_queue_sid] = worker.rank

    def _build_queues(self) -> None:
        self.queues = {
            q.sid: m.QueueState(
                q.sid,
                compile_stored(q.target_workers or "1==1"),
                q.max_reserved_workers,
                q.task_order == "LIFO",
            )
            for q in self.queue_rows.values()
        }
        self.queues[snap.DIRECT_QUEUE] = m.QueueState(snap.DIRECT_QUEUE, snap.ALL, 1)
        self.members = {sid: {} for sid in self.queues}
        self.by_activity = {sid: Counter() for sid in self.queues}
        self.ready = {sid: {} for sid in self.queues}
        self.ready_order = {sid: SortedList() for sid in self.queues}
        self.indexes = {}
        self.order = {sid: SortedList() for sid in self.queues}
        self.runs = {sid: {} for sid in self.queues}
        expressions = [q.target_workers.source for q in self.queues.values()]
        for workflow in self.workflows.values():
            expressions.append(workflow.configuration or "")
        self.time_sensitive = any(TIME_REFERENCE in text for text in expressions)
        self.day_sensitive = any(name in text for text in expressions for name in DAILY)

    # --- workers ------------------------------------------------------------------------

    def _today(self, now: int) -> int | None:
        """`now` when a queue strategy compares today's work (read only then: it costs an
        aggregate over today's reservations)."""
        return now if self.day_sensitive else None

    def _put_worker(self, state: m.WorkerState, rest_until: int | None, now: int) -> None:
        self._drop_worker(state.sid)
        self.workers[state.sid] = state
        self.channel_keys[state.sid] = tuple(state.channels)
        if rest_until is not None and rest_until > now:
            state.resting = True
            self.rests[state.sid] = rest_until
            self._push(rest_until, "rest", state.sid)
        room = _has_room(state)
        for queue in self.queues.values():
            if queue.target_workers.evaluate(state.context):
                self.members[queue.sid][state.sid] = state
                self.by_activity[queue.sid][state.activity_sid] += 1
                if room:
                    self._make_ready(queue.sid, state)
        self.fresh_workers.add(state.sid)

    def _make_ready(self, queue_sid: str, state: m.WorkerState) -> None:
        ready, order = self.ready[queue_sid], self.ready_order[queue_sid]
        old = ready.get(state.sid)
        if old is not None:
            order.remove((old.idle_since, old.sid))
        ready[state.sid] = state
        order.add((state.idle_since, state.sid))
        for index in self.indexes.get(queue_sid, {}).values():
            index.add(state.sid, state.context, state)

    def _drop_worker(self, sid: str) -> None:
        self.rests.pop(sid, None)
        self.channel_keys.pop(sid, None)
        if self.workers.pop(sid, None) is None:
            return
        for queue_sid, members in self.members.items():
            old = members.pop(sid, None)
            if old is not None:
                counts = self.by_activity[queue_sid]
                counts[old.activity_sid] -= 1
                if not counts[old.activity_sid]:
                    del counts[old.activity_sid]
        for queue_sid, ready in self.ready.items():
            old = ready.pop(sid, None)
            if old is not None:
                self.ready_order[queue_sid].remove((old.idle_since, sid))
        for indexes in self.indexes.values():
            for index in indexes.values():
                index.discard(sid)
        self.fresh_workers.discard(sid)

    async def _reload_workers(
        self, unit: Unit, sids: set[str], now: int, changes: Changes, rechanneled: set[str]
    ) -> None:
        """Workers whose row, channels or reservations changed. One the picture holds
        whose channels did not change keeps them, with its slots in use counted from the
        picture's live reservations (which were just read back); only a changed row is
        read. The rest (and all, when a strategy compares today's work) are read in full.

        The count can only run ahead of the store, never behind: live reservations are
        created by the routing owner's passes alone, which put them in the picture as
        they go, so a change not heard of yet can only have ended one."""
        assert self.workspace is not None
        today = self._today(now)
        kept = (
            set()
            if today is not None
            else {sid for sid in sids if sid in self.workers and sid not in rechanneled}
        )
        changed = sorted(sid for sid in kept if (sid,) in changes.of(Worker))
        rows: dict[str, Worker] = {}
        if changed:
            rows = {row.sid: row for row in await unit.select(Worker, isin("sid", changed))}
        for sid in kept:
            if sid in changed and sid not in rows:
                self._drop_worker(sid)  # deleted
            else:
                self._renew_worker(self.workers[sid], rows.get(sid), now)
        full = sids - kept
        if not full:
            return
        states, by_sid = await load_workers(unit, self.workspace, self.activities, full, today)
        for sid in full:
            self._drop_worker(sid)
        for state in states:
            self._put_worker(state, by_sid[state.sid].rest_until, now)

    def _renew_worker(self, old: m.WorkerState, row: Worker | None, now: int) -> None:
        """The worker again with its stored channels and their slots in use now; from
        `row` when its row changed, else as the picture holds it."""
        assert self.workspace is not None
        used = self._in_use(old.sid)
        channels = {}
        for channel in self.channel_keys.get(old.sid, ()):
            stored = old.channels[channel]
            channels[channel] = m.ChannelState(
                stored.capacity, stored.available, used.get(channel, 0), stored.last_reserved_at
            )
        if row is not None:
            self._put_worker(
                worker_state(row, self.workspace, self.activities, channels), row.rest_until, now
            )
            return
        rest_until = self.rests.get(old.sid)
        renewed = m.WorkerState(
            sid=old.sid,
            friendly_name=old.friendly_name,
            attributes=old.attributes,
            activity_sid=old.activity_sid,
            activity_name=old.activity_name,
            available=old.available,
            idle_since=old.idle_since,
            channels=channels,
            single_task=old.single_task,
            rank=old.rank,
        )
        self._put_worker(renewed, rest_until, now)

    # --- offers -------------------------------------------------------------------------

    def _put_offer(self, reservation: Reservation) -> None:
        if reservation.status not in LIVE_RESERVATION_STATUSES:
            self._drop_offer(reservation.sid)
            return
        pending = reservation.status == "pending"
        timeout = reservation.timeout_at if pending else None
        self._drop_offer(reservation.sid)
        self.offers[reservation.sid] = Offer(
            reservation.task_sid,
            reservation.worker_sid,
            reservation.status,
            timeout,
            reservation.task_channel_sid,
        )
        self.offers_of.setdefault(reservation.worker_sid, set()).add(reservation.sid)
        if timeout is not None:
            self._push(timeout, "offer", reservation.sid)

    def _drop_offer(self, sid: str) -> Offer | None:
        offer = self.offers.pop(sid, None)
        if offer is not None:
            held = self.offers_of.get(offer.worker_sid)
            if held is not None:
                held.discard(sid)
                if not held:
                    del self.offers_of[offer.worker_sid]
        return offer

    def _in_use(self, worker_sid: str) -> dict[str, int]:
        """Slots in use per task channel: the worker's live reservations."""
        used: dict[str, int] = {}
        for sid in self.offers_of.get(worker_sid, ()):
            channel = self.offers[sid].channel_sid
            used[channel] = used.get(channel, 0) + 1
        return used

    # --- tasks --------------------------------------------------------------------------

    async def _put_tasks(self, unit: Unit, rows: list[Task]) -> None:
        waiting = {row.sid: row for row in rows if row.assignment_status in WAITING}
        if not waiting:
            return
        documents = await snap.documents_of(unit, waiting) if self.uses_documents else {}
        excluded, open_counts = await snap.offers_of(unit, self.workspace_sid, waiting)
        for row in waiting.values():
            task, target = snap.waiting_task(row, self.workflows, documents, excluded, open_counts)
            if task is not None:
                task.attributes = LazyAttributes(row.attributes)
            self._put_waiting(
                row.sid,
                Waiting(
                    task,
                    target,
                    sys.intern(row.assignment_status),
                    row.skip_checked,
                    row.timeout_at,
                    row.step_deadline,
                    step_entered_at=row.step_entered_at,
                ),
            )

    def _put_waiting(self, sid: str, entry: Waiting) -> None:
        self._drop_task(sid)
        self.waiting[sid] = entry
        task = entry.task
        if task is not None and task.queue_sid in self.queues:
            entry.key = m.task_order_key(task, self.queues[task.queue_sid])
            place = (entry.key, sid)
            self.order[task.queue_sid].add(place)
            runs = self.runs[task.queue_sid]
            key = m.dead_end_key(task)
            run = runs.get(key)
            if run is None:
                run = runs[key] = Run(key, SortedList())
            run.places.add(place)
            entry.run = run
        if entry.timeout_at is not None:
            self._push(entry.timeout_at, "ttl", sid)
        if entry.step_deadline is not None and entry.status == "pending":
            self._push(entry.step_deadline, "step", sid)
        if not entry.skip_checked:
            self.unchecked.add(sid)
        if task is not None and entry.status == "pending" and _no_agent_timeout(entry.target):
            # see `_watch_no_agents`
            self.no_agent_waits.setdefault(task.queue_sid, set()).add(sid)
            self.no_agent_new.setdefault(task.queue_sid, set()).add(sid)
        if task is not None and task.ignore_capacity:
            self.ignoring_capacity.add(sid)
        self.fresh_tasks.add(sid)

    def _drop_task(self, sid: str) -> None:
        entry = self.waiting.pop(sid, None)
        self.no_agent_deadlines.pop(sid, None)
        if entry is not None and entry.task is not None:
            queue_sid = entry.task.queue_sid
            for by_queue in (self.no_agent_waits, self.no_agent_new):
                sids = by_queue.get(queue_sid)
                if sids is not None and sid in sids:
                    sids.discard(sid)
                    if not sids:
                        del by_queue[queue_sid]
        self.fresh_tasks.discard(sid)
        self.unchecked.discard(sid)
        self.ignoring_capacity.discard(sid)
        if entry is None or entry.task is None or entry.key is None:
            return
        place = (entry.key, sid)
        self.order[entry.task.queue_sid].discard(place)
        run = entry.run
        assert run is not None
        run.places.discard(place)
        if not run.places:
            del self.runs[entry.task.queue_sid][run.key]

    async def _reload_tasks(self, unit: Unit, sids: set[str]) -> None:
        rows = await unit.select(Task, isin("sid", sorted(sids)))
        for sid in sids:
            self._drop_task(sid)
        await self._put_tasks(unit, rows)

    # --- bringing the picture up to date ------------------------------------------------

    async def refresh(self, unit: Unit, changes: Changes, now: int) -> None:
        """Read back what `changes` names; rebuild when that cannot be done precisely."""
        assert self.workspace is not None
        new_day = self.day_sensitive and now // DAY_MS != self.day
        if changes.unknown or changes.kinds() & CONFIG_KINDS or new_day:
            await self.load(unit, self.workspace, now)
            return
        tasks = {key[0] for key in changes.of(Task) | changes.of(TaskDocument)}
        if changes.of(TaskDocument) and not self.uses_documents:
            await self.load(unit, self.workspace, now)  # documents may name a strategy
            return
        workers = {key[0] for key in changes.of(Worker)}
        channels = {key[0] for key in changes.of(WorkerChannel)}
        if not self._sweeps(changes, tasks, workers):
            await self.load(unit, self.workspace, now)
            return
        offers = {key[0] for key in changes.of(Reservation)}
        held: set[str] = set()
        if not await self._offers_changed(unit, offers, tasks, workers, held):
            await self.load(unit, self.workspace, now)
            return
        for sid in held:  # assigned or wrapping up: not waiting, nothing to read
            self._drop_task(sid)
        tasks -= held
        rechanneled = await self._channel_owners(unit, channels)
        workers |= rechanneled
        if len(tasks) + len(workers) > MAX_PARTIAL:
            await self.load(unit, self.workspace, now)
            return
        if workers:
            await self._reload_workers(unit, workers, now, changes, rechanneled)
        if tasks:
            await self._reload_tasks(unit, tasks)

    def _sweeps(self, changes: Changes, tasks: set[str], workers: set[str]) -> bool:
        """Turn bulk writes into the tasks and workers they touched; False: cannot say."""
        for kind, where in changes.sweeps:
            if kind is Reservation and self.day_sensitive:
                return False  # deleted reservations leave today's work of unknown workers
            if kind is Reservation:
                by_task, by_worker = _equal(where, "task_sid"), _equal(where, "worker_sid")
                if by_task is None and by_worker is None:
                    return False
                for sid, offer in list(self.offers.items()):
                    if offer.task_sid == by_task or offer.worker_sid == by_worker:
                        tasks.add(offer.task_sid)
                        workers.add(offer.worker_sid)
                        self._drop_offer(sid)
                tasks.update(s for s in (by_task,) if s is not None)
                workers.update(s for s in (by_worker,) if s is not None)
            elif kind is TaskDocument and (task_sid := _equal(where, "task_sid")) is not None:
                tasks.add(task_sid)
            elif kind is WorkerChannel and (owner := _equal(where, "worker_sid")) is not None:
                workers.add(owner)
            elif kind in ROUTING_KINDS:
                return False
        return True

    async def _offers_changed(
        self, unit: Unit, sids: set[str], tasks: set[str], workers: set[str], held: set[str]
    ) -> bool:
        """Read back changed reservations; False when a deleted one may have counted in
        the today's work of a worker the picture cannot name. `held` gets the tasks of
        those read accepted or wrapping: such a task is assigned or wrapping up (the
        lifecycle's rule), so it is not waiting and need not be read."""
        unknown = set()
        for sid in sids:
            known = self._drop_offer(sid)
            if known is not None:
                tasks.add(known.task_sid)
                workers.add(known.worker_sid)
            else:
                unknown.add(sid)
        if not sids:
            return True
        for reservation in await unit.select(Reservation, isin("sid", sorted(sids))):
            tasks.add(reservation.task_sid)
            workers.add(reservation.worker_sid)
            self._put_offer(reservation)
            unknown.discard(reservation.sid)
            if reservation.status in HOLDING:
                held.add(reservation.task_sid)
        return not (unknown and self.day_sensitive)

    async def _channel_owners(self, unit: Unit, sids: set[str]) -> set[str]:
        owners = {self.channel_owner[sid] for sid in sids if sid in self.channel_owner}
        if sids:
            for channel in await unit.select(WorkerChannel, isin("sid", sorted(sids))):
                self.channel_owner[channel.sid] = channel.worker_sid
                owners.add(channel.worker_sid)
        return owners

    # --- what the pass did itself ---------------------------------------------------------

    def waits_for_room(self) -> bool:
        """Whether a worker who frees up could be offered work now: a pending task, or
        a reserved one that its queue offers to several workers at once."""
        for entry in self.waiting.values():
            task = entry.task
            if task is None:
                continue  # in no queue: no worker can take it
            if entry.status == "pending":
                return True
            queue = self.queues.get(task.queue_sid)
            if queue is None or queue.max_reserved_workers > 1:
                return True
        return False

    def has_room(self, queue_sid: str, channel_sid: str) -> bool:
        """Whether a worker of the queue may have room on the channel now (True also when
        that cannot be told by looking at a few workers)."""
        ready = self.ready.get(queue_sid)
        if ready is None or len(ready) > ROOM_LOOKS:
            return True
        return any(worker.free_on(channel_sid) > 0 for worker in ready.values())

    def reserved(self, reservation: Reservation) -> None:
        """A reservation the pass just created (the planner already took the capacity and
        excluded the worker)."""
        self._put_offer(reservation)
        entry = self.waiting.get(reservation.task_sid)
        if entry is not None and entry.task is not None:
            entry.status = "reserved"
            entry.task.open_reservations += 1

    def skip_checked(self, task_sid: str) -> None:
        entry = self.waiting.get(task_sid)
        if entry is not None:
            entry.skip_checked = True
        self.unchecked.discard(task_sid)

    # --- planning -----------------------------------------------------------------------

    def snapshot(self, now: int, tasks: tuple[m.WaitingTask, ...]) -> m.Snapshot:
        return m.Snapshot(
            self.workers.values(),  # a view: a pass never lists every worker
            self.queues,
            tasks,
            snap.time_context(now),
            self.last_offered,  # round robin moves it on as it offers
            self.workers,
        )

    def skip_counts(self, queue_sid: str, channel_sid: str) -> dict[str, int]:
        """`workers.available`, `workers.unavailable` and `workers.<activity sid>` for a
        target's skip_if, from the kept counts and the ready members (every member with
        a free slot is ready), so a queue's logged-out and busy workers cost nothing."""
        counts = dict(self.by_activity[queue_sid])
        ready = self.ready[queue_sid].values()
        available = sum(1 for worker in ready if worker.free_on(channel_sid) > 0)
        total = len(self.members[queue_sid])
        counts.update(available=available, unavailable=total - available)
        return counts

    def member_lists(self) -> Mapping[str, list[m.WorkerState]]:
        return _Members(self)

    def bucket(self, queue_sid: str, found: Probe) -> list[m.WorkerState]:
        """The queue's ready members whose value at `found.path` may match the task's."""
        return self._index(queue_sid, found).members(found.keys)

    def bucket_in_order(self, queue_sid: str, found: Probe) -> Sequence[m.WorkerState] | None:
        """The same, longest idle first from the group's kept order (None: the keys
        span several groups, or some values could not be keyed)."""
        return self._index(queue_sid, found).members_in_order(found.keys)

    def _index(self, queue_sid: str, found: Probe) -> EqualityIndex[m.WorkerState]:
        indexes = self.indexes.setdefault(queue_sid, {})
        spec = (found.path, found.mode)
        index = indexes.get(spec)
        if index is None:
            index = indexes[spec] = EqualityIndex(found.path, found.mode, _idle_order)
            for sid, worker in self.ready[queue_sid].items():
                index.add(sid, worker.context, worker)
        return index

    def plan(self, now: int) -> list[m.Match]:
        """The reservations to make now; the picture is at rest afterwards."""
        members = self.member_lists()
        minute = now // MINUTE_MS
        new_minute = self.time_sensitive and minute != self.planned_minute
        self.planned_minute = minute
        if self.plan_everything or new_minute:
            tasks = tuple(e.task for e in self.waiting.values() if e.task is not None)
            planner = m.Planner(self.snapshot(now, tasks), members)
            matches = planner.plan()
        else:
            # tasks that ignore capacity may fit a full worker: always looked at again
            sids = self.fresh_tasks | self.ignoring_capacity
            changed = tuple(
                entry.task
                for sid in sids
                if (entry := self.waiting.get(sid)) is not None and entry.task is not None
            )
            backlog = {q: self._backlog(q) for q in self.queues}
            snapshot = self.snapshot(now, changed)
            matches = m.plan_changes(snapshot, members, backlog, frozenset(self.fresh_workers))
        self.fresh_tasks.clear()
        self.fresh_workers.clear()
        self.plan_everything = False
        return matches

    def _backlog(self, queue_sid: str) -> list[Iterator[m.WaitingTask]]:
        return [self._run(run) for run in self.runs[queue_sid].values()]

    def _run(self, run: Run) -> Iterator[m.WaitingTask]:
        for _key, sid in run.places:
            task = self.waiting[sid].task
            if task is not None:
                yield task

    # --- comparing pictures -------------------------------------------------------------

    def ready_in_order(self) -> bool:
        """Whether each queue's kept order holds exactly its ready workers, sorted, and
        each group of ready workers too (the property tests check it after random
        histories)."""
        return (
            self.ready.keys() == self.ready_order.keys()
            and all(
                list(self.ready_order[q]) == sorted((w.idle_since, sid) for sid, w in ready.items())
                for q, ready in self.ready.items()
            )
            and all(index.kept_in_order() for i in self.indexes.values() for index in i.values())
        )

    def describe(self) -> dict[str, Any]:
        """Everything that decides routing, in plain values: two pictures of the same
        store describe alike (the property tests compare a kept one with a fresh one)."""
        return {
            "workers": {sid: _worker(w) for sid, w in sorted(self.workers.items())},
            "members": {q: sorted(ws) for q, ws in sorted(self.members.items())},
            "by_activity": {
                q: dict(sorted(c.items())) for q, c in sorted(self.by_activity.items())
            },
            "waiting": {sid: _waiting(e) for sid, e in sorted(self.waiting.items())},
            "order": {q: [sid for _k, sid in keys] for q, keys in sorted(self.order.items())},
            "runs": {
                q: sorted((repr(k), [sid for _k, sid in run.places]) for k, run in runs.items())
                for q, runs in sorted(self.runs.items())
            },
            "offers": {
                sid: (o.task_sid, o.worker_sid, o.status, o.timeout_at)
                for sid, o in sorted(self.offers.items())
            },
            "timers": sorted({t for t in self.timers if self._valid(*t)}),
            "last_offered": dict(sorted(self.last_offered.items())),
            "unchecked": sorted(self.unchecked),
        }

    # --- timers -------------------------------------------------------------------------

    def _push(self, at: int, kind: str, sid: str) -> None:
        """Add a timer; superseded ones stay until they surface, unless they pile up."""
        heapq.heappush(self.timers, (at, kind, sid))
        if len(self.timers) > 4 * (len(self.waiting) + len(self.offers)) + 64:
            self.timers = [t for t in self.timers if self._valid(*t)]
            heapq.heapify(self.timers)

    def _valid(self, at: int, kind: str, sid: str) -> bool:
        if kind == "rest":
            return self.rests.get(sid) == at
        if kind == "noagent":
            return self.no_agent_deadlines.get(sid) == at
        if kind == "offer":
            offer = self.offers.get(sid)
            return offer is not None and offer.timeout_at == at
        entry = self.waiting.get(sid)
        if entry is None:
            return False
        if kind == "ttl":
            return entry.timeout_at == at
        return entry.step_deadline == at and entry.status == "pending"

    def _watch_no_agents(self, now: int) -> None:
        """Start (or stop) counting how long the queues of tasks at a `no_agent_timeout`
        target have had no worker logged in, and time those tasks out accordingly. The
        count lives in the owner's memory: a new owner starts it again. Each queue is
        looked at once; its tasks only when they are new or the count starts."""
        for queue, sids in self.no_agent_waits.items():
            if self._logged_in(queue):
                if self.no_agent.pop(queue, None) is not None:
                    for sid in sids:
                        self.no_agent_deadlines.pop(sid, None)
                self.no_agent_new.pop(queue, None)
                continue
            since = self.no_agent.get(queue)
            if since is None:
                since = self.no_agent[queue] = now
                todo: Iterable[str] = sids
            else:
                todo = self.no_agent_new.get(queue, ())
            for sid in todo:
                self._time_out_no_agent(sid, since)
            self.no_agent_new.pop(queue, None)
        for queue in [q for q in self.no_agent if q not in self.no_agent_waits]:
            del self.no_agent[queue]

    def _time_out_no_agent(self, sid: str, since: int) -> None:
        entry = self.waiting[sid]
        assert entry.target is not None
        timeout = entry.target.no_agent_timeout or 0
        at = max(since, entry.step_entered_at or since) + timeout * 1000
        if self.no_agent_deadlines.get(sid) != at:
            self.no_agent_deadlines[sid] = at
            self._push(at, "noagent", sid)

    def _logged_in(self, queue_sid: str) -> bool:
        """Whether any worker of the queue is logged in: in another activity than the
        workspace's default one (Offline, where new workers start)."""
        assert self.workspace is not None
        counts = self.by_activity[queue_sid]
        logged_out = self.workspace.default_activity_sid
        return counts.total() > (counts[logged_out] if logged_out is not None else 0)

    def next_deadline(self, now: int) -> int | None:
        self._watch_no_agents(now)
        while self.timers and not self._valid(*self.timers[0]):
            heapq.heappop(self.timers)
        deadline = self.timers[0][0] if self.timers else None
        wake = [deadline] if deadline is not None else []
        if self.time_sensitive:  # time-of-day expressions: what fits may change each minute
            wake.append((now // MINUTE_MS + 1) * MINUTE_MS)
        if self.day_sensitive:  # "today" starts again at midnight (UTC)
            wake.append((now // DAY_MS + 1) * DAY_MS)
        return min(wake) if wake else None

    def due(self, now: int) -> dict[str, list[str]]:
        """Timers due by `now`, by kind (offer / ttl / step), each sid once."""
        self._watch_no_agents(now)
        kinds = ("offer", "ttl", "step", "rest", "noagent")
        found: dict[str, list[str]] = {kind: [] for kind in kinds}
        while self.timers and self.timers[0][0] <= now:
            at, kind, sid = heapq.heappop(self.timers)
            if self._valid(at, kind, sid) and sid not in found[kind]:
                found[kind].append(sid)
        for sid in found["rest"]:  # rested: offers may come again
            del self.rests[sid]
            worker = self.workers[sid]
            worker.resting = False
            if _has_room(worker):
                for queue_sid, members in self.members.items():
                    if sid in members:
                        self._make_ready(queue_sid, worker)
            self.fresh_workers.add(sid)
        return found


def _no_agent_timeout(target: wf.Target | None) -> bool:
    return target is not None and target.no_agent_timeout is not None


def _equal(where: tuple[Criterion, ...], field: str) -> str | None:
    """The value of a `field == value` condition of a bulk write, if it has one."""
    for criterion in where:
        if isinstance(criterion, Cond) and criterion.field == field and criterion.op == "==":
            return str(criterion.value)
    return None


def _worker(w: m.WorkerState) -> tuple[Any, ...]:
    channels = {c: (s.capacity, s.available, s.in_use) for c, s in sorted(w.channels.items())}
    work = (w.rank, w.handled_today, w.talk_ms_today, w.average_handling_ms)
    state = (w.available, w.resting, w.idle_since, w.activity_sid)
    return (*state, dict(w.attributes), channels, work)


def _waiting(e: Waiting) -> tuple[Any, ...]:
    t = e.task
    task = None
    if t is not None:
        task = (
            t.priority,
            t.virtual_start_time,
            dict(t.attributes),
            t.queue_sid,
            t.channel_sid,
            t.target_expression.source if t.target_expression else None,
            t.order_by,
            (t.known_worker_sid, t.known_worker_name, t.requires_known_worker),
            t.ignore_capacity,
            t.open_reservations,
            sorted(t.excluded_workers),
        )
    return (e.status, e.skip_checked, e.timeout_at, e.step_deadline, task)


def _idle_order(worker: m.WorkerState) -> int:
    """Where a worker stands in a queue's ready order, longest idle first (ties by sid)."""
    return worker.idle_since


def _has_room(worker: m.WorkerState) -> bool:
    return any(worker.free_on(channel) > 0 for channel in worker.channels)


class _Members(Mapping[str, list[m.WorkerState]]):
    """Each queue's eligible workers as the planner wants them, listed when asked, and
    grouped by the attributes targets compare (`matching.IndexedMembers`)."""

    def __init__(self, state: WorkspaceState) -> None:
        self._state = state
        self._members = state.members
        self._lists: dict[str, list[m.WorkerState]] = {}

    def bucket(self, queue_sid: str, found: Probe) -> list[m.WorkerState]:
        return self._state.bucket(queue_sid, found)

    def bucket_in_order(self, queue_sid: str, found: Probe) -> Sequence[m.WorkerState] | None:
        return self._state.bucket_in_order(queue_sid, found)

    def includes(self, queue_sid: str, worker_sid: str) -> bool:
        members = self._members.get(queue_sid)
        return members is not None and worker_sid in members

    def ready(self, queue_sid: str) -> Sequence[m.WorkerState]:
        order = self._state.ready_order.get(queue_sid)
        if order is None:
            return ()
        return SortedView(order, self._state.ready[queue_sid])

    def __getitem__(self, queue_sid: str) -> list[m.WorkerState]:
        found = self._lists.get(queue_sid)
        if found is None:
            found = self._lists[queue_sid] = list(self._members[queue_sid].values())
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)
