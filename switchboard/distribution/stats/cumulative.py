"""Cumulative statistics: what happened in a time window, aggregated from stored events.

Events are the durable record of every state change, so these figures survive
restarts and can be asked for any past window (Twilio keeps 30 days). The
aggregates come from the statistics port (grouped by the scope's key: workspace,
queue, workflow or worker), so a page of 50 queues costs the same handful of
queries as a single queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from switchboard.distribution.domain import statistics as st
from switchboard.distribution.domain.ports import StatisticsQueries
from switchboard.distribution.domain.statistics import EventScope, Waits
from switchboard.kernel.clock import iso
from switchboard.kernel.ports import Unit

JSON = dict[str, Any]
RESERVATION_FIGURES = {
    "reservations_created": "reservation.created",
    "reservations_accepted": "reservation.accepted",
    "reservations_rejected": "reservation.rejected",
    "reservations_timed_out": "reservation.timeout",
    "reservations_canceled": "reservation.canceled",
    "reservations_rescinded": "reservation.rescinded",
    # a Switchboard extension: tasks the worker handed back (issue 15)
    "reservations_returned": "task.returned",
}
_COMMON_TASK_FIGURES = {
    "tasks_canceled": "task.canceled",
    "tasks_completed": "task.completed",
    "tasks_deleted": "task.deleted",
    "tasks_moved": "task-queue.moved",
    "tasks_returned": "task.returned",  # a Switchboard extension
}


@dataclass(frozen=True)
class Level:
    """What one kind of cumulative statistics holds (the spec's field matrix)."""

    group: str  # the events field figures are keyed by
    task_figures: Mapping[str, str]  # figure -> event type, counted in distinct tasks
    in_queue_waits: bool = False
    routing: bool = False


WORKSPACE = Level(
    "workspace_sid",
    {
        "tasks_created": "task.created",
        **_COMMON_TASK_FIGURES,
        "tasks_timed_out_in_workflow": "workflow.timeout",
    },
    routing=True,
)
TASK_QUEUE = Level(
    "task_queue_sid",
    {"tasks_entered": "task-queue.entered", **_COMMON_TASK_FIGURES},
    in_queue_waits=True,
)
WORKFLOW = Level(
    "workflow_sid",
    {
        "tasks_entered": "workflow.entered",
        **_COMMON_TASK_FIGURES,
        "tasks_timed_out_in_workflow": "workflow.timeout",
    },
    routing=True,
)


def _window_fields(window: st.Window) -> JSON:
    return {"start_time": iso(window.start), "end_time": iso(window.end)}


def reservation_figures(counts: Mapping[str, tuple[int, int]]) -> JSON:
    return {name: counts.get(kind, (0, 0))[0] for name, kind in RESERVATION_FIGURES.items()}


async def cumulative(
    queries: StatisticsQueries,
    unit: Unit,
    level: Level,
    scope: EventScope,
    thresholds: Sequence[int],
) -> dict[str, JSON]:
    """The figures of every key in `scope.keys` (zeros for keys without events)."""
    scope = replace(scope, group=level.group)
    if not scope.keys:
        return {}
    types = [*RESERVATION_FIGURES.values(), *level.task_figures.values()]
    counts = await queries.event_counts(unit, scope, types)
    accepted = await queries.wait_durations(unit, scope, "accepted", thresholds)
    canceled = await queries.wait_durations(unit, scope, "canceled", thresholds)
    in_queue = (
        await queries.wait_durations(unit, scope, "in_queue", ()) if level.in_queue_waits else {}
    )
    routing = await queries.routing_counts(unit, scope) if level.routing else {}
    results: dict[str, JSON] = {}
    for key in scope.keys or ():
        accepted_waits, canceled_waits = accepted.get(key, Waits()), canceled.get(key, Waits())
        found = counts.get(key, {})
        body: JSON = {
            "avg_task_acceptance_time": accepted_waits.summary()["avg"],
            **_window_fields(scope.window),
            **reservation_figures(found),
            **{name: found.get(kind, (0, 0))[1] for name, kind in level.task_figures.items()},
            "wait_duration_until_accepted": accepted_waits.summary(),
            "wait_duration_until_canceled": canceled_waits.summary(),
        }
        if level.in_queue_waits:
            body["wait_duration_in_queue_until_accepted"] = in_queue.get(key, Waits()).summary()
        body["split_by_wait_time"] = st.split_by_wait_time(
            thresholds, accepted_waits.side(), canceled_waits.side()
        )
        if level.routing:
            body["routing_success"] = st.routing_success(routing.get(key, ()))
        results[key] = body
    return results
