"""Helpers shared by the configuration services (activities, channels, queues, workflows)."""

from __future__ import annotations

from typing import Any

from switchboard.distribution.domain.records import Workspace
from switchboard.distribution.journal import events
from switchboard.distribution.work.access import activity_param
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import Criterion
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

# a task in one of these states still needs its workflow, queue and channel
OPEN_TASK_STATUSES = ("pending", "reserved", "assigned", "wrapping")


def record_change(
    unit: Unit,
    svc: Services,
    workspace: Workspace,
    event_type: str,
    subject: events.Subject,
    data: dict[str, Any],
) -> None:
    """Log a configuration change (`activity.created`, ...) as an event."""
    description = f"{subject.resource_type} {subject.resource_sid} {event_type.rsplit('.', 1)[-1]}"
    events.record(unit, svc, workspace, event_type, subject, description, data)


def required(value: str | None, name: str) -> str:
    """Creation needs `name`; the API checks it too, this guards other callers."""
    if not value:
        raise InvalidParameter(f"Missing required parameter {name} in the post body")
    return value


async def refuse_if_any(unit: Unit, kind: type[Any], where: list[Criterion], message: str) -> None:
    """Raise a 400 with `message` when a record matches (a reference still in use)."""
    if await unit.exists(kind, *where):
        raise InvalidParameter(message)


__all__ = ["activity_param", "record_change", "refuse_if_any", "required"]
