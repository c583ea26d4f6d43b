"""The `event_data` of task, worker and reservation events (Twilio's field groups, snake_case)."""

from __future__ import annotations

from typing import Any

from switchboard.distribution.domain.records import Reservation, Task, Worker


def task_fields(task: Task, now: int, queue_name: str | None = None) -> dict[str, Any]:
    age = max(0, (now - task.date_created) // 1000)
    data: dict[str, Any] = {
        "task_sid": task.sid,
        "task_attributes": task.attributes,
        "task_age": str(age),
        "task_priority": str(task.priority),
        "task_assignment_status": task.assignment_status,
        "task_channel_sid": task.task_channel_sid,
        "task_queue_sid": task.task_queue_sid,
        "workflow_sid": task.workflow_sid,
    }
    if queue_name is not None:
        data["task_queue_name"] = queue_name
    if task.assignment_status == "canceled":
        data["task_canceled_reason"] = task.reason
    if task.assignment_status == "completed":
        data["task_completed_reason"] = task.reason
    return data


def worker_fields(worker: Worker, activity_name: str | None) -> dict[str, Any]:
    return {
        "worker_sid": worker.sid,
        "worker_name": worker.friendly_name,
        "worker_attributes": worker.attributes,
        "worker_activity_sid": worker.activity_sid,
        "worker_activity_name": activity_name,
    }


def reservation_fields(
    reservation: Reservation, task: Task, worker: Worker, activity_name: str | None, now: int
) -> dict[str, Any]:
    return {
        "reservation_sid": reservation.sid,
        **task_fields(task, now),
        **worker_fields(worker, activity_name),
        "task_queue_sid": reservation.task_queue_sid,
        "workflow_sid": reservation.workflow_sid,
    }
