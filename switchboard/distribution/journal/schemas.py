"""What every event's `event_data` carries, by event type: the stream's published contract.

Callbacks, the websocket and the statistics read these fields; the tests validate
every event they see against this table (:func:`problems`), so a field that goes
missing is a failing test, not a broken dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WORKSPACE = frozenset({"workspace_sid", "workspace_name"})
TASK = WORKSPACE | {
    "task_sid",
    "task_attributes",
    "task_age",
    "task_priority",
    "task_assignment_status",
    "task_channel_sid",
    "task_queue_sid",
    "workflow_sid",
}
WORKER = WORKSPACE | {
    "worker_sid",
    "worker_name",
    "worker_attributes",
    "worker_activity_sid",
    "worker_activity_name",
}
RESERVATION = TASK | WORKER | {"reservation_sid", "filter_index", "target_index"}
WORKFLOW = TASK | {"workflow_name"}

FIELDS: Mapping[str, frozenset[str]] = {
    "task.created": TASK,
    "task.updated": TASK,
    "task.canceled": TASK | {"task_canceled_reason"},
    "task.completed": TASK | {"task_completed_reason"},
    "task.wrapup": TASK,
    "task.deleted": TASK,
    "task.returned": TASK | WORKER | {"task_returned_reason"},
    "task-queue.entered": TASK | {"task_queue_name"},
    "task-queue.moved": TASK | {"task_queue_name"},
    "workflow.entered": WORKFLOW,
    "workflow.timeout": WORKFLOW,
    "workflow.skipped": WORKFLOW,
    "workflow.document-fetch-failed": WORKFLOW | {"document_url", "error"},
    "reservation.created": RESERVATION,
    "reservation.accepted": RESERVATION,
    "reservation.rejected": RESERVATION,
    "reservation.timeout": RESERVATION,
    "reservation.canceled": RESERVATION,
    "reservation.rescinded": RESERVATION,
    "reservation.wrapup": RESERVATION,
    "reservation.completed": RESERVATION,
    "reservation.instruction": (TASK | WORKER | {"reservation_sid"})
    | {"instruction", "instruction_params", "instruction_result", "instruction_detail"},
    "worker.created": WORKER,
    "worker.deleted": WORKER,
    "worker.attributes.update": WORKER,
    "worker.activity.update": WORKER
    | {
        "worker_previous_activity_sid",
        "worker_time_in_previous_activity",
        "worker_time_in_previous_activity_ms",
    },
    "worker.capacity.update": WORKER
    | {"task_channel_sid", "worker_channel_capacity", "worker_channel_previous_capacity"},
    "worker.channel.availability.update": WORKER | {"task_channel_sid", "worker_channel_available"},
    "activity.created": WORKSPACE | {"activity_sid", "activity_name", "activity_available"},
    "activity.updated": WORKSPACE | {"activity_sid", "activity_name", "activity_available"},
    "activity.deleted": WORKSPACE | {"activity_sid", "activity_name", "activity_available"},
    "task-queue.created": WORKSPACE
    | {"task_queue_sid", "task_queue_name", "task_queue_target_expression"},
    "task-queue.deleted": WORKSPACE
    | {"task_queue_sid", "task_queue_name", "task_queue_target_expression"},
    "task-queue.expression.updated": WORKSPACE
    | {"task_queue_sid", "task_queue_name", "task_queue_target_expression"},
    "workflow.created": WORKSPACE | {"workflow_sid", "workflow_name"},
    "workflow.updated": WORKSPACE | {"workflow_sid", "workflow_name"},
    "workflow.deleted": WORKSPACE | {"workflow_sid", "workflow_name"},
    "task-channel.created": WORKSPACE
    | {
        "task_channel_sid",
        "task_channel_name",
        "task_channel_unique_name",
        "task_channel_optimized_routing",
    },
    "task-channel.updated": WORKSPACE
    | {
        "task_channel_sid",
        "task_channel_name",
        "task_channel_unique_name",
        "task_channel_optimized_routing",
    },
    "task-channel.deleted": WORKSPACE
    | {
        "task_channel_sid",
        "task_channel_name",
        "task_channel_unique_name",
        "task_channel_optimized_routing",
    },
    "workspace.created": WORKSPACE,
    "workspace.updated": WORKSPACE,
    "workspace.deleted": WORKSPACE,
}
ENVELOPE = frozenset(
    {
        "sid",
        "account_sid",
        "workspace_sid",
        "event_type",
        "resource_type",
        "resource_sid",
        "description",
        "event_data",
        "event_date_ms",
    }
)


def problems(event: Mapping[str, Any]) -> list[str]:
    """What is wrong with a published event (empty when it is what its type promises)."""
    found = [f"missing {key}" for key in sorted(ENVELOPE - event.keys())]
    wanted = FIELDS.get(str(event.get("event_type")))
    if wanted is None:
        return [*found, f"unknown event type {event.get('event_type')!r}"]
    data = event.get("event_data")
    if not isinstance(data, Mapping):
        return [*found, "event_data is not an object"]
    found += [f"event_data lacks {key}" for key in sorted(wanted - data.keys())]
    return found
