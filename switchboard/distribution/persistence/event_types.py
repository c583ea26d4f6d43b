"""Event types stored as small integers on SQLite (issue 10, "events stay small").

An event type is up to 34 characters (`worker.channel.availability.update`) in every
`events` row and again in `ix_events_workspace_type_date`, the index that the
cumulative statistics count by. :class:`EventTypeCode` binds a known type on SQLite as
its code in :data:`CODES`, written in digits (the column is text: one or two bytes on
disk; no type name is all digits), and reads the code back as the type, so
the code, the filters (SQLAlchemy binds a compared value through the column's type)
and the wire see the type's name as before. A type without a code is stored as its
name and reads back as it. PostgreSQL keeps text: the type changes nothing there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# stored forever: append only, never renumber or reuse a code
CODES: dict[str, int] = {
    "task.created": 1,
    "task.updated": 2,
    "task.canceled": 3,
    "task.completed": 4,
    "task.wrapup": 5,
    "task.deleted": 6,
    "task.returned": 7,
    "task-queue.entered": 8,
    "task-queue.moved": 9,
    "workflow.entered": 10,
    "workflow.timeout": 11,
    "workflow.skipped": 12,
    "workflow.document-fetch-failed": 13,
    "reservation.created": 14,
    "reservation.accepted": 15,
    "reservation.rejected": 16,
    "reservation.timeout": 17,
    "reservation.canceled": 18,
    "reservation.rescinded": 19,
    "reservation.wrapup": 20,
    "reservation.completed": 21,
    "reservation.instruction": 22,
    "worker.created": 23,
    "worker.deleted": 24,
    "worker.attributes.update": 25,
    "worker.activity.update": 26,
    "worker.capacity.update": 27,
    "worker.channel.availability.update": 28,
    "activity.created": 29,
    "activity.updated": 30,
    "activity.deleted": 31,
    "task-queue.created": 32,
    "task-queue.deleted": 33,
    "task-queue.expression.updated": 34,
    "workflow.created": 35,
    "workflow.updated": 36,
    "workflow.deleted": 37,
    "task-channel.created": 38,
    "task-channel.updated": 39,
    "task-channel.deleted": 40,
    "workspace.created": 41,
    "workspace.updated": 42,
    "workspace.deleted": 43,
}


STORED = {name: str(code) for name, code in CODES.items()}
READ = {str(code): name for name, code in CODES.items()}


def pack(value: Any) -> Any:
    """The stored form of an event type on SQLite (its code in digits, when it has one)."""
    return STORED.get(value, value) if isinstance(value, str) else value


def unpack(value: Any) -> Any:
    """The event type of a stored value."""
    return READ.get(value, value) if isinstance(value, str) else value


class EventTypeCode(TypeDecorator[str]):
    """The `event_type` column: a code in digits on SQLite, the name elsewhere."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return pack(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return unpack(value)


EVENT_TYPE = EventTypeCode()
