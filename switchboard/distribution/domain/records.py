"""The work-distribution records, as TaskRouter defines its resources.

Plain dataclasses: services change their fields and the store writes the change
(tables in :mod:`switchboard.distribution.persistence.tables`). Instants are
integer milliseconds since the epoch (UTC); JSON documents (attributes,
configurations, event data) are the exact text the client sent, as Twilio
returns them verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(kw_only=True)
class Workspace:
    sid: str
    account_sid: str
    friendly_name: str
    event_callback_url: str | None = None
    events_filter: str | None = None
    multi_task_enabled: bool = True
    prioritize_queue_order: str = "FIFO"
    default_activity_sid: str | None = None
    timeout_activity_sid: str | None = None
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class Activity:
    sid: str
    workspace_sid: str
    friendly_name: str
    available: bool
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class TaskChannel:
    sid: str
    workspace_sid: str
    friendly_name: str
    unique_name: str
    channel_optimized_routing: bool | None = None
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class TaskQueue:
    sid: str
    workspace_sid: str
    friendly_name: str
    target_workers: str = "1==1"
    max_reserved_workers: int = 1
    task_order: str = "FIFO"
    reservation_activity_sid: str | None = None
    assignment_activity_sid: str | None = None
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class Workflow:
    sid: str
    workspace_sid: str
    friendly_name: str
    configuration: str
    assignment_callback_url: str | None = None
    fallback_assignment_callback_url: str | None = None
    task_reservation_timeout: int = 120
    date_created: int
    date_updated: int
    # remote routing document: fetched per task; `configuration` is the fallback copy
    document_url: str | None = None
    use_stored_document: bool = False


@dataclass(kw_only=True)
class Worker:
    sid: str
    workspace_sid: str
    friendly_name: str
    # lower-cased friendly name: Twilio makes worker names case-insensitively unique
    name_key: str
    attributes: str = "{}"
    activity_sid: str
    available: bool
    # when the worker last became available or finished a task: "longest idle" orders by it
    idle_since: int
    date_status_changed: int
    # no offers before this instant (wrap-up time, reject and no-answer delays)
    rest_until: int | None = None
    # reservations timed out in a row since the last accepted one (max no answer)
    missed_in_a_row: int = 0
    version: int = 0
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class WorkerChannel:
    sid: str
    workspace_sid: str
    worker_sid: str
    task_channel_sid: str
    capacity: int = 1
    available: bool = True
    last_reserved_at: int = 0
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class Task:
    sid: str
    workspace_sid: str
    attributes: str = "{}"
    assignment_status: str
    priority: int = 0
    # the priority given at creation; a target without `priority` falls back to it
    base_priority: int = 0
    reason: str | None = None
    timeout: int = 86_400
    workflow_sid: str | None = None
    task_queue_sid: str | None = None
    task_channel_sid: str
    routing_target: str | None = None
    ignore_capacity: bool = False
    virtual_start_time: int
    task_queue_entered_date: int | None = None
    # position in the workflow: filter index (-1 = default filter) and target index
    filter_index: int | None = None
    target_index: int | None = None
    step_entered_at: int | None = None
    # when the current target's timeout passes (None: the target has no timeout)
    step_deadline: int | None = None
    # whether `skip_if` was already looked at for this step (it is checked once, on entry)
    skip_checked: bool = False
    # TTL: a task still pending or reserved at this instant is canceled
    timeout_at: int | None = None
    # JSON list of the workers who handed the task back: never offered it again
    returned_by: str | None = None
    assignment_count: int = 0
    version: int = 0
    date_created: int
    date_updated: int


@dataclass(kw_only=True)
class Reservation:
    sid: str
    workspace_sid: str
    task_sid: str
    worker_sid: str
    task_queue_sid: str | None = None
    workflow_sid: str | None = None
    task_channel_sid: str
    status: str
    timeout_at: int | None = None
    worker_previous_activity_sid: str | None = None
    version: int = 0
    # when the worker accepted and completed it; talk (accepted -> wrap-up, or completion)
    # and handling (accepted -> completion) times, for the queue strategies
    accepted_at: int | None = None
    completed_at: int | None = None
    talk_ms: int | None = None
    handling_ms: int | None = None
    date_created: int
    date_updated: int


_SEQ_DIGITS = re.compile(r"[0-9a-f]{16}")
EVENT_SID_PREFIX = "EV" + "0" * 16  # the sid of an event numbered `seq`: this, then 16 hex


def event_sid_of(seq: int) -> str:
    """An event's sid, derived from its number: stored nowhere, so that an event row holds
    no sid and needs no index on one (issue 10, "events stay small")."""
    return f"{EVENT_SID_PREFIX}{seq:016x}"


def event_seq_of(sid: str) -> int | None:
    """The number of an event whose sid :func:`event_sid_of` gave (None for any other)."""
    digits = sid[len(EVENT_SID_PREFIX) :]
    if not sid.startswith(EVENT_SID_PREFIX) or not _SEQ_DIGITS.fullmatch(digits):
        return None
    return int(digits, 16)


@dataclass(kw_only=True)
class Event:
    # monotonically increasing: the order in which events happened, also within one ms;
    # set by the store when the event is written
    seq: int | None = None
    # the random sid of an event written before sids were derived from `seq` (migration
    # 0020); None for every newer one
    legacy_sid: str | None = None
    account_sid: str
    workspace_sid: str
    event_type: str
    resource_type: str
    resource_sid: str
    actor_type: str | None = None
    actor_sid: str | None = None
    description: str
    event_data: str
    source: str = "switchboard"
    source_ip_address: str | None = None
    event_date: int
    # denormalised filters for the /Events list
    task_sid: str | None = None
    worker_sid: str | None = None
    reservation_sid: str | None = None
    task_queue_sid: str | None = None
    workflow_sid: str | None = None
    task_channel: str | None = None

    @property
    def sid(self) -> str:
        """The event's sid: its legacy one, else derived from its number."""
        if self.legacy_sid is not None:
            return self.legacy_sid
        if self.seq is None:
            raise ValueError("an event has no sid before the store numbers it")
        return event_sid_of(self.seq)


@dataclass(kw_only=True)
class TaskDocument:
    """The routing document fetched from a workflow's DocumentUrl when the task entered it."""

    task_sid: str
    workflow_sid: str
    configuration: str
    source_url: str
    fetched_at: int


@dataclass(kw_only=True)
class CallbackCursor:
    """How far a workspace's events were turned into deliveries (the outbox read position)."""

    workspace_sid: str
    last_seq: int
