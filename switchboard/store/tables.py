"""The relational schema: the single source of truth for every resource.

Instants are stored as integer milliseconds since the epoch (UTC) so SQLite and
PostgreSQL compare and index them the same way. JSON documents (attributes,
configurations, event data) are stored as the exact text the client sent, as
Twilio returns them verbatim.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SID = String(34)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    __tablename__ = "accounts"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    parent_sid: Mapped[str | None] = mapped_column(SID, ForeignKey("accounts.sid"), index=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    auth_token_hash: Mapped[str] = mapped_column(String(64))
    # the token encrypted with the server key: callbacks are signed with it, as Twilio does
    auth_token_sealed: Mapped[str | None] = mapped_column(Text)
    # during a rotation the previous token keeps working until it is retired
    secondary_token_hash: Mapped[str | None] = mapped_column(String(64))
    secondary_token_sealed: Mapped[str | None] = mapped_column(Text)
    # service plan: weights fair scheduling under overload
    plan: Mapped[str] = mapped_column(String(32), default="standard", server_default="standard")
    # JSON: {"price_per_call": "0.0001", ...}
    preferences: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # money in millionths of the currency unit (exact arithmetic)
    balance_micros: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # normalised billing details: cross-account fraud rules compare them
    billing_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    fraud_score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # none | flagged | throttled | suspended
    fraud_stage: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    # where account-level notifications (e.g. a sub-account tripping a fraud rule) go
    callback_url: Mapped[str | None] = mapped_column(Text)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Workspace(Base):
    __tablename__ = "workspaces"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    account_sid: Mapped[str] = mapped_column(SID, ForeignKey("accounts.sid"), index=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    event_callback_url: Mapped[str | None] = mapped_column(Text)
    events_filter: Mapped[str | None] = mapped_column(Text)
    multi_task_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    prioritize_queue_order: Mapped[str] = mapped_column(String(4), default="FIFO")
    default_activity_sid: Mapped[str | None] = mapped_column(SID)
    timeout_activity_sid: Mapped[str | None] = mapped_column(SID)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Activity(Base):
    __tablename__ = "activities"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    friendly_name: Mapped[str] = mapped_column(String(64))
    available: Mapped[bool] = mapped_column(Boolean)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class TaskChannel(Base):
    __tablename__ = "task_channels"
    __table_args__ = (UniqueConstraint("workspace_sid", "unique_name"),)

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    friendly_name: Mapped[str] = mapped_column(String(64))
    unique_name: Mapped[str] = mapped_column(String(64))
    channel_optimized_routing: Mapped[bool | None] = mapped_column(Boolean)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class TaskQueue(Base):
    __tablename__ = "task_queues"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    friendly_name: Mapped[str] = mapped_column(String(64))
    target_workers: Mapped[str] = mapped_column(Text, default="1==1")
    max_reserved_workers: Mapped[int] = mapped_column(Integer, default=1)
    task_order: Mapped[str] = mapped_column(String(4), default="FIFO")
    reservation_activity_sid: Mapped[str | None] = mapped_column(SID)
    assignment_activity_sid: Mapped[str | None] = mapped_column(SID)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Workflow(Base):
    __tablename__ = "workflows"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    friendly_name: Mapped[str] = mapped_column(String(64))
    configuration: Mapped[str] = mapped_column(Text)
    assignment_callback_url: Mapped[str | None] = mapped_column(Text)
    fallback_assignment_callback_url: Mapped[str | None] = mapped_column(Text)
    task_reservation_timeout: Mapped[int] = mapped_column(Integer, default=120)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)
    # remote routing document (issue 3): fetched per task; `configuration` is the fallback copy
    document_url: Mapped[str | None] = mapped_column(Text)
    use_stored_document: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class Worker(Base):
    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("workspace_sid", "name_key"),)

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    friendly_name: Mapped[str] = mapped_column(String(64))
    # lower-cased friendly name: Twilio makes worker names case-insensitively unique
    name_key: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    activity_sid: Mapped[str] = mapped_column(SID)
    available: Mapped[bool] = mapped_column(Boolean)
    # when the worker last became available or finished a task: "longest idle" orders by it
    idle_since: Mapped[int] = mapped_column(BigInteger)
    date_status_changed: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=0)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class WorkerChannel(Base):
    __tablename__ = "worker_channels"
    __table_args__ = (UniqueConstraint("worker_sid", "task_channel_sid"),)

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    worker_sid: Mapped[str] = mapped_column(SID, ForeignKey("workers.sid", ondelete="CASCADE"))
    task_channel_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("task_channels.sid", ondelete="CASCADE")
    )
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    last_reserved_at: Mapped[int] = mapped_column(BigInteger, default=0)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # the routing pass reads a workspace's waiting tasks, best first
        Index("ix_tasks_routing", "workspace_sid", "assignment_status", "priority"),
        Index("ix_tasks_step_deadline", "step_deadline"),
        Index("ix_tasks_timeout_at", "timeout_at"),
    )

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE")
    )
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    assignment_status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(BigInteger, default=0)
    # the priority given at creation; a target without `priority` falls back to it
    base_priority: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    timeout: Mapped[int] = mapped_column(Integer, default=86400)
    workflow_sid: Mapped[str | None] = mapped_column(SID)
    task_queue_sid: Mapped[str | None] = mapped_column(SID, index=True)
    task_channel_sid: Mapped[str] = mapped_column(SID)
    routing_target: Mapped[str | None] = mapped_column(SID)
    ignore_capacity: Mapped[bool] = mapped_column(Boolean, default=False)
    virtual_start_time: Mapped[int] = mapped_column(BigInteger)
    task_queue_entered_date: Mapped[int | None] = mapped_column(BigInteger)
    # position in the workflow: filter index (-1 = default filter) and target index
    filter_index: Mapped[int | None] = mapped_column(Integer)
    target_index: Mapped[int | None] = mapped_column(Integer)
    step_entered_at: Mapped[int | None] = mapped_column(BigInteger)
    # when the current target's timeout passes (NULL: the target has no timeout)
    step_deadline: Mapped[int | None] = mapped_column(BigInteger)
    # whether `skip_if` was already looked at for this step (it is checked once, on entry)
    skip_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    # TTL: a task still pending or reserved at this instant is canceled
    timeout_at: Mapped[int | None] = mapped_column(BigInteger)
    assignment_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        Index("ix_reservations_task", "task_sid", "status"),
        Index("ix_reservations_worker", "worker_sid", "status"),
        Index("ix_reservations_timeout_at", "status", "timeout_at"),
    )

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    workspace_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), index=True
    )
    task_sid: Mapped[str] = mapped_column(SID, ForeignKey("tasks.sid", ondelete="CASCADE"))
    worker_sid: Mapped[str] = mapped_column(SID, ForeignKey("workers.sid", ondelete="CASCADE"))
    task_queue_sid: Mapped[str | None] = mapped_column(SID)
    workflow_sid: Mapped[str | None] = mapped_column(SID)
    task_channel_sid: Mapped[str] = mapped_column(SID)
    status: Mapped[str] = mapped_column(String(16))
    timeout_at: Mapped[int | None] = mapped_column(BigInteger)
    worker_previous_activity_sid: Mapped[str | None] = mapped_column(SID)
    version: Mapped[int] = mapped_column(Integer, default=0)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace_seq", "workspace_sid", "seq"),
        # cumulative statistics count events of a type within a time window
        Index("ix_events_workspace_type_date", "workspace_sid", "event_type", "event_date"),
    )

    # monotonically increasing: the order in which events happened, also within one millisecond
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    sid: Mapped[str] = mapped_column(SID, unique=True)
    account_sid: Mapped[str] = mapped_column(SID)
    workspace_sid: Mapped[str] = mapped_column(SID)
    event_type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_sid: Mapped[str] = mapped_column(SID)
    actor_type: Mapped[str | None] = mapped_column(String(32))
    actor_sid: Mapped[str | None] = mapped_column(SID)
    description: Mapped[str] = mapped_column(Text)
    event_data: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="switchboard")
    source_ip_address: Mapped[str | None] = mapped_column(String(64))
    event_date: Mapped[int] = mapped_column(BigInteger, index=True)
    # denormalised filters for the /Events list
    task_sid: Mapped[str | None] = mapped_column(SID, index=True)
    worker_sid: Mapped[str | None] = mapped_column(SID, index=True)
    reservation_sid: Mapped[str | None] = mapped_column(SID)
    task_queue_sid: Mapped[str | None] = mapped_column(SID)
    workflow_sid: Mapped[str | None] = mapped_column(SID)
    task_channel: Mapped[str | None] = mapped_column(String(64))


class CallbackDelivery(Base):
    """One outbound callback (event or assignment) and the outcome of each attempt.

    Written before the first attempt, so a restart resumes whatever was not sent.
    """

    __tablename__ = "callback_deliveries"
    __table_args__ = (
        # the sender claims due deliveries in this order
        Index("ix_callback_deliveries_due", "status", "next_attempt_at"),
        Index("ix_callback_deliveries_listing", "workspace_sid", "date_created"),
    )

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    account_sid: Mapped[str] = mapped_column(SID)
    # no foreign key: `workspace.deleted` is delivered after its workspace is gone
    workspace_sid: Mapped[str] = mapped_column(SID)
    kind: Mapped[str] = mapped_column(String(16))  # event | assignment
    event_sid: Mapped[str] = mapped_column(SID)
    event_type: Mapped[str] = mapped_column(String(64))
    reservation_sid: Mapped[str | None] = mapped_column(SID)
    url: Mapped[str] = mapped_column(Text)
    fallback_url: Mapped[str | None] = mapped_column(Text)
    # JSON object of the form parameters, frozen when the event happened
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    # a sender's claim: another process leaves the row alone until this instant
    locked_until: Mapped[int | None] = mapped_column(BigInteger)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # JSON list: one {at, url, status, error} per attempt
    attempt_log: Mapped[str] = mapped_column(Text, default="[]")
    # what an assignment callback answered (its instruction), and how applying it went
    instruction: Mapped[str | None] = mapped_column(Text)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class CallbackCursor(Base):
    """How far a workspace's events were turned into deliveries (the outbox read position)."""

    __tablename__ = "callback_cursors"

    workspace_sid: Mapped[str] = mapped_column(SID, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class TaskDocument(Base):
    """The routing document fetched from a workflow's DocumentUrl when the task entered it.

    Later steps of the task (expanding targets) follow the same document.
    """

    __tablename__ = "task_documents"

    task_sid: Mapped[str] = mapped_column(
        SID, ForeignKey("tasks.sid", ondelete="CASCADE"), primary_key=True
    )
    workflow_sid: Mapped[str] = mapped_column(SID)
    configuration: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[int] = mapped_column(BigInteger)


# --- tenancy (issue 4): usage, fraud rules, account-level events ---------------------------


class UsageCounter(Base):
    """Calls per account, category and UTC hour (hours let fraud rules look back 24 h)."""

    __tablename__ = "usage_counters"
    __table_args__ = (Index("ix_usage_counters_hour", "hour"),)

    account_sid: Mapped[str] = mapped_column(SID, ForeignKey("accounts.sid"), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    # start of the hour, epoch milliseconds
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    # what these calls cost, in millionths of the currency unit
    price_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class FraudRule(Base):
    """A scoring rule; `owner_sid` NULL is an operator rule for everyone, else a parent's
    rule for its own sub-accounts."""

    __tablename__ = "fraud_rules"

    sid: Mapped[str] = mapped_column(SID, primary_key=True)
    owner_sid: Mapped[str | None] = mapped_column(SID, ForeignKey("accounts.sid"), index=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    # usage | shared_billing
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64), default="*")
    comparison: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[int] = mapped_column(BigInteger)
    # 24h | 7d | 30d | all
    window: Mapped[str] = mapped_column(String(8), default="all")
    younger_than_days: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    date_created: Mapped[int] = mapped_column(BigInteger)
    date_updated: Mapped[int] = mapped_column(BigInteger)


class AccountEvent(Base):
    """Something that happened to an account (e.g. a sub-account tripped a fraud rule),
    stored for `account_sid`, the account that is told."""

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_account_seq", "account_sid", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    sid: Mapped[str] = mapped_column(SID, unique=True)
    account_sid: Mapped[str] = mapped_column(SID, ForeignKey("accounts.sid"))
    # the account the event is about (the sub-account, or the account itself)
    subject_sid: Mapped[str] = mapped_column(SID)
    event_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    event_data: Mapped[str] = mapped_column(Text)
    event_date: Mapped[int] = mapped_column(BigInteger)
