"""Helpers shared by the configuration services (activities, channels, queues, workflows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain.errors import InvalidParameter, NotFound
from switchboard.services import events
from switchboard.services.access import access_activity
from switchboard.services.context import Services
from switchboard.store import tables as t

# a task in one of these states still needs its workflow, queue and channel
OPEN_TASK_STATUSES = ("pending", "reserved", "assigned", "wrapping")


async def record_change(
    session: AsyncSession,
    svc: Services,
    workspace: t.Workspace,
    event_type: str,
    subject: events.Subject,
    data: dict[str, Any],
) -> None:
    """Log a configuration change (`activity.created`, ...) as an event."""
    description = f"{subject.resource_type} {subject.resource_sid} {event_type.rsplit('.', 1)[-1]}"
    await events.record(session, svc.bus, workspace, event_type, subject, description, data)


def required(value: str | None, name: str) -> str:
    """Creation needs `name`; the API checks it too, this guards other callers."""
    if not value:
        raise InvalidParameter(f"Missing required parameter {name} in the post body")
    return value


async def activity_param(
    session: AsyncSession, workspace: t.Workspace, sid: str, name: str
) -> t.Activity:
    """An activity named by a request parameter: a bad reference is a 400, not a 404."""
    try:
        return await access_activity(session, workspace, sid)
    except NotFound:
        raise InvalidParameter(
            f"Invalid {name}: {sid} is not an Activity of this Workspace"
        ) from None


async def refuse_if_any(session: AsyncSession, query: Select[Any], message: str) -> None:
    """Raise a 400 with `message` when `query` finds a row (a reference still in use)."""
    if (await session.execute(query.limit(1))).first() is not None:
        raise InvalidParameter(message)
