"""The work-distribution tables (SQLAlchemy Core), bound to their records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from switchboard.distribution.domain import records as r
from switchboard.distribution.persistence import event_rows
from switchboard.distribution.persistence.event_types import EVENT_TYPE
from switchboard.store.compact_sid import COMPACT_SID
from switchboard.store.schema import SID, metadata
from switchboard.store.sid_keys import KEYED_SID, KeyedSid


def _partial(name: str, column: str) -> Index:
    """An index of one column's non-NULL values: a query that compares the column (`=`,
    `<=`, `IN`) implies NOT NULL, so SQLite and PostgreSQL both use it."""
    present = text(f"{column} IS NOT NULL")
    return Index(name, column, sqlite_where=present, postgresql_where=present)


def _workspace(index: bool = True) -> Column[str]:
    return Column(
        "workspace_sid",
        SID,
        ForeignKey("workspaces.sid", ondelete="CASCADE"),
        nullable=False,
        index=index,
    )


def _dates() -> list[Column[int]]:
    return [
        Column("date_created", BigInteger, nullable=False),
        Column("date_updated", BigInteger, nullable=False),
    ]


workspaces = Table(
    "workspaces",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    Column("friendly_name", String(64), nullable=False),
    Column("event_callback_url", Text),
    Column("events_filter", Text),
    Column("multi_task_enabled", Boolean, nullable=False),
    Column("prioritize_queue_order", String(4), nullable=False),
    Column("default_activity_sid", SID),
    Column("timeout_activity_sid", SID),
    *_dates(),
)

activities = Table(
    "activities",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("friendly_name", String(64), nullable=False),
    Column("available", Boolean, nullable=False),
    *_dates(),
)

task_channels = Table(
    "task_channels",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("friendly_name", String(64), nullable=False),
    Column("unique_name", String(64), nullable=False),
    Column("channel_optimized_routing", Boolean),
    *_dates(),
    UniqueConstraint("workspace_sid", "unique_name"),
)

task_queues = Table(
    "task_queues",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("friendly_name", String(64), nullable=False),
    Column("target_workers", Text, nullable=False),
    Column("max_reserved_workers", Integer, nullable=False),
    Column("task_order", String(4), nullable=False),
    Column("reservation_activity_sid", SID),
    Column("assignment_activity_sid", SID),
    *_dates(),
)

workflows = Table(
    "workflows",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("friendly_name", String(64), nullable=False),
    Column("configuration", Text, nullable=False),
    Column("assignment_callback_url", Text),
    Column("fallback_assignment_callback_url", Text),
    Column("task_reservation_timeout", Integer, nullable=False),
    *_dates(),
    Column("document_url", Text),
    Column("use_stored_document", Boolean, nullable=False, server_default=false()),
)

workers = Table(
    "workers",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("friendly_name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False),
    Column("attributes", Text, nullable=False),
    Column("activity_sid", SID, nullable=False),
    Column("available", Boolean, nullable=False),
    Column("idle_since", BigInteger, nullable=False),
    Column("date_status_changed", BigInteger, nullable=False),
    Column("rest_until", BigInteger),
    Column("missed_in_a_row", Integer, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False),
    *_dates(),
    UniqueConstraint("workspace_sid", "name_key"),
)

worker_channels = Table(
    "worker_channels",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("worker_sid", SID, ForeignKey("workers.sid", ondelete="CASCADE"), nullable=False),
    Column(
        "task_channel_sid",
        SID,
        ForeignKey("task_channels.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("capacity", Integer, nullable=False),
    Column("available", Boolean, nullable=False),
    Column("last_reserved_at", BigInteger, nullable=False),
    *_dates(),
    UniqueConstraint("worker_sid", "task_channel_sid"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(index=False),
    Column("attributes", Text, nullable=False),
    Column("assignment_status", String(16), nullable=False),
    Column("priority", BigInteger, nullable=False),
    Column("base_priority", BigInteger, nullable=False),
    Column("reason", Text),
    Column("timeout", Integer, nullable=False),
    # a handful of sids per workspace, in every task row: keys on SQLite (sid_keys.py)
    Column("workflow_sid", KEYED_SID),
    Column("task_queue_sid", KEYED_SID, index=True),
    Column("task_channel_sid", KEYED_SID, nullable=False),
    Column("routing_target", SID),
    Column("ignore_capacity", Boolean, nullable=False),
    Column("virtual_start_time", BigInteger, nullable=False),
    Column("task_queue_entered_date", BigInteger),
    Column("filter_index", Integer),
    Column("target_index", Integer),
    Column("step_entered_at", BigInteger),
    Column("step_deadline", BigInteger),
    Column("skip_checked", Boolean, nullable=False),
    Column("timeout_at", BigInteger),
    Column("returned_by", Text),
    Column("assignment_count", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    *_dates(),
    # the routing pass reads a workspace's waiting tasks, best first
    Index("ix_tasks_routing", "workspace_sid", "assignment_status", "priority"),
    # deadlines are looked up by `<= now`: tasks without one stay out of the index
    _partial("ix_tasks_step_deadline", "step_deadline"),
    _partial("ix_tasks_timeout_at", "timeout_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("sid", SID, primary_key=True),
    _workspace(),
    Column("task_sid", SID, ForeignKey("tasks.sid", ondelete="CASCADE"), nullable=False),
    Column("worker_sid", SID, ForeignKey("workers.sid", ondelete="CASCADE"), nullable=False),
    Column("task_queue_sid", SID),
    Column("workflow_sid", SID),
    Column("task_channel_sid", SID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("timeout_at", BigInteger),
    Column("worker_previous_activity_sid", SID),
    Column("version", Integer, nullable=False),
    Column("accepted_at", BigInteger),
    Column("completed_at", BigInteger),
    Column("talk_ms", BigInteger),
    Column("handling_ms", BigInteger),
    *_dates(),
    Index("ix_reservations_task", "task_sid", "status"),
    Index("ix_reservations_worker_accepted", "worker_sid", "accepted_at"),
    Index("ix_reservations_worker", "worker_sid", "status"),
    Index("ix_reservations_timeout_at", "status", "timeout_at"),
)

events = Table(
    "events",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    # sids are derived from `seq` (records.event_sid_of); only events written before
    # migration 0020 keep a random one here
    Column("legacy_sid", COMPACT_SID),
    # account, workspace, workflow and queue: few sids, in every row and in the two
    # indexes that start with the workspace: stored as keys on SQLite (store/sid_keys.py)
    Column("account_sid", KEYED_SID, nullable=False),
    Column("workspace_sid", KEYED_SID, nullable=False),
    Column("event_type", EVENT_TYPE, nullable=False),
    Column("resource_type", String(32), nullable=False),
    # stored compact (event_rows.py): NULL resource_sid, actor and source stand for
    # what the row already says, and event_data and description are coded; on SQLite
    # the sids are 18-byte BLOBs (store/compact_sid.py)
    Column("resource_sid", COMPACT_SID),
    Column("actor_type", String(32)),
    Column("actor_sid", COMPACT_SID),
    Column("description", Text, nullable=False),
    Column("event_data", Text, nullable=False),
    Column("source", String(32)),
    Column("source_ip_address", String(64)),
    Column("event_date", BigInteger, nullable=False),
    Column("task_sid", COMPACT_SID),
    Column("worker_sid", COMPACT_SID),
    Column("reservation_sid", COMPACT_SID),
    Column("task_queue_sid", KEYED_SID),
    Column("workflow_sid", KEYED_SID),
    # a channel's sid (task and reservation events) or unique name (the channel's own)
    Column("task_channel", KeyedSid(64)),
    # filtered by equality: events about no task (or no worker) stay out of the index
    _partial("ix_events_task_sid", "task_sid"),
    _partial("ix_events_worker_sid", "worker_sid"),
    _partial("ix_events_legacy_sid", "legacy_sid"),
    Index("ix_events_workspace_seq", "workspace_sid", "seq"),
    # cumulative statistics count events of a type within a time window
    Index("ix_events_workspace_type_date", "workspace_sid", "event_type", "event_date"),
    # rows are stored compact, records read back in full (event_rows.py)
    info={"codec": event_rows.CODEC},
)

task_documents = Table(
    "task_documents",
    metadata,
    Column("task_sid", SID, ForeignKey("tasks.sid", ondelete="CASCADE"), primary_key=True),
    Column("workflow_sid", SID, nullable=False),
    Column("configuration", Text, nullable=False),
    Column("source_url", Text, nullable=False),
    Column("fetched_at", BigInteger, nullable=False),
)

callback_cursors = Table(
    "callback_cursors",
    metadata,
    Column("workspace_sid", SID, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

BINDINGS: dict[type[Any], Table] = {
    r.Workspace: workspaces,
    r.Activity: activities,
    r.TaskChannel: task_channels,
    r.TaskQueue: task_queues,
    r.Workflow: workflows,
    r.Worker: workers,
    r.WorkerChannel: worker_channels,
    r.Task: tasks,
    r.Reservation: reservations,
    r.Event: events,
    r.TaskDocument: task_documents,
    r.CallbackCursor: callback_cursors,
}
# read by nearly every request, changed by few: SQL stores keep copies (store/cache.py)
CONFIGURATION: frozenset[type[Any]] = frozenset(
    {r.Workspace, r.Activity, r.TaskChannel, r.TaskQueue, r.Workflow}
)
# written on every step of a task's life and read back by the next: the SQLite writer
# keeps the copies it last committed (store/cache.py)
IN_FLIGHT: frozenset[type[Any]] = frozenset({r.Task, r.Reservation, r.Worker})
