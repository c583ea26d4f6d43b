"""Replaying events onto a picture of the workspace: what a listener can know from the stream.

A supervisor page, an agent desktop or a callback consumer sees only events. Every
state change the engine makes must therefore show in them: applying the events of
an action to the state before it must give the state after it. The tests check
exactly that for every action they take (`verify_action`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

RESERVATION_STATUS = {
    "reservation.created": "pending",
    "reservation.accepted": "accepted",
    "reservation.rejected": "rejected",
    "reservation.timeout": "timeout",
    "reservation.canceled": "canceled",
    "reservation.rescinded": "rescinded",
    "reservation.wrapup": "wrapping",
    "reservation.completed": "completed",
}


@dataclass(frozen=True)
class TaskView:
    assignment_status: str
    priority: int
    task_queue_sid: str | None


@dataclass(frozen=True)
class WorkerView:
    activity_sid: str
    attributes: str


@dataclass(frozen=True)
class ReservationView:
    task_sid: str
    worker_sid: str
    status: str


@dataclass(frozen=True)
class Picture:
    """The part of a workspace the event stream describes."""

    tasks: Mapping[str, TaskView] = field(default_factory=dict)
    reservations: Mapping[str, ReservationView] = field(default_factory=dict)
    workers: Mapping[str, WorkerView] = field(default_factory=dict)


def _task(data: Mapping[str, Any]) -> TaskView:
    return TaskView(
        str(data["task_assignment_status"]),
        int(data["task_priority"]),
        data.get("task_queue_sid"),
    )


def apply(picture: Picture, event: Mapping[str, Any]) -> Picture:
    """The picture after one event."""
    kind, data = str(event["event_type"]), event["event_data"]
    tasks, reservations, workers = (
        dict(picture.tasks),
        dict(picture.reservations),
        dict(picture.workers),
    )
    if "task_sid" in data and "task_assignment_status" in data:
        tasks[str(data["task_sid"])] = _task(data)
    if kind == "task.deleted":  # its reservations go with it
        gone = str(data["task_sid"])
        tasks.pop(gone, None)
        reservations = {s: r for s, r in reservations.items() if r.task_sid != gone}
    if kind in RESERVATION_STATUS:
        reservations[str(data["reservation_sid"])] = ReservationView(
            str(data["task_sid"]), str(data["worker_sid"]), RESERVATION_STATUS[kind]
        )
    if "worker_sid" in data and "worker_activity_sid" in data:
        worker = str(data["worker_sid"])
        if kind == "worker.deleted":  # its reservations go with it
            workers.pop(worker, None)
            reservations = {s: r for s, r in reservations.items() if r.worker_sid != worker}
        else:
            workers[worker] = WorkerView(
                str(data["worker_activity_sid"]), str(data["worker_attributes"])
            )
    return replace(picture, tasks=tasks, reservations=reservations, workers=workers)


def apply_all(picture: Picture, events: Iterable[Mapping[str, Any]]) -> Picture:
    for event in events:
        picture = apply(picture, event)
    return picture
