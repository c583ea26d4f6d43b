"""The store port's contract: one set of specifications, run on memory, SQLite and PostgreSQL.

Every service talks to the store through :class:`~switchboard.kernel.ports.Unit`, so
what these tests pin down is what every service can rely on, whichever adapter a
deployment (or a test) runs on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from switchboard.distribution.domain.records import (
    Activity,
    Event,
    Reservation,
    Task,
    TaskChannel,
    TaskDocument,
    Worker,
    WorkerChannel,
    Workspace,
)
from switchboard.kernel.changes import Changes
from switchboard.kernel.criteria import (
    COUNT,
    Inc,
    any_of,
    asc,
    counted,
    desc,
    distinct_count,
    eq,
    ge,
    gt,
    is_null,
    isin,
    largest,
    le,
    lt,
    matches,
    ne,
    not_null,
    notin,
    smallest,
    total,
)
from switchboard.kernel.errors import Conflict
from switchboard.kernel.ports import Store
from switchboard.store.tracking import ReadOnlyUnit
from switchboard.tenancy.domain.records import Account, UsageCounter

WS = "WS" + "0" * 32
ACCOUNT = "AC" + "0" * 32
CHANNEL = "TC" + "0" * 32


def sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


def task(n: int, **fields: Any) -> Task:
    values: dict[str, Any] = {
        "sid": sid("WT", n),
        "workspace_sid": WS,
        "assignment_status": "pending",
        "task_channel_sid": CHANNEL,
        "virtual_start_time": n,
        "date_created": n,
        "date_updated": n,
    }
    return Task(**{**values, **fields})


def worker(n: int, **fields: Any) -> Worker:
    values: dict[str, Any] = {
        "sid": sid("WK", n),
        "workspace_sid": WS,
        "friendly_name": f"w{n}",
        "name_key": f"w{n}",
        "activity_sid": sid("WA", 1),
        "available": True,
        "idle_since": 0,
        "date_status_changed": 0,
        "date_created": n,
        "date_updated": n,
    }
    return Worker(**{**values, **fields})


@pytest.fixture
async def seeded(store: Store) -> Store:
    """An account, a workspace, an activity and a channel: what tasks and workers refer to."""
    async with store.transaction(WS) as unit:
        unit.add(
            Account(
                sid=ACCOUNT, friendly_name="a", auth_token_hash="x", date_created=0, date_updated=0
            )
        )
        unit.add(
            Workspace(
                sid=WS, account_sid=ACCOUNT, friendly_name="w", date_created=0, date_updated=0
            )
        )
        unit.add(
            Activity(
                sid=sid("WA", 1),
                workspace_sid=WS,
                friendly_name="Available",
                available=True,
                date_created=0,
                date_updated=0,
            )
        )
        unit.add(
            TaskChannel(
                sid=CHANNEL,
                workspace_sid=WS,
                friendly_name="d",
                unique_name="default",
                date_created=0,
                date_updated=0,
            )
        )
    return store


async def test_what_a_unit_adds_is_there_after_commit_and_gone_after_a_rollback(
    seeded: Store,
) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1))
    with pytest.raises(RuntimeError):
        async with seeded.transaction(WS) as unit:
            unit.add(task(2))
            raise RuntimeError("the change fails half-way")
    async with seeded.read() as unit:
        assert await unit.get(Task, sid("WT", 1)) is not None
        assert await unit.get(Task, sid("WT", 2)) is None


async def test_changing_a_fields_of_a_record_read_in_a_unit_is_written(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1))
    async with seeded.transaction(WS) as unit:
        found = await unit.get(Task, sid("WT", 1))
        assert found is not None
        found.priority = 7
        assert await unit.get(Task, sid("WT", 1)) is found  # one instance per record
    async with seeded.read() as unit:
        stored = await unit.get(Task, sid("WT", 1))
    assert stored is not None and stored.priority == 7


async def test_queries_see_the_units_own_pending_changes(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1))
        unit.add(task(2))
    async with seeded.transaction(WS) as unit:
        unit.add(task(3))
        first = await unit.get(Task, sid("WT", 1))
        assert first is not None
        first.assignment_status = "canceled"
        second = await unit.get(Task, sid("WT", 2))
        assert second is not None
        await unit.delete(second)
        pending = await unit.select(Task, eq("assignment_status", "pending"))
        assert [t.sid for t in pending] == [sid("WT", 3)]
        assert await unit.count(Task) == 2


async def test_reads_see_committed_data_only(seeded: Store) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with seeded.transaction(WS) as unit:
            unit.add(task(1))
            await unit.flush()
            entered.set()
            await release.wait()

    running = asyncio.create_task(writer())
    await entered.wait()
    async with seeded.read() as unit:
        assert await unit.get(Task, sid("WT", 1)) is None
    release.set()
    await running
    async with seeded.read() as unit:
        assert await unit.get(Task, sid("WT", 1)) is not None


async def test_units_with_the_same_lock_run_one_at_a_time(seeded: Store) -> None:
    log: list[str] = []

    async def change(name: str) -> None:
        async with seeded.transaction(WS) as unit:
            log.append(f"{name} in")
            await asyncio.sleep(0.01)
            unit.add(task(len(log)))
            log.append(f"{name} out")

    await asyncio.gather(change("a"), change("b"))
    assert log in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


CRITERIA = [
    ((eq("priority", 5),), {2}),
    ((ne("priority", 5),), {1, 3}),  # a NULL reason never matters: priority is never NULL
    ((lt("priority", 5),), {1}),
    ((le("priority", 5),), {1, 2}),
    ((gt("priority", 5),), {3}),
    ((ge("priority", 5),), {2, 3}),
    ((isin("priority", [1, 9]),), {1, 3}),
    ((isin("priority", []),), set()),
    ((notin("priority", [1]),), {2, 3}),
    ((notin("priority", []),), {1, 2, 3}),
    ((is_null("reason"),), {1}),
    ((not_null("reason"),), {2, 3}),
    ((eq("reason", None),), {1}),
    ((ne("reason", "x"),), {3}),  # NULL is neither equal nor unequal (SQL)
    ((lt("reason", "z"),), {2, 3}),
    ((notin("reason", ["x"]),), {3}),
    ((any_of(eq("priority", 1), eq("reason", "y")),), {1, 3}),
    ((any_of((eq("priority", 5), eq("reason", "x")), eq("priority", 9)),), {2, 3}),
    ((eq("priority", 5), eq("reason", "x")), {2}),
    ((eq("ignore_capacity", True),), {3}),
]


@pytest.mark.parametrize(("where", "expected"), CRITERIA)
async def test_criteria_mean_the_same_on_every_store(
    seeded: Store, where: tuple[Any, ...], expected: set[int]
) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1, priority=1, reason=None))
        unit.add(task(2, priority=5, reason="x"))
        unit.add(task(3, priority=9, reason="y", ignore_capacity=True))
    async with seeded.read() as unit:
        found = await unit.select(Task, *where)
    assert {int(t.sid[2:], 16) for t in found} == expected


async def test_orderings_put_nulls_first_ascending_and_last_descending(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1, step_deadline=20))
        unit.add(task(2, step_deadline=None))
        unit.add(task(3, step_deadline=10))
        unit.add(task(4, step_deadline=10))
    async with seeded.read() as unit:
        up = await unit.select(Task, order=[asc("step_deadline")])
        down = await unit.select(Task, order=[desc("step_deadline")])
        page = await unit.select(Task, order=[asc("step_deadline")], limit=2, offset=1)
        default = await unit.select(Task)
    numbers = [[int(t.sid[2:], 16) for t in rows] for rows in (up, down, page, default)]
    assert numbers == [[2, 3, 4, 1], [1, 3, 4, 2], [3, 4], [1, 2, 3, 4]]


async def test_aggregates_group_and_ignore_nulls(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1, priority=1, assignment_status="pending", step_deadline=None))
        unit.add(task(2, priority=3, assignment_status="pending", step_deadline=50))
        unit.add(task(3, priority=3, assignment_status="reserved", step_deadline=70))
    async with seeded.read() as unit:
        grouped = await unit.aggregate(
            Task,
            ("assignment_status",),
            n=COUNT,
            sum=total("priority"),
            low=smallest("step_deadline"),
            high=largest("step_deadline"),
            kinds=distinct_count("priority"),
            timed=counted("step_deadline"),
        )
        [empty] = await unit.aggregate(
            Task, (), eq("priority", 99), n=COUNT, low=smallest("priority")
        )
        statuses = await unit.values(Task, "assignment_status", distinct=True)
    assert grouped == [
        {"assignment_status": "pending", "n": 2, "sum": 4, "low": 50, "high": 50, "kinds": 2}
        | {"timed": 1},
        {"assignment_status": "reserved", "n": 1, "sum": 3, "low": 70, "high": 70, "kinds": 1}
        | {"timed": 1},
    ]
    assert empty == {"n": 0, "low": None}
    assert sorted(statuses) == ["pending", "reserved"]


async def test_bulk_updates_and_increments(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1, priority=1))
        unit.add(task(2, priority=2))
    async with seeded.transaction(WS) as unit:
        held = await unit.get(Task, sid("WT", 1))
        changed = await unit.update_where(Task, {"priority": Inc(10), "reason": "bulk"})
        assert changed == 2
        assert held is not None and (held.priority, held.reason) == (11, "bulk")
    async with seeded.read() as unit:
        rows = await unit.select(Task)
    assert [(t.priority, t.reason) for t in rows] == [(11, "bulk"), (12, "bulk")]


async def test_deleting_a_record_cascades_as_the_schema_says(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(worker(1))
        unit.add(task(1))
        unit.add(
            WorkerChannel(
                sid=sid("WC", 1),
                workspace_sid=WS,
                worker_sid=sid("WK", 1),
                task_channel_sid=CHANNEL,
                date_created=0,
                date_updated=0,
            )
        )
        unit.add(
            Reservation(
                sid=sid("WR", 1),
                workspace_sid=WS,
                task_sid=sid("WT", 1),
                worker_sid=sid("WK", 1),
                task_channel_sid=CHANNEL,
                status="pending",
                date_created=0,
                date_updated=0,
            )
        )
        unit.add(
            TaskDocument(
                task_sid=sid("WT", 1),
                workflow_sid=sid("WW", 1),
                configuration="{}",
                source_url="http://x",
                fetched_at=0,
            )
        )
    async with seeded.transaction(WS) as unit:
        gone = await unit.get(Task, sid("WT", 1))
        assert gone is not None
        await unit.delete(gone)
        assert await unit.get(Task, sid("WT", 1)) is None  # gone by key too, inside the unit
        assert await unit.get(Reservation, sid("WR", 1)) is None  # and what it cascades to
        assert await unit.count(Reservation) == 0  # already, inside the unit
    async with seeded.read() as unit:
        assert await unit.count(Reservation) == 0
        assert await unit.get(TaskDocument, sid("WT", 1)) is None
        assert await unit.count(WorkerChannel) == 1  # the worker's channel is not the task's
    async with seeded.transaction(WS) as unit:
        await unit.delete_where(Workspace, eq("sid", WS))
    async with seeded.read() as unit:
        for kind in (Worker, WorkerChannel, Activity, TaskChannel):
            assert await unit.count(kind) == 0, kind


async def test_a_unique_constraint_is_a_conflict_and_nothing_is_written(seeded: Store) -> None:
    with pytest.raises(Conflict):
        async with seeded.transaction(WS) as unit:
            unit.add(worker(1, name_key="same"))
            unit.add(worker(2, name_key="same"))
    async with seeded.read() as unit:
        assert await unit.count(Worker) == 0
    async with seeded.transaction(WS) as unit:  # and the next write goes through
        unit.add(worker(3, name_key="same"))
    async with seeded.read() as unit:
        assert await unit.count(Worker) == 1


async def test_accumulate_inserts_then_adds(seeded: Store) -> None:
    row = {"account_sid": ACCOUNT, "category": "api", "hour": 0, "count": 2, "price_micros": 5}
    for _ in range(2):
        async with seeded.transaction() as unit:
            await unit.accumulate(UsageCounter, [row], add=("count", "price_micros"))
    async with seeded.read() as unit:
        counter = await unit.get(UsageCounter, (ACCOUNT, "api", 0))
    assert counter is not None and (counter.count, counter.price_micros) == (4, 10)


async def test_sequence_numbers_follow_commit_order(seeded: Store) -> None:
    written = []
    for n in range(3):
        async with seeded.transaction(WS) as unit:
            written.append(
                Event(
                    account_sid=ACCOUNT,
                    workspace_sid=WS,
                    event_type="x",
                    resource_type="task",
                    resource_sid=sid("WT", n),
                    description="",
                    event_data="{}",
                    event_date=0,
                )
            )
            unit.add(written[-1])
    async with seeded.read() as unit:
        events = await unit.select(Event, order=[asc("seq")])
    assert [e.resource_sid for e in events] == [sid("WT", n) for n in range(3)]
    seqs = [e.seq for e in events]
    assert None not in seqs
    assert seqs == sorted(seq or 0 for seq in seqs) and len(set(seqs)) == 3
    # a written record knows its number, and so its sid, as it is read back
    assert [(e.seq, e.sid) for e in written] == [(e.seq, e.sid) for e in events]


async def test_records_written_together_are_numbered_in_the_order_added(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        written = [
            Event(
                account_sid=ACCOUNT,
                workspace_sid=WS,
                event_type="x",
                resource_type="task",
                resource_sid=sid("WT", n),
                description="",
                event_data="{}",
                event_date=0,
            )
            for n in range(5)
        ]
        for event in written:
            unit.add(event)
    async with seeded.read() as unit:
        events = await unit.select(Event, order=[asc("seq")])
    assert [(e.seq, e.resource_sid) for e in written] == [(e.seq, e.resource_sid) for e in events]


async def test_hooks_run_after_commit_only(seeded: Store) -> None:
    ran: list[str] = []
    async with seeded.transaction(WS) as unit:
        unit.after_commit(lambda: ran.append("committed"))
        assert ran == []
    with pytest.raises(RuntimeError):
        async with seeded.transaction(WS) as unit:
            unit.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]


async def test_a_read_unit_refuses_writes(seeded: Store) -> None:
    async with seeded.read() as unit:
        with pytest.raises(ReadOnlyUnit):
            unit.add(task(1))
        with pytest.raises(ReadOnlyUnit):
            await unit.update_where(Task, {"priority": 1})


# --- what a unit says it changed -------------------------------------------------------


def covers(changes: Changes, kind: type[Any], record: Any) -> bool:
    """Whether `changes` names this record: by key, by a bulk write's criteria, or by
    saying it does not know."""
    if changes.unknown:
        return True
    key = tuple(getattr(record, name) for name in ("sid",) if hasattr(record, name)) or (
        record.task_sid,
    )
    swept = any(k is kind and matches(record, where) for k, where in changes.sweeps)
    return key in changes.of(kind) or swept


async def test_a_unit_names_every_record_it_wrote_and_only_those(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        for n in range(1, 5):
            unit.add(task(n))
        unit.add(worker(1))
    async with seeded.transaction(WS) as unit:
        first = await unit.get(Task, sid("WT", 1))
        second = await unit.get(Task, sid("WT", 2))
        assert first is not None and second is not None
        first.priority = 5
        await unit.delete(second)
        unit.add(task(9))
        await unit.select(Task)  # reading writes nothing
        said_before_commit = unit.changed()
    assert said_before_commit.of(Task) >= {(sid("WT", 1),), (sid("WT", 2),), (sid("WT", 9),)}
    assert (sid("WT", 3),) not in said_before_commit.of(Task)
    assert not said_before_commit.of(Worker)


async def test_bulk_writes_and_cascades_are_named_by_key_or_criteria(seeded: Store) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(worker(1))
        unit.add(task(1))
        unit.add(task(2))
        for n, task_n in ((1, 1), (2, 2)):
            unit.add(
                Reservation(
                    sid=sid("WR", n),
                    workspace_sid=WS,
                    task_sid=sid("WT", task_n),
                    worker_sid=sid("WK", 1),
                    task_channel_sid=CHANNEL,
                    status="pending",
                    date_created=0,
                    date_updated=0,
                )
            )
    async with seeded.read() as unit:
        before = {r.sid: r for r in await unit.select(Reservation)}
    seen: list[Changes] = []
    async with seeded.transaction(WS) as unit:
        await unit.update_where(Task, {"priority": 3}, eq("sid", sid("WT", 2)))
        doomed = await unit.get(Task, sid("WT", 1))
        assert doomed is not None
        await unit.delete(doomed)  # cascades to reservation 1
        unit.after_commit(lambda: seen.append(unit.changed()))
    [changes] = seen
    async with seeded.read() as unit:
        bumped = await unit.get(Task, sid("WT", 2))
    assert covers(changes, Task, bumped)
    assert covers(changes, Reservation, before[sid("WR", 1)])
    assert not covers(changes, Reservation, before[sid("WR", 2)])


def test_changes_travel_as_json_and_unknown_ones_stay_unknown() -> None:
    names = {Task: "Task", Reservation: "Reservation"}
    changes = Changes()
    changes.note(Task, (sid("WT", 1),))
    changes.sweep(Reservation, [eq("task_sid", sid("WT", 1))])
    again = Changes.from_json(changes.to_json(names), {v: k for k, v in names.items()})
    assert again.of(Task) == {(sid("WT", 1),)}
    assert again.sweeps == [(Reservation, (eq("task_sid", sid("WT", 1)),))]
    assert Changes.from_json(Changes.everything().to_json(names), {}).unknown
    unnamed = Changes()
    unnamed.note(Worker, (sid("WK", 1),))
    assert unnamed.to_json(names) is None  # cannot say it: the receiver rebuilds


# --- copies of configuration records ---------------------------------------------------


async def test_a_committed_change_is_read_at_once_whatever_copies_were_kept(seeded: Store) -> None:
    async with seeded.read() as unit:
        before = await unit.get(Workspace, WS)  # may be kept as a copy
        listed = await unit.select(Activity, eq("workspace_sid", WS))
    assert before is not None and [a.friendly_name for a in listed] == ["Available"]
    async with seeded.transaction(WS) as unit:
        workspace = await unit.get(Workspace, WS)
        assert workspace is not None
        workspace.friendly_name = "renamed"
        unit.add(
            Activity(
                sid=sid("WA", 2),
                workspace_sid=WS,
                friendly_name="Break",
                available=False,
                date_created=0,
                date_updated=0,
            )
        )
        # the unit sees its own writes, not the copies
        mine = await unit.select(Activity, eq("workspace_sid", WS))
        assert sorted(a.friendly_name for a in mine) == ["Available", "Break"]
    async with seeded.read() as unit:
        after = await unit.get(Workspace, WS)
        listed = await unit.select(Activity, eq("workspace_sid", WS))
    assert after is not None and after.friendly_name == "renamed"
    assert sorted(a.friendly_name for a in listed) == ["Available", "Break"]


async def test_changing_a_record_read_from_a_copy_changes_nothing_until_commit(
    seeded: Store,
) -> None:
    async with seeded.read() as unit:
        await unit.get(Workspace, WS)
    with pytest.raises(RuntimeError):
        async with seeded.transaction(WS) as unit:
            workspace = await unit.get(Workspace, WS)
            assert workspace is not None
            workspace.friendly_name = "never"
            raise RuntimeError("rolled back")
    async with seeded.read() as unit:
        again = await unit.get(Workspace, WS)
    assert again is not None and again.friendly_name == "w"


async def test_a_query_of_one_shape_finds_what_each_of_its_values_selects(seeded: Store) -> None:
    """The SQL store prepares a query's statement once per shape (fields, operators,
    order, limit) and reuses it with new values: each value must still select its own."""
    async with seeded.transaction(WS) as unit:
        for n in range(1, 7):
            unit.add(task(n, priority=n))
    for below, expected in ((4, [3, 2]), (6, [5, 4]), (2, [1])):
        async with seeded.read() as unit:
            found = await unit.select(
                Task, eq("workspace_sid", WS), lt("priority", below), order=[desc("priority")],
                limit=2,
            )  # fmt: skip
            assert [t.priority for t in found] == expected
            key = sid("WT", below)
            got = await unit.get(Task, key)
            assert got is not None and got.sid == key


async def test_an_in_list_of_one_shape_selects_each_lists_own_records(seeded: Store) -> None:
    """Prepared `in` lists take a list of any length (and an empty or `None`-holding one
    still selects nothing or only the values that are there)."""
    async with seeded.transaction(WS) as unit:
        for n in range(1, 7):
            unit.add(task(n, priority=n))
    lists: list[tuple[tuple[Any, ...], list[int]]] = [
        ((sid("WT", 2), sid("WT", 5)), [2, 5]),
        ((sid("WT", 1),), [1]),
        ((sid("WT", 6), sid("WT", 3), sid("WT", 4), sid("WT", 99)), [3, 4, 6]),
        ((), []),
        ((None, sid("WT", 1)), [1]),
    ]
    for sids, expected in lists:
        async with seeded.read() as unit:
            found = await unit.select(
                Task, eq("workspace_sid", WS), isin("sid", sids), order=[asc("priority")]
            )
            assert [t.priority for t in found] == expected, sids


async def test_an_aggregate_of_one_shape_counts_what_each_of_its_values_selects(
    seeded: Store,
) -> None:
    async with seeded.transaction(WS) as unit:
        for n in range(1, 7):
            unit.add(task(n, priority=n % 3, assignment_status="pending" if n < 5 else "wrapping"))
    async with seeded.read() as unit:
        one = await unit.aggregate(
            Task, ("priority",), eq("workspace_sid", WS), isin("assignment_status", ("pending",)),
            n=COUNT,
        )  # fmt: skip
        other = await unit.aggregate(
            Task, ("priority",), eq("workspace_sid", WS), isin("assignment_status", ("wrapping",)),
            n=COUNT,
        )  # fmt: skip
        both = await unit.aggregate(
            Task, ("priority",), eq("workspace_sid", WS),
            isin("assignment_status", ("pending", "wrapping")), n=COUNT,
        )  # fmt: skip
    assert one == [{"priority": 0, "n": 1}, {"priority": 1, "n": 2}, {"priority": 2, "n": 1}]
    assert other == [{"priority": 0, "n": 1}, {"priority": 2, "n": 1}]
    assert both == [{"priority": 0, "n": 2}, {"priority": 1, "n": 2}, {"priority": 2, "n": 2}]


async def test_a_read_by_key_sees_the_units_own_pending_inserts_and_changes(
    seeded: Store,
) -> None:
    async with seeded.transaction(WS) as unit:
        unit.add(task(1, priority=1))
        unit.add(task(2, priority=2))
    async with seeded.transaction(WS) as unit:
        first = await unit.get(Task, sid("WT", 1))
        assert first is not None
        first.priority = 10
        unit.add(task(3, priority=3))
        second = await unit.get(Task, sid("WT", 2))  # a row read while others are pending
        assert second is not None and second.priority == 2
        again = await unit.get(Task, sid("WT", 1))
        added = await unit.get(Task, sid("WT", 3))
        assert again is first and again.priority == 10
        assert added is not None and added.priority == 3
        listed = await unit.select(Task, order=[asc("priority")])
        assert [t.priority for t in listed] == [2, 3, 10]
    async with seeded.read() as unit:
        stored = await unit.select(Task, order=[asc("priority")])
    assert [t.priority for t in stored] == [2, 3, 10]


async def test_changes_of_many_records_in_one_unit_each_keep_their_own_values(
    seeded: Store,
) -> None:
    """Changes of one shape may be written together: each row still gets its own values,
    and changes of other shapes and tables between them are written too."""
    async with seeded.transaction(WS) as unit:
        for n in range(1, 7):
            unit.add(task(n))
        unit.add(worker(1))
    async with seeded.transaction(WS) as unit:
        tasks = [await unit.get(Task, sid("WT", n)) for n in range(1, 7)]
        assert all(t is not None for t in tasks)
        for n, found in enumerate(tasks, start=1):
            assert found is not None
            found.priority = 100 + n
            if n == 3:  # a second shape in the middle of the first
                found.assignment_status = "canceled"
        first_worker = await unit.get(Worker, sid("WK", 1))
        assert first_worker is not None
        first_worker.friendly_name = "renamed"
    async with seeded.read() as unit:
        stored = await unit.select(Task, order=[asc("virtual_start_time")])
        stored_worker = await unit.get(Worker, sid("WK", 1))
    assert [t.priority for t in stored] == [101, 102, 103, 104, 105, 106]
    assert [t.assignment_status for t in stored] == ["pending"] * 2 + ["canceled"] + ["pending"] * 3
    assert stored_worker is not None and stored_worker.friendly_name == "renamed"
