"""Reading only the workers a target's `==` or `HAS` can match plans exactly what
scanning all of them plans.

Four properties carry it: the grouping key never separates two values the
expression language finds equal; a worker and a task whose keys share none never
satisfy the conjunct; every `==` or `HAS` conjunct an expression reports is one the
expression needs (when the conjunct is false, so is the expression); and a pass that
reads groups plans the same matches, in the same order, as one that scans every
member of the queue.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.distribution.domain.equality_index import (
    ELEMENT,
    EVERYWHERE,
    ITEMS,
    NOWHERE,
    WHOLE,
    EqualityIndex,
    Probe,
    equality_key,
    probe,
    task_keys,
    worker_keys,
)
from switchboard.distribution.domain.expressions import compile_expression
from switchboard.distribution.domain.matching import (
    ChannelState,
    Planner,
    QueueState,
    Snapshot,
    WaitingTask,
    WorkerState,
)

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EQUALS = compile_expression("a == b")
HAS = compile_expression("a HAS b")

# values close to one another: equal across types (1, 1.0), not equal (true, 1, "1")
scalars = st.sampled_from([0, 1, 1.0, -0.0, 2, True, False, "1", "", "en", None])
values = st.recursive(
    scalars | st.integers() | st.floats(allow_nan=True) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@SETTINGS
@given(values, values)
def test_values_the_language_finds_equal_share_a_key(a: Any, b: Any) -> None:
    if EQUALS.evaluate({"a": a, "b": b}):
        assert equality_key(a) == equality_key(b)
        assert equality_key(a) is not NOWHERE


@SETTINGS
@given(values, values)
def test_a_list_and_a_value_it_holds_share_a_key(container: Any, element: Any) -> None:
    if not HAS.evaluate({"a": container, "b": element}):
        return
    # worker.skills HAS task.skill: the worker's list, the task's value
    # worker.lang IN task.langs: the task's list, the worker's value
    for worker_side, task_side, mode in (
        (container, element, ITEMS),
        (element, container, ELEMENT),
    ):
        mine, theirs = worker_keys(worker_side, mode), task_keys(task_side, mode)
        if mine is EVERYWHERE or theirs is None:
            continue  # kept in every group, or the task cannot narrow
        assert isinstance(mine, frozenset) and mine & theirs, (mode, worker_side, task_side)


def test_keys_follow_the_language_on_the_cases_that_matter() -> None:
    assert equality_key(1) == equality_key(1.0)
    assert equality_key([1, {"x": 2}]) == equality_key([1.0, {"x": 2.0}])
    assert equality_key(True) != equality_key(1)
    assert equality_key("1") != equality_key(1)
    assert equality_key(None) is NOWHERE  # a missing attribute equals nothing
    assert equality_key([None]) == equality_key([None])  # but null inside a list does
    nested: Any = []
    for _ in range(100_000):
        nested = [nested]
    assert equality_key(nested) is EVERYWHERE  # too deep to key: kept in every group


# --- which conjuncts an expression needs ------------------------------------------------

ATOMS = [
    "worker.lang == task.lang",
    "task.lang = worker.lang",
    "worker.level == 2",
    "2 == worker.level",
    "worker.tags == task.tags",
    "worker.level > task.min",
    "worker.lang == null",
    "task.vip",
    "worker.lang IN ['en', 'fr']",
    "worker.tags HAS task.lang",
    "task.lang IN worker.tags",
    "worker.lang IN task.tags",
    "task.tags HAS worker.tags",
    "worker.tags HAS 'en'",
]


def expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        st.sampled_from(ATOMS),
        lambda inner: (
            st.tuples(inner, st.sampled_from([" AND ", " OR "]), inner).map(
                lambda t: f"({t[0]}{t[1]}{t[2]})"
            )
            | inner.map(lambda e: f"NOT {e}")
        ),
        max_leaves=5,
    )


contexts = st.fixed_dictionaries(
    {
        "worker": st.fixed_dictionaries(
            {},
            optional={"lang": scalars, "level": scalars, "tags": st.lists(scalars, max_size=2)},
        ),
        "task": st.fixed_dictionaries(
            {},
            optional={
                "lang": scalars,
                "min": scalars,
                "vip": st.booleans(),
                "tags": st.lists(scalars, max_size=2),
            },
        ),
    }
)


def _side(path: tuple[str | int, ...] | None, constant: Any, context: dict[str, Any]) -> Any:
    if path is None:
        return constant
    value: Any = context
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


@SETTINGS
@given(expressions(), contexts)
def test_every_reported_equality_is_needed_by_the_expression(text: str, context: Any) -> None:
    expression = compile_expression(text)
    for equality in expression.equalities:
        left = _side(equality.left, equality.left_value, context)
        right = _side(equality.right, equality.right_value, context)
        conjunct = EQUALS if equality.op == "==" else HAS
        if not conjunct.evaluate({"a": left, "b": right}):
            assert not expression.evaluate(context), (text, equality)


def test_only_conjuncts_of_the_top_level_and_are_reported() -> None:
    found = compile_expression("task.x == 1 AND (worker.lang == task.lang AND worker.n > 2)")
    assert [(e.left, e.right) for e in found.equalities] == [
        (("task", "x"), None),
        (("worker", "lang"), ("task", "lang")),
    ]
    for text in ("worker.a == 1 OR worker.b == 2", "NOT worker.a == 1", "worker.a != 1", "1 == 1"):
        assert compile_expression(text).equalities == ()
    for text in ("worker.a NOT HAS 1", "1 NOT IN worker.a", "worker.a CONTAINS 'x'"):
        assert compile_expression(text).equalities == ()
    [has] = compile_expression("task.skill IN worker.skills").equalities
    assert (has.left, has.right, has.op) == (("worker", "skills"), ("task", "skill"), "HAS")


def test_a_probe_keys_the_task_side_of_the_first_worker_equality() -> None:
    target = compile_expression("task.vip == true AND task.lang == worker.lang")
    found = probe(target, {"task": {"vip": True, "lang": "fr"}})
    assert found == Probe(("lang",), frozenset({equality_key("fr")}))
    missing = probe(target, {"task": {"vip": True}})
    assert missing is not None and missing.keys == frozenset()  # nobody can match
    assert probe(compile_expression("worker.a == worker.b"), {"task": {}}) is None


def test_a_probe_keys_each_value_a_list_conjunct_accepts() -> None:
    skills = compile_expression("task.skill IN worker.skills")
    found = probe(skills, {"task": {"skill": ["billing", 2]}})
    assert found == Probe(("skills",), frozenset({("s", "billing"), ("n", 2)}), ITEMS)
    languages = compile_expression("worker.lang IN task.langs")
    found = probe(languages, {"task": {"langs": ["fr", "de"]}})
    assert found == Probe(("lang",), frozenset({("s", "fr"), ("s", "de")}), ELEMENT)
    for nobody in ({"langs": "fr"}, {}):  # IN needs a list: no worker can match
        assert probe(languages, {"task": nobody}) == Probe(("lang",), frozenset(), ELEMENT)


def test_an_index_moves_a_worker_between_groups_and_forgets_it() -> None:
    index: EqualityIndex[str] = EqualityIndex(("lang",))
    index.add("WK1", {"lang": "en"}, "one")
    index.add("WK2", {"lang": 1}, "two")
    index.add("WK3", {}, "three")  # no language: in no group
    assert index.members(frozenset({equality_key("en")})) == ["one"]
    assert index.members(frozenset({equality_key(1.0)})) == ["two"]
    index.add("WK1", {"lang": 1.0}, "one")
    assert index.members(frozenset({equality_key("en")})) == []
    assert sorted(index.members(frozenset({equality_key(1)}))) == ["one", "two"]
    index.discard("WK2")
    index.discard("WK3")
    assert index.members(frozenset({equality_key(1)})) == ["one"]
    assert set(index.where) == {"WK1"}


def test_a_worker_with_a_list_is_in_the_group_of_each_item() -> None:
    index: EqualityIndex[str] = EqualityIndex(("skills",), ITEMS)
    index.add("WK1", {"skills": ["billing", "sales"]}, "one")
    index.add("WK2", {"skills": "billing"}, "two")  # not a list: HAS never holds
    index.add("WK3", {"skills": ["sales"]}, "three")
    assert index.members(frozenset({("s", "billing")})) == ["one"]
    assert sorted(index.members(frozenset({("s", "billing"), ("s", "sales")}))) == [
        "one",
        "three",
    ]
    index.discard("WK1")
    assert index.members(frozenset({("s", "billing")})) == []


# values that often share a group, so moves within a group are common
FEW_VALUES = ["en", "fr", 1, 1.0, ["en", "fr"], ["fr"], None, [[[[[[["deep"]]]]]]]]

# operations on an index that keeps its groups in order: add (or move) a worker with a
# rank and a value, or discard it
index_steps = st.lists(
    st.tuples(
        st.sampled_from(["WK1", "WK2", "WK3", "WK4", "WK5"]),
        st.none() | st.tuples(st.integers(0, 3), st.sampled_from(FEW_VALUES) | values),
    ),
    max_size=30,
)


@SETTINGS
@given(
    index_steps,
    st.sampled_from(FEW_VALUES)
    | st.lists(st.sampled_from(["en", "fr", 1, 1.0]), min_size=2, max_size=3)
    | values,
    st.sampled_from([WHOLE, ITEMS, ELEMENT]),
)
def test_a_kept_order_reads_a_group_as_sorting_it_would(
    steps: list[tuple[str, Any]], asked: Any, mode: str
) -> None:
    """Whatever the history of moves, the groups a task's keys name, read in their kept
    order, are their members sorted by rank (then sid), each once, however they were
    keyed (one group, several merged, values that could not be keyed)."""
    index: EqualityIndex[tuple[int, str]] = EqualityIndex(("v",), mode, lambda item: item[0])
    for sid, change in steps:
        if change is None:
            index.discard(sid)
        else:
            rank, value = change
            index.add(sid, {"v": value}, (rank, sid))
    keys = task_keys(asked, mode)
    if keys is None:
        return
    expected = sorted(index.members(keys))
    ordered = index.members_in_order(keys)
    assert ordered is not None
    assert [ordered[i] for i in range(min(2, len(expected)))] == expected[:2]  # read lazily
    assert list(ordered) == expected
    assert len(ordered) == len(expected)
    assert list(ordered[1:]) == expected[1:]


def test_several_groups_are_read_merged_in_order_each_member_once() -> None:
    """`worker.lang IN task.langs` names a group per language; a worker with a list
    (`HAS`) is in several. Either way round, the merge keeps the order."""
    for first, second in (("en", "fr"), ("fr", "en")):
        index: EqualityIndex[tuple[int, str]] = EqualityIndex(("v",), ELEMENT, lambda i: i[0])
        index.add("WK1", {"v": first}, (0, "WK1"))
        index.add("WK2", {"v": second}, (1, "WK2"))
        index.add("WK3", {"v": first}, (2, "WK3"))
        index.add("WK4", {"v": ["en", "fr"]}, (3, "WK4"))  # in both groups
        ordered = index.members_in_order(task_keys(["en", "fr"], ELEMENT) or frozenset())
        assert ordered is not None
        assert ordered[0] == (0, "WK1")  # read before the merge went further
        assert list(ordered) == [(0, "WK1"), (1, "WK2"), (2, "WK3"), (3, "WK4")]


def test_an_index_without_an_order_reads_no_group_in_order() -> None:
    index: EqualityIndex[str] = EqualityIndex(("lang",))
    index.add("WK1", {"lang": "en"}, "one")
    assert index.members_in_order(frozenset({equality_key("en")})) is None


# --- a grouped pass plans what a full scan plans ----------------------------------------

TARGETS = (
    None,
    "worker.lang == task.lang",
    "task.lang == worker.lang AND worker.level >= task.min",
    "worker.level == task.min",
    "worker.lang == 'en'",
    "worker.tags == task.tags OR worker.level == 1",
    "worker.prefs == task.prefs",
    "worker.tags HAS task.lang",
    "task.tags IN worker.tags AND worker.level >= task.min",
    "worker.lang IN task.tags",
    "worker.tags HAS 'en'",
    "worker.tags HAS task.prefs",
)
attribute_values = st.sampled_from([None, "en", "fr", 1, 1.0, True, 2])


def _attributes(draw: st.DrawFn) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("lang", "level", "min"):
        value = draw(attribute_values)
        if value is not None:
            found[name] = value
    found["tags"] = draw(st.lists(attribute_values, max_size=2))
    found["prefs"] = draw(st.sampled_from([{"a": 1}, {"a": 1.0}, {"a": True}, {}, [None]]))
    return found


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    workers = tuple(
        WorkerState(
            f"WK{i:02d}",
            f"w{i}",
            _attributes(draw),
            "WA",
            "Idle",
            draw(st.booleans()),
            draw(st.integers(0, 20)),
            {"voice": ChannelState(draw(st.integers(0, 2)), in_use=draw(st.integers(0, 1)))},
        )
        for i in range(draw(st.integers(0, 12)))
    )
    queues = {
        "WQ1": QueueState("WQ1", compile_expression("1==1"), draw(st.integers(1, 2))),
        "WQ2": QueueState("WQ2", compile_expression("worker.level >= 1")),
    }
    tasks = []
    for i in range(draw(st.integers(0, 12))):
        target = draw(st.sampled_from(TARGETS))
        tasks.append(
            WaitingTask(
                f"WT{i:02d}",
                draw(st.integers(0, 2)),
                draw(st.integers(0, 20)),
                _attributes(draw),
                draw(st.sampled_from(["WQ1", "WQ2"])),
                "voice",
                compile_expression(target) if target else None,
                excluded_workers=frozenset(
                    draw(st.lists(st.sampled_from([w.sid for w in workers] or ["WKx"])))
                ),
            )
        )
    return Snapshot(workers, queues, tuple(tasks))


class Grouped(dict[str, list[WorkerState]]):
    """Queue members that keep their own groups, as the routing owner's picture does."""

    def bucket(self, queue_sid: str, found: Probe) -> list[Any]:
        index: EqualityIndex[WorkerState] = EqualityIndex(found.path, found.mode)
        for worker in reversed(self[queue_sid]):  # another order: the pool sorts anyway
            index.add(worker.sid, worker.context, worker)
        return index.members(found.keys)

    def bucket_in_order(self, queue_sid: str, found: Probe) -> list[Any] | None:
        """One key: the group sorted (longest idle first), as the owner's kept order
        reads it; several: None, so the planner sorts (both ways are planned)."""
        if len(found.keys) != 1:
            return None
        return sorted(self.bucket(queue_sid, found), key=lambda w: (w.idle_since, w.sid))

    def includes(self, queue_sid: str, worker_sid: str) -> bool:
        return any(w.sid == worker_sid for w in self.get(queue_sid, ()))

    def ready(self, queue_sid: str) -> list[WorkerState]:
        """Every member, full ones too (a superset is allowed), longest idle first: the
        pool reads this order as it is and passes over those without room."""
        return sorted(self[queue_sid], key=lambda w: (w.idle_since, w.sid))


def _members(snapshot: Snapshot) -> Grouped:
    return Grouped(
        {
            sid: [w for w in snapshot.workers if q.target_workers.evaluate(w.context)]
            for sid, q in snapshot.queues.items()
        }
    )


@SETTINGS
@given(snapshots())
def test_a_grouped_pass_plans_what_a_full_scan_plans(snapshot: Snapshot) -> None:
    full = Planner(copy.deepcopy(snapshot), narrow=False).plan()
    assert Planner(copy.deepcopy(snapshot)).plan() == full
    grouped = copy.deepcopy(snapshot)
    assert Planner(grouped, _members(grouped)).plan() == full
