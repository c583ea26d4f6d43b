"""The /Events list: a time window (15 minutes by default) and sid filters, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from switchboard.store import tables as t

DEFAULT_MINUTES = 15


@dataclass(frozen=True)
class EventFilters:
    event_types: tuple[str, ...] = ()
    minutes: int | None = None
    start_date: int | None = None  # epoch ms
    end_date: int | None = None
    reservation_sid: str | None = None
    task_queue_sid: str | None = None
    task_sid: str | None = None
    worker_sid: str | None = None
    workflow_sid: str | None = None
    # a channel's sid and unique name: events may carry either
    task_channels: tuple[str, ...] = ()
    sid: str | None = None


def event_window(filters: EventFilters, now: int) -> tuple[int, int | None]:
    """`StartDate` wins over `Minutes`; `Minutes` counts back from `EndDate` (or now)."""
    if filters.start_date is not None:
        return filters.start_date, filters.end_date
    minutes = DEFAULT_MINUTES if filters.minutes is None else filters.minutes
    end = now if filters.end_date is None else filters.end_date
    return end - minutes * 60_000, filters.end_date


def events_query(workspace_sid: str, filters: EventFilters, now: int) -> Select[t.Event]:
    start, end = event_window(filters, now)
    query = select(t.Event).where(
        t.Event.workspace_sid == workspace_sid, t.Event.event_date >= start
    )
    if end is not None:
        query = query.where(t.Event.event_date <= end)
    if filters.event_types:
        query = query.where(t.Event.event_type.in_(filters.event_types))
    if filters.task_channels:
        query = query.where(t.Event.task_channel.in_(filters.task_channels))
    equal = (
        (t.Event.reservation_sid, filters.reservation_sid),
        (t.Event.task_queue_sid, filters.task_queue_sid),
        (t.Event.task_sid, filters.task_sid),
        (t.Event.worker_sid, filters.worker_sid),
        (t.Event.workflow_sid, filters.workflow_sid),
        (t.Event.sid, filters.sid),
    )
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    return query.order_by(t.Event.seq)
