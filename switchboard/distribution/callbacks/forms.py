"""The form parameters of event and assignment callbacks, built from a stored event.

Built when the event is turned into a delivery, so a retry sends what was true when
the event happened, as Twilio does.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.distribution.domain.records import Event

ASSIGNMENT_KEYS = {
    "workflow_sid": "WorkflowSid",
    "task_sid": "TaskSid",
    "reservation_sid": "ReservationSid",
    "task_queue_sid": "TaskQueueSid",
    "worker_sid": "WorkerSid",
    "task_attributes": "TaskAttributes",
    "worker_attributes": "WorkerAttributes",
    "task_age": "TaskAge",
    "task_priority": "TaskPriority",
}


def pascal(name: str) -> str:
    """`task_queue_sid` → `TaskQueueSid`; `task-channel` → `TaskChannel`."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def form_value(value: Any) -> str:
    """Everything travels as text: booleans as true/false, structures as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _data(event: Event) -> dict[str, Any]:
    value = json.loads(event.event_data or "{}")
    return value if isinstance(value, dict) else {}


def event_form(event: Event, workspace_name: str | None) -> dict[str, str]:
    """Twilio's event callback: common parameters plus the event data in PascalCase."""
    form = {pascal(key): form_value(v) for key, v in _data(event).items() if v is not None}
    form.update(
        {
            "EventType": event.event_type,
            "AccountSid": event.account_sid,
            "WorkspaceSid": event.workspace_sid,
            "EventDescription": event.description,
            "ResourceType": pascal(event.resource_type),
            "ResourceSid": event.resource_sid,
            "Timestamp": str(event.event_date // 1000),
            "TimestampMs": str(event.event_date),
            "Sid": event.sid,
        }
    )
    if workspace_name is not None:
        form["WorkspaceName"] = workspace_name
    return form


def assignment_form(event: Event) -> dict[str, str]:
    """Twilio's assignment callback parameters, from a `reservation.created` event."""
    data = _data(event)
    form = {
        "AccountSid": event.account_sid,
        "WorkspaceSid": event.workspace_sid,
        "Timestamp": str(event.event_date // 1000),
    }
    for key, name in ASSIGNMENT_KEYS.items():
        if data.get(key) is not None:
            form[name] = form_value(data[key])
    return form
