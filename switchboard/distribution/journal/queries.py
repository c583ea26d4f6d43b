"""The /Events list: a time window (15 minutes by default) and sid filters, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.distribution.domain.records import event_seq_of
from switchboard.kernel.criteria import Criterion, eq, ge, isin, le

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


def events_criteria(workspace_sid: str, filters: EventFilters, now: int) -> list[Criterion]:
    """What the list selects; events are listed by `seq` (the order they happened in)."""
    start, end = event_window(filters, now)
    where: list[Criterion] = [eq("workspace_sid", workspace_sid), ge("event_date", start)]
    if end is not None:
        where.append(le("event_date", end))
    if filters.event_types:
        where.append(isin("event_type", filters.event_types))
    if filters.task_channels:
        where.append(isin("task_channel", filters.task_channels))
    equal = (
        ("reservation_sid", filters.reservation_sid),
        ("task_queue_sid", filters.task_queue_sid),
        ("task_sid", filters.task_sid),
        ("worker_sid", filters.worker_sid),
        ("workflow_sid", filters.workflow_sid),
    )
    where += [eq(field, value) for field, value in equal if value is not None]
    if filters.sid is not None:
        where.append(event_sid_is(filters.sid))
    return where


def event_sid_is(sid: str) -> Criterion:
    """The event of a sid: by its number when the sid is derived from it, else (an event
    written before migration 0020) by the sid it keeps."""
    seq = event_seq_of(sid)
    return eq("seq", seq) if seq is not None else eq("legacy_sid", sid)
