"""The matching engine, rule by rule: who gets which waiting task in one pass.

Each test builds a tiny snapshot, runs :func:`plan_reservations` once and states
the expected reservations as ``(task_sid, worker_sid)`` pairs, in the order the
engine creates them (best first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from switchboard.distribution.domain.expressions import compile_expression
from switchboard.distribution.domain.matching import (
    ChannelState,
    QueueState,
    Snapshot,
    WaitingTask,
    WorkerState,
    plan_reservations,
)
from switchboard.distribution.domain.workflow import OrderBy

Q1, Q2 = "WQ1", "WQ2"
VOICE, CHAT = "voice", "chat"
Pair = tuple[str, str]

# --- builders ---------------------------------------------------------------------


def worker(
    sid: str,
    *,
    idle: int = 0,
    available: bool = True,
    channels: Mapping[str, ChannelState] | None = None,
    single_task: bool = False,
    name: str | None = None,
    **attributes: Any,
) -> WorkerState:
    """A worker, by default available with one free slot on voice and three on chat."""
    if channels is None:
        channels = {VOICE: ChannelState(capacity=1), CHAT: ChannelState(capacity=3)}
    return WorkerState(
        sid=sid,
        friendly_name=name or sid.lower(),
        attributes=attributes,
        activity_sid="WA" + ("idle" if available else "offline"),
        activity_name="Idle" if available else "Offline",
        available=available,
        idle_since=idle,
        channels=dict(channels),
        single_task=single_task,
    )


def queue(
    sid: str = Q1, target: str = "1==1", *, max_reserved: int = 1, lifo: bool = False
) -> QueueState:
    return QueueState(sid, compile_expression(target), max_reserved, lifo)


def task(
    sid: str,
    *,
    priority: int = 0,
    vst: int = 0,
    queue_sid: str = Q1,
    channel: str = VOICE,
    target: str | None = None,
    order_by: Sequence[OrderBy] = (),
    excluded: Sequence[str] = (),
    **fields: Any,
) -> WaitingTask:
    attributes = fields.pop("attributes", {})
    return WaitingTask(
        sid=sid,
        priority=priority,
        virtual_start_time=vst,
        attributes=attributes,
        queue_sid=queue_sid,
        channel_sid=channel,
        target_expression=compile_expression(target) if target is not None else None,
        order_by=tuple(order_by),
        excluded_workers=frozenset(excluded),
        **fields,
    )


def plan(
    workers: Sequence[WorkerState],
    tasks: Sequence[WaitingTask],
    queues: Sequence[QueueState] = (),
) -> list[Pair]:
    """Run one pass and return the reservations as (task, worker) pairs."""
    snapshot = Snapshot(
        workers=tuple(workers),
        queues={q.sid: q for q in (queues or [queue()])},
        tasks=tuple(tasks),
    )
    return [(m.task_sid, m.worker_sid) for m in plan_reservations(snapshot)]


def chat(capacity: int, in_use: int = 0, *, available: bool = True) -> dict[str, ChannelState]:
    return {CHAT: ChannelState(capacity=capacity, in_use=in_use, available=available)}


# --- which worker -----------------------------------------------------------------


def test_the_longest_idle_worker_gets_the_task() -> None:
    workers = [worker("WK1", idle=300), worker("WK2", idle=100), worker("WK3", idle=200)]
    assert plan(workers, [task("WT1")]) == [("WT1", "WK2")]


def test_each_task_goes_to_the_next_longest_idle_worker() -> None:
    workers = [worker("WK1", idle=300), worker("WK2", idle=100), worker("WK3", idle=200)]
    tasks = [task("WT1", vst=1), task("WT2", vst=2)]
    assert plan(workers, tasks) == [("WT1", "WK2"), ("WT2", "WK3")]


def test_an_unavailable_worker_is_never_reserved() -> None:
    workers = [worker("WK1", idle=1, available=False), worker("WK2", idle=9)]
    assert plan(workers, [task("WT1"), task("WT2")]) == [("WT1", "WK2")]


def test_no_available_worker_means_no_reservation() -> None:
    assert plan([worker("WK1", available=False)], [task("WT1")]) == []


# --- which task first -------------------------------------------------------------


def test_the_higher_priority_task_is_served_first() -> None:
    tasks = [task("WT-low", priority=1, vst=1), task("WT-high", priority=5, vst=9)]
    assert plan([worker("WK1")], tasks) == [("WT-high", "WK1")]


def test_equal_priority_is_first_in_first_out_by_default() -> None:
    tasks = [task("WT-new", vst=20), task("WT-old", vst=10)]
    assert plan([worker("WK1")], tasks) == [("WT-old", "WK1")]


def test_equal_priority_is_last_in_first_out_in_a_lifo_queue() -> None:
    tasks = [task("WT-old", vst=10), task("WT-new", vst=20)]
    assert plan([worker("WK1")], tasks, [queue(lifo=True)]) == [("WT-new", "WK1")]


def test_priority_still_beats_age_in_a_lifo_queue() -> None:
    tasks = [task("WT-new", vst=20), task("WT-urgent", priority=1, vst=10)]
    assert plan([worker("WK1")], tasks, [queue(lifo=True)]) == [("WT-urgent", "WK1")]


# --- capacity and availability ----------------------------------------------------


def test_chat_capacity_three_takes_at_most_three_tasks_in_one_pass() -> None:
    tasks = [task(f"WT{i}", vst=i, channel=CHAT) for i in range(5)]
    assert plan([worker("WK1", channels=chat(3))], tasks) == [
        ("WT0", "WK1"),
        ("WT1", "WK1"),
        ("WT2", "WK1"),
    ]


def test_tasks_in_use_count_against_capacity() -> None:
    tasks = [task(f"WT{i}", vst=i, channel=CHAT) for i in range(5)]
    assert plan([worker("WK1", channels=chat(3, in_use=2))], tasks) == [("WT0", "WK1")]


def test_a_full_channel_takes_nothing() -> None:
    assert plan([worker("WK1", channels=chat(2, in_use=2))], [task("WT1", channel=CHAT)]) == []


def test_capacity_zero_takes_nothing() -> None:
    assert plan([worker("WK1", channels=chat(0))], [task("WT1", channel=CHAT)]) == []


def test_an_unavailable_channel_blocks_the_worker_on_that_channel() -> None:
    blocked = worker("WK1", idle=1, channels=chat(3, available=False))
    assert plan([blocked, worker("WK2", idle=9)], [task("WT1", channel=CHAT)]) == [("WT1", "WK2")]


def test_a_worker_without_the_channel_is_not_a_candidate() -> None:
    voice_only = worker("WK1", idle=1, channels={VOICE: ChannelState(capacity=1)})
    assert plan([voice_only, worker("WK2", idle=9)], [task("WT1", channel=CHAT)]) == [
        ("WT1", "WK2")
    ]


def test_a_full_channel_does_not_block_other_channels() -> None:
    channels = {VOICE: ChannelState(capacity=1, in_use=1), CHAT: ChannelState(capacity=1)}
    tasks = [task("WT-voice", channel=VOICE), task("WT-chat", channel=CHAT)]
    assert plan([worker("WK1", channels=channels)], tasks) == [("WT-chat", "WK1")]


def test_a_single_task_worker_takes_one_task_across_all_channels() -> None:
    tasks = [task("WT1", vst=1, channel=CHAT), task("WT2", vst=2, channel=CHAT)]
    tasks.append(task("WT3", vst=3, channel=VOICE))
    assert plan([worker("WK1", single_task=True)], tasks) == [("WT1", "WK1")]


def test_a_single_task_worker_busy_on_another_channel_takes_nothing() -> None:
    channels = {VOICE: ChannelState(capacity=1, in_use=1), CHAT: ChannelState(capacity=3)}
    busy = worker("WK1", single_task=True, channels=channels)
    assert plan([busy], [task("WT1", channel=CHAT)]) == []


# --- queue and target expressions -------------------------------------------------


def test_the_queue_target_workers_expression_filters_workers() -> None:
    workers = [worker("WK1", idle=1, skills=["es"]), worker("WK2", idle=9, skills=["en"])]
    queues = [queue(Q1, "skills HAS 'en'")]
    assert plan(workers, [task("WT1")], queues) == [("WT1", "WK2")]


def test_no_worker_in_the_queue_means_no_reservation() -> None:
    queues = [queue(Q1, "level >= 5")]
    assert plan([worker("WK1", level=1)], [task("WT1")], queues) == []


def test_each_task_only_sees_the_workers_of_its_own_queue() -> None:
    workers = [worker("WK1", idle=1, team="a"), worker("WK2", idle=2, team="b")]
    queues = [queue(Q1, "team == 'b'"), queue(Q2, "team == 'a'")]
    tasks = [task("WT1", vst=1, queue_sid=Q1), task("WT2", vst=2, queue_sid=Q2)]
    assert plan(workers, tasks, queues) == [("WT1", "WK2"), ("WT2", "WK1")]


def test_the_target_expression_compares_task_and_worker_attributes() -> None:
    workers = [worker("WK1", idle=1, lang="fr"), worker("WK2", idle=9, lang="en")]
    wanted = task("WT1", target="task.lang == worker.lang", attributes={"lang": "en"})
    assert plan(workers, [wanted]) == [("WT1", "WK2")]


def test_a_target_expression_no_worker_satisfies_gives_no_reservation() -> None:
    wanted = task("WT1", target="task.lang == worker.lang", attributes={"lang": "de"})
    assert plan([worker("WK1", lang="en")], [wanted]) == []


def test_a_task_its_target_rejects_does_not_hold_the_worker_back() -> None:
    workers = [worker("WK1", lang="en")]
    tasks = [
        task("WT-de", priority=9, target="task.lang == worker.lang", attributes={"lang": "de"}),
        task("WT-any", priority=0),
    ]
    assert plan(workers, tasks) == [("WT-any", "WK1")]


# --- order_by ---------------------------------------------------------------------


def test_order_by_desc_prefers_the_highest_value_and_sorts_missing_last() -> None:
    workers = [
        worker("WK-none", idle=1),
        worker("WK-low", idle=2, level=1),
        worker("WK-high", idle=3, level=7),
    ]
    by_level = (OrderBy(("level",), descending=True),)
    tasks = [task(f"WT{i}", vst=i, order_by=by_level) for i in range(3)]
    assert plan(workers, tasks) == [("WT0", "WK-high"), ("WT1", "WK-low"), ("WT2", "WK-none")]


def test_order_by_asc_prefers_the_lowest_value_and_sorts_missing_last() -> None:
    workers = [
        worker("WK-none", idle=1),
        worker("WK-high", idle=2, level=7),
        worker("WK-low", idle=3, level=1),
    ]
    by_level = (OrderBy(("level",), descending=False),)
    tasks = [task(f"WT{i}", vst=i, order_by=by_level) for i in range(3)]
    assert plan(workers, tasks) == [("WT0", "WK-low"), ("WT1", "WK-high"), ("WT2", "WK-none")]


def test_order_by_ties_are_broken_by_idle_time() -> None:
    workers = [worker("WK1", idle=5, level=3), worker("WK2", idle=2, level=3)]
    wanted = task("WT1", order_by=(OrderBy(("level",), descending=True),))
    assert plan(workers, [wanted]) == [("WT1", "WK2")]


def test_order_by_reads_nested_attributes() -> None:
    workers = [worker("WK1", idle=1, stats={"csat": 3}), worker("WK2", idle=2, stats={"csat": 9})]
    wanted = task("WT1", order_by=(OrderBy(("stats", "csat"), descending=True),))
    assert plan(workers, [wanted]) == [("WT1", "WK2")]


# --- known worker -----------------------------------------------------------------


def test_a_known_worker_sid_routes_to_that_worker_only() -> None:
    workers = [worker("WK1", idle=1), worker("WK2", idle=9)]
    wanted = task("WT1", known_worker_sid="WK2", requires_known_worker=True)
    assert plan(workers, [wanted]) == [("WT1", "WK2")]


def test_a_known_worker_friendly_name_is_matched_case_insensitively() -> None:
    workers = [worker("WK1", idle=1, name="alice"), worker("WK2", idle=9, name="Bob")]
    wanted = task("WT1", known_worker_name="bOB", requires_known_worker=True)
    assert plan(workers, [wanted]) == [("WT1", "WK2")]


def test_a_known_worker_outside_the_queue_gets_nothing() -> None:
    workers = [worker("WK1", idle=1, team="a"), worker("WK2", idle=9, team="b")]
    wanted = task("WT1", known_worker_sid="WK2", requires_known_worker=True)
    assert plan(workers, [wanted], [queue(Q1, "team == 'a'")]) == []


def test_a_busy_known_worker_gets_nothing_and_no_one_else_does_either() -> None:
    workers = [worker("WK1", idle=1), worker("WK2", idle=9, channels=chat(1, in_use=1))]
    wanted = task("WT1", channel=CHAT, known_worker_sid="WK2", requires_known_worker=True)
    assert plan(workers, [wanted]) == []


def test_an_unknown_known_worker_gets_nothing() -> None:
    wanted = task("WT1", known_worker_sid="WK404", requires_known_worker=True)
    assert plan([worker("WK1")], [wanted]) == []


def test_requiring_a_known_worker_without_an_id_gives_no_match() -> None:
    """The task's known_worker attribute was missing: nobody qualifies."""
    assert plan([worker("WK1")], [task("WT1", requires_known_worker=True)]) == []


def test_ignore_capacity_lets_a_full_known_worker_be_reserved() -> None:
    full = worker("WK1", channels=chat(1, in_use=1))
    wanted = task(
        "WT1",
        channel=CHAT,
        known_worker_sid="WK1",
        requires_known_worker=True,
        ignore_capacity=True,
    )
    assert plan([full], [wanted]) == [("WT1", "WK1")]


def test_ignore_capacity_lets_an_unavailable_known_worker_be_reserved() -> None:
    away = worker("WK1", available=False)
    wanted = task("WT1", known_worker_sid="WK1", requires_known_worker=True, ignore_capacity=True)
    assert plan([away], [wanted]) == [("WT1", "WK1")]


def test_ignore_capacity_still_respects_exclusions() -> None:
    wanted = task(
        "WT1",
        known_worker_sid="WK1",
        requires_known_worker=True,
        ignore_capacity=True,
        excluded=["WK1"],
    )
    assert plan([worker("WK1")], [wanted]) == []


# --- several reservations per task ------------------------------------------------


def test_max_reserved_workers_offers_one_task_to_that_many_different_workers() -> None:
    workers = [worker(f"WK{i}", idle=i) for i in range(5)]
    assert plan(workers, [task("WT1")], [queue(max_reserved=3)]) == [
        ("WT1", "WK0"),
        ("WT1", "WK1"),
        ("WT1", "WK2"),
    ]


def test_max_reserved_workers_never_offers_twice_to_one_worker() -> None:
    """A chat worker with three free slots still holds only one offer of the task."""
    workers = [worker("WK1", channels=chat(3))]
    assert plan(workers, [task("WT1", channel=CHAT)], [queue(max_reserved=3)]) == [("WT1", "WK1")]


def test_open_reservations_reduce_the_new_offers() -> None:
    workers = [worker(f"WK{i}", idle=i) for i in range(5)]
    wanted = task("WT1", open_reservations=2, excluded=["WK0", "WK1"])
    assert plan(workers, [wanted], [queue(max_reserved=3)]) == [("WT1", "WK2")]


def test_a_task_holding_all_its_offers_gets_no_more() -> None:
    workers = [worker(f"WK{i}", idle=i) for i in range(5)]
    wanted = task("WT1", open_reservations=1, excluded=["WK0"])
    assert plan(workers, [wanted]) == []


def test_excluded_workers_are_skipped() -> None:
    workers = [worker("WK1", idle=1), worker("WK2", idle=2), worker("WK3", idle=3)]
    assert plan(workers, [task("WT1", excluded=["WK1", "WK2"])]) == [("WT1", "WK3")]


def test_an_excluded_worker_is_still_free_for_other_tasks() -> None:
    workers = [worker("WK1", idle=1), worker("WK2", idle=2)]
    tasks = [task("WT1", vst=1, excluded=["WK1"]), task("WT2", vst=2)]
    assert plan(workers, tasks) == [("WT1", "WK2"), ("WT2", "WK1")]


# --- odds and ends ----------------------------------------------------------------


def test_tasks_of_an_unknown_queue_are_ignored() -> None:
    tasks = [task("WT-lost", priority=9, queue_sid="WQ404"), task("WT1")]
    assert plan([worker("WK1")], tasks) == [("WT1", "WK1")]


def test_the_early_stop_does_not_drop_ignore_capacity_tasks() -> None:
    """Nobody has a free slot, yet a transfer to a full worker still goes through."""
    workers = [worker("WK1", channels=chat(1, in_use=1))]
    tasks = [
        task("WT-normal", priority=9, channel=CHAT),
        task(
            "WT-transfer",
            channel=CHAT,
            known_worker_sid="WK1",
            requires_known_worker=True,
            ignore_capacity=True,
        ),
    ]
    assert plan(workers, tasks) == [("WT-transfer", "WK1")]


def test_the_early_stop_does_not_drop_ignore_capacity_tasks_after_capacity_runs_out() -> None:
    workers = [worker("WK1", idle=1, channels=chat(1)), worker("WK2", idle=2, channels=chat(1))]
    tasks = [task(f"WT{i}", priority=9, vst=i, channel=CHAT) for i in range(3)]
    transfer = task(
        "WT-transfer",
        channel=CHAT,
        known_worker_sid="WK2",
        requires_known_worker=True,
        ignore_capacity=True,
    )
    assert plan(workers, [*tasks, transfer]) == [
        ("WT0", "WK1"),
        ("WT1", "WK2"),
        ("WT-transfer", "WK2"),
    ]


def test_no_tasks_no_reservations() -> None:
    assert plan([worker("WK1")], []) == []


def test_extra_context_is_visible_to_queue_expressions() -> None:
    snapshot = Snapshot(
        workers=(worker("WK1"),),
        queues={Q1: queue(Q1, "taskrouter.dayOfWeek == 'Mon'")},
        tasks=(task("WT1"),),
        extra_context={"taskrouter": {"dayOfWeek": "Mon"}},
    )
    assert [(m.task_sid, m.worker_sid) for m in plan_reservations(snapshot)] == [("WT1", "WK1")]


def test_an_over_capacity_channel_does_not_hide_other_workers_capacity() -> None:
    """Capacity lowered under load (or an ignore_capacity transfer) leaves in_use > capacity.

    WK1 holds 3 chats on a capacity of 1 (free -2); WK2 has one free slot. The
    pass's free-slot count starts at -2 + 1 = -1 and stops before the first task.
    """
    workers = [worker("WK1", idle=1, channels=chat(1, in_use=3)), worker("WK2", channels=chat(1))]
    assert plan(workers, [task("WT1", channel=CHAT)]) == [("WT1", "WK2")]
