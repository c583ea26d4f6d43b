"""Rows to Twilio's JSON: every field of the spec's schemas, snake_case, absolute URLs.

Serializers are pure: names of related rows (activity, queue, ...) come in as
dicts loaded for a whole page by :mod:`switchboard.distribution.api.lookups`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from switchboard.distribution.api.lookups import TaskNames
from switchboard.distribution.domain.records import (
    Activity,
    Event,
    Reservation,
    Task,
    TaskChannel,
    TaskQueue,
    Worker,
    WorkerChannel,
    Workflow,
    Workspace,
)
from switchboard.kernel.clock import iso

JSON = dict[str, Any]
_STATISTICS = ("statistics", "real_time_statistics", "cumulative_statistics")
_STATISTICS_PATHS = ("Statistics", "RealTimeStatistics", "CumulativeStatistics")
# sid prefix -> collection, for event actor/resource URLs
_COLLECTIONS = {
    "WK": "Workers",
    "WT": "Tasks",
    "WA": "Activities",
    "WQ": "TaskQueues",
    "WW": "Workflows",
    "TC": "TaskChannels",
}


class Urls:
    """Absolute URLs under one workspace (`base` is e.g. `http://host/v1`)."""

    def __init__(self, base: str, workspace_sid: str) -> None:
        self.workspace = f"{base}/Workspaces/{workspace_sid}"

    def of(self, *parts: str | None) -> str | None:
        """`<workspace>/<part>/<part>`; None when any part is unknown (a null link)."""
        if any(part is None for part in parts):
            return None
        return "/".join([self.workspace, *(part for part in parts if part is not None)])

    def at(self, *parts: str) -> str:
        return "/".join([self.workspace, *parts])

    def statistics(self, *prefix: str) -> dict[str, str]:
        return {
            key: self.at(*prefix, path)
            for key, path in zip(_STATISTICS, _STATISTICS_PATHS, strict=True)
        }


def _dates(row: Any) -> JSON:
    return {"date_created": iso(row.date_created), "date_updated": iso(row.date_updated)}


def workspace(row: Workspace, base: str, activities: Mapping[str, str]) -> JSON:
    urls = Urls(base, row.sid)
    collections = (
        "activities",
        "task_queues",
        "tasks",
        "workers",
        "workflows",
        "task_channels",
        "events",
    )
    paths = ("Activities", "TaskQueues", "Tasks", "Workers", "Workflows", "TaskChannels", "Events")
    links = {key: urls.at(path) for key, path in zip(collections, paths, strict=True)}
    return {
        "account_sid": row.account_sid,
        **_dates(row),
        "default_activity_name": activities.get(row.default_activity_sid or ""),
        "default_activity_sid": row.default_activity_sid,
        "event_callback_url": row.event_callback_url,
        "events_filter": row.events_filter,
        "friendly_name": row.friendly_name,
        "multi_task_enabled": row.multi_task_enabled,
        "sid": row.sid,
        "timeout_activity_name": activities.get(row.timeout_activity_sid or ""),
        "timeout_activity_sid": row.timeout_activity_sid,
        "prioritize_queue_order": row.prioritize_queue_order,
        "url": urls.workspace,
        "links": {**links, **urls.statistics()},
    }


def activity(row: Activity, ws: Workspace, base: str) -> JSON:
    urls = Urls(base, ws.sid)
    return {
        "account_sid": ws.account_sid,
        "available": row.available,
        **_dates(row),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": ws.sid,
        "url": urls.at("Activities", row.sid),
        "links": {"workspace": urls.workspace},
    }


def task_channel(row: TaskChannel, ws: Workspace, base: str) -> JSON:
    urls = Urls(base, ws.sid)
    return {
        "account_sid": ws.account_sid,
        **_dates(row),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "unique_name": row.unique_name,
        "workspace_sid": ws.sid,
        "channel_optimized_routing": bool(row.channel_optimized_routing),
        "url": urls.at("TaskChannels", row.sid),
        "links": {"workspace": urls.workspace},
    }


def task_queue(row: TaskQueue, ws: Workspace, base: str, activities: Mapping[str, str]) -> JSON:
    urls = Urls(base, ws.sid)
    links = {
        "assignment_activity": urls.of("Activities", row.assignment_activity_sid),
        "reservation_activity": urls.of("Activities", row.reservation_activity_sid),
        "workspace": urls.workspace,
        **urls.statistics("TaskQueues", row.sid),
        "list_statistics": urls.at("TaskQueues", "Statistics"),
        "bulk_real_time_statistics": urls.at("TaskQueues", "RealTimeStatistics"),
    }
    return {
        "account_sid": ws.account_sid,
        "assignment_activity_sid": row.assignment_activity_sid,
        "assignment_activity_name": activities.get(row.assignment_activity_sid or ""),
        **_dates(row),
        "friendly_name": row.friendly_name,
        "max_reserved_workers": row.max_reserved_workers,
        "reservation_activity_sid": row.reservation_activity_sid,
        "reservation_activity_name": activities.get(row.reservation_activity_sid or ""),
        "sid": row.sid,
        "target_workers": row.target_workers,
        "task_order": row.task_order,
        "url": urls.at("TaskQueues", row.sid),
        "workspace_sid": ws.sid,
        "links": links,
    }


def workflow(row: Workflow, ws: Workspace, base: str) -> JSON:
    urls = Urls(base, ws.sid)
    body = {
        "account_sid": ws.account_sid,
        "assignment_callback_url": row.assignment_callback_url,
        "configuration": row.configuration,
        **_dates(row),
        "document_content_type": "application/json",
        "fallback_assignment_callback_url": row.fallback_assignment_callback_url,
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "task_reservation_timeout": row.task_reservation_timeout,
        "workspace_sid": ws.sid,
        "url": urls.at("Workflows", row.sid),
        "links": urls.statistics("Workflows", row.sid),
    }
    if row.document_url or row.use_stored_document:  # extension: remote routing documents
        body.update(document_url=row.document_url, use_stored_document=row.use_stored_document)
    return body


def worker(
    row: Worker,
    ws: Workspace,
    base: str,
    activities: Mapping[str, str],
    *,
    listing: bool = False,
) -> JSON:
    """`attributes` is null in list responses, as in Twilio."""
    urls = Urls(base, ws.sid)
    channels = urls.at("Workers", row.sid, "Channels")
    links = {
        "channels": channels,
        "activity": urls.at("Activities", row.activity_sid),
        "workspace": urls.workspace,
        **urls.statistics("Workers"),
        "worker_statistics": urls.at("Workers", row.sid, "Statistics"),
        "worker_channels": channels,
        "reservations": urls.at("Workers", row.sid, "Reservations"),
    }
    return {
        "account_sid": ws.account_sid,
        "activity_name": activities.get(row.activity_sid),
        "activity_sid": row.activity_sid,
        "attributes": None if listing else row.attributes,
        "available": row.available,
        **_dates(row),
        "date_status_changed": iso(row.date_status_changed),
        "friendly_name": row.friendly_name,
        "sid": row.sid,
        "workspace_sid": ws.sid,
        "url": urls.at("Workers", row.sid),
        "links": links,
    }


def worker_channel(
    row: WorkerChannel,
    ws: Workspace,
    base: str,
    unique_names: Mapping[str, str],
    assigned: Mapping[str, int],
) -> JSON:
    taken = assigned.get(row.task_channel_sid, 0)
    free = 0 if row.capacity <= 0 else max(0, 100 * (row.capacity - taken) // row.capacity)
    return {
        "account_sid": ws.account_sid,
        "assigned_tasks": taken,
        "available": row.available,
        "available_capacity_percentage": free,
        "configured_capacity": row.capacity,
        **_dates(row),
        "sid": row.sid,
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": unique_names.get(row.task_channel_sid),
        "worker_sid": row.worker_sid,
        "workspace_sid": ws.sid,
        "url": Urls(base, ws.sid).at("Workers", row.worker_sid, "Channels", row.sid),
    }


def task(
    row: Task, ws: Workspace, base: str, names: TaskNames, now: int, *, listing: bool = False
) -> JSON:
    """`attributes` is null in list responses, as in Twilio; `age` is in seconds."""
    urls = Urls(base, ws.sid)
    links = {
        "task_queue": urls.of("TaskQueues", row.task_queue_sid),
        "workflow": urls.of("Workflows", row.workflow_sid),
        "workspace": urls.workspace,
        "reservations": urls.at("Tasks", row.sid, "Reservations"),
    }
    return {
        "account_sid": ws.account_sid,
        "age": max(0, (now - row.date_created) // 1000),
        "assignment_status": row.assignment_status,
        "attributes": None if listing else row.attributes,
        "addons": "{}",
        **_dates(row),
        "task_queue_entered_date": iso(row.task_queue_entered_date),
        "priority": row.priority,
        "reason": row.reason,
        "sid": row.sid,
        "task_queue_sid": row.task_queue_sid,
        "task_queue_friendly_name": names.queues.get(row.task_queue_sid or ""),
        "task_channel_sid": row.task_channel_sid,
        "task_channel_unique_name": names.channels.get(row.task_channel_sid),
        "timeout": row.timeout,
        "workflow_sid": row.workflow_sid,
        "workflow_friendly_name": names.workflows.get(row.workflow_sid or ""),
        "workspace_sid": ws.sid,
        "url": urls.at("Tasks", row.sid),
        "links": links,
        "virtual_start_time": iso(row.virtual_start_time),
        "ignore_capacity": row.ignore_capacity,
        "routing_target": row.routing_target,
    }


def reservation(
    row: Reservation, ws: Workspace, base: str, workers: Mapping[str, str], *, via_worker: bool
) -> JSON:
    """The same reservation under `/Tasks/{wt}/Reservations` or `/Workers/{wk}/Reservations`."""
    urls = Urls(base, ws.sid)
    parent = ("Workers", row.worker_sid) if via_worker else ("Tasks", row.task_sid)
    return {
        "account_sid": ws.account_sid,
        **_dates(row),
        "reservation_status": row.status,
        "sid": row.sid,
        "task_sid": row.task_sid,
        "worker_name": workers.get(row.worker_sid),
        "worker_sid": row.worker_sid,
        "workspace_sid": ws.sid,
        "url": urls.at(*parent, "Reservations", row.sid),
        "links": {
            "task": urls.at("Tasks", row.task_sid),
            "worker": urls.at("Workers", row.worker_sid),
            "workspace": urls.workspace,
        },
    }


def event(row: Event, ws: Workspace, base: str) -> JSON:
    urls = Urls(base, ws.sid)
    return {
        "account_sid": row.account_sid,
        "actor_sid": row.actor_sid,
        "actor_type": row.actor_type,
        "actor_url": _resource_url(urls, row.actor_sid, row.task_sid),
        "description": row.description,
        "event_data": json.loads(row.event_data),
        "event_date": iso(row.event_date),
        "event_date_ms": row.event_date,
        "event_type": row.event_type,
        "resource_sid": row.resource_sid,
        "resource_type": row.resource_type,
        "resource_url": _resource_url(urls, row.resource_sid, row.task_sid),
        "sid": row.sid,
        "source": row.source,
        "source_ip_address": row.source_ip_address,
        "url": urls.at("Events", row.sid),
        "workspace_sid": ws.sid,
    }


def _resource_url(urls: Urls, sid: str | None, task_sid: str | None) -> str | None:
    """The URL of whatever an event's sid names, by its prefix; None when unknown."""
    if sid is None:
        return None
    prefix = sid[:2]
    if prefix == "WS":
        return urls.workspace
    if prefix == "WR":
        return urls.of("Tasks", task_sid, "Reservations", sid)
    collection = _COLLECTIONS.get(prefix)
    return urls.at(collection, sid) if collection else None
