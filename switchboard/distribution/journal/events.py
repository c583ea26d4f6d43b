"""Recording events: every state change is a record, written in the changing transaction.

The record is the outbox: it is published on the in-process bus only after the
transaction commits (see :meth:`switchboard.kernel.ports.Unit.after_commit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from switchboard.distribution.domain.records import Event, Workspace
from switchboard.kernel.ports import Clock, EventPublisher, Unit


class Recorder(Protocol):
    """What recording needs: where committed events go, and the time."""

    @property
    def bus(self) -> EventPublisher: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True)
class Subject:
    """What an event is about: its type and sid, plus the sids the /Events filters use."""

    resource_type: str
    resource_sid: str
    task_sid: str | None = None
    worker_sid: str | None = None
    reservation_sid: str | None = None
    task_queue_sid: str | None = None
    workflow_sid: str | None = None
    task_channel: str | None = None


def event_dict(row: Event, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-ready form of an event, as published on the bus (`data`: its
    `event_data` object when the caller has it already, equal to the parsed text)."""
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "workspace_sid": row.workspace_sid,
        "event_type": row.event_type,
        "resource_type": row.resource_type,
        "resource_sid": row.resource_sid,
        "actor_type": row.actor_type,
        "actor_sid": row.actor_sid,
        "description": row.description,
        "event_data": json.loads(row.event_data) if data is None else data,
        "event_date_ms": row.event_date,
        "task_sid": row.task_sid,
        "worker_sid": row.worker_sid,
        "reservation_sid": row.reservation_sid,
    }


_SCALARS = (str, int, float, bool, type(None))


def _read_back(payload: dict[str, Any]) -> dict[str, Any] | None:
    """What parsing the payload's JSON text gives, without parsing it: the payload itself
    (built here, held by no caller), when every key is text and every value a plain
    scalar (the usual payload: sids, names, attributes as text); None otherwise (nested
    values are read back from the text)."""
    for key, value in payload.items():
        if type(key) is not str or type(value) not in _SCALARS:
            return None
    return payload


def _channel_of(data: dict[str, Any]) -> str | None:
    channel = data.get("task_channel_sid")
    return channel if isinstance(channel, str) else None


def record(
    unit: Unit,
    recorder: Recorder,
    workspace: Workspace,
    event_type: str,
    subject: Subject,
    description: str,
    data: dict[str, Any],
    *,
    actor: tuple[str, str] | None = None,
    source_ip: str | None = None,
) -> Event:
    """Store one event and publish it after commit."""
    payload = {"workspace_sid": workspace.sid, "workspace_name": workspace.friendly_name, **data}
    row = Event(
        account_sid=workspace.account_sid,
        workspace_sid=workspace.sid,
        event_type=event_type,
        resource_type=subject.resource_type,
        resource_sid=subject.resource_sid,
        actor_type=actor[0] if actor else "workspace",
        actor_sid=actor[1] if actor else workspace.sid,
        description=description,
        event_data=json.dumps(payload, separators=(",", ":")),
        source="switchboard",
        source_ip_address=source_ip,
        event_date=recorder.clock.now_ms(),
        task_sid=subject.task_sid,
        worker_sid=subject.worker_sid,
        reservation_sid=subject.reservation_sid,
        task_queue_sid=subject.task_queue_sid,
        workflow_sid=subject.workflow_sid,
        # the channel the event is about: the /Events `TaskChannel` filter and the
        # statistics by channel compare it (a task's, a reservation's: its sid)
        task_channel=subject.task_channel or _channel_of(data),
    )
    unit.add(row)
    bus = recorder.bus
    published = _read_back(payload)
    unit.after_commit(lambda: bus.publish(event_dict(row, published)))
    return row
