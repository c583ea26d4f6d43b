"""Event retention: events older than the retention period go, oldest first, in small
batches; younger ones stay (memory, SQLite and PostgreSQL alike)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from switchboard.distribution.domain.records import Event
from switchboard.distribution.journal.retention import DAY_MS, EventRetention, prune_events
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store
from switchboard.settings import Settings

NOW = 1_796_000_000_000
WORKSPACES = ("WS" + "1" * 32, "WS" + "2" * 32)


def _event(n: int, workspace_sid: str, event_date: int) -> Event:
    return Event(
        account_sid="AC" + "9" * 32,
        workspace_sid=workspace_sid,
        event_type="task.created",
        resource_type="task",
        resource_sid=f"WT{n:032x}",
        description=f"Task WT{n:032x} created",
        event_data="{}",
        event_date=event_date,
        task_sid=f"WT{n:032x}",
    )


async def _write(store: Store, dates: list[int]) -> None:
    """One event per date, in that order, alternating between two workspaces."""
    async with store.transaction() as unit:
        for n, date in enumerate(dates):
            unit.add(_event(n, WORKSPACES[n % 2], date))


async def _dates(store: Store) -> list[int]:
    async with store.read() as unit:
        return sorted(e.event_date for e in await unit.select(Event))


async def test_events_older_than_the_cut_off_go_in_every_workspace_and_younger_ones_stay(
    store: Store,
) -> None:
    old = [NOW - 40 * DAY_MS + n for n in range(10)]
    young = [NOW - 29 * DAY_MS, NOW - DAY_MS, NOW]
    await _write(store, old + young)
    assert await prune_events(store, NOW - 30 * DAY_MS, batch=3) == 10
    assert await _dates(store) == young
    assert await prune_events(store, NOW - 30 * DAY_MS, batch=3) == 0  # nothing left to do


async def test_a_table_with_nothing_expired_is_left_alone(store: Store) -> None:
    await _write(store, [NOW - DAY_MS, NOW])
    assert await prune_events(store, NOW - 30 * DAY_MS) == 0
    assert len(await _dates(store)) == 2
    assert await prune_events(store, NOW - 30 * DAY_MS) == 0  # and an empty one too
    await EventRetention(store, FakeClock(NOW), 30).prune()


async def test_the_retention_period_is_counted_back_from_the_clock(store: Store) -> None:
    await _write(store, [NOW - 8 * DAY_MS, NOW - 6 * DAY_MS])
    retention = EventRetention(store, FakeClock(NOW), 7)
    assert await retention.prune() == 1
    assert await _dates(store) == [NOW - 6 * DAY_MS]


async def test_the_background_pass_runs_after_start_up_and_then_on_its_interval(
    store: Store,
) -> None:
    clock = FakeClock(NOW)
    await _write(store, [NOW - 31 * DAY_MS])
    retention = EventRetention(store, clock, 30, first_run_seconds=60, interval_seconds=3600)
    await retention.start()
    try:
        # advance only once the retention sleeps (its timer is the clock's only one):
        # a loaded machine may take a while to get there
        await _until(lambda: clock.pending() == 1)
        assert retention.pruned == 0  # not before the first minute
        clock.advance(60)
        await _until(lambda: retention.pruned == 1 and clock.pending() == 1)
        await _write(store, [NOW])  # 31 days on, this one has expired too
        clock.advance(ms=31 * DAY_MS)
        await _until(lambda: retention.pruned == 2)
    finally:
        await retention.stop()


async def test_zero_days_keeps_every_event(store: Store) -> None:
    retention = EventRetention(store, FakeClock(NOW), 0, first_run_seconds=0)
    await retention.start()
    await retention.stop()
    assert retention._task is None


def test_retention_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().event_retention_days == 30  # as TaskRouter keeps them
    monkeypatch.setenv("SWITCHBOARD_EVENT_RETENTION_DAYS", "0")
    assert Settings().event_retention_days == 0
    monkeypatch.setenv("SWITCHBOARD_EVENT_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError):
        Settings()


async def _until(done: Callable[[], bool]) -> None:
    for _ in range(500):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the retention did not get there (a pass, or its next sleep)")


async def test_stopping_during_a_pass_ends_it_between_batches_not_inside_one(
    store: Store,
) -> None:
    """Cancelled inside a statement, a driver thread would answer a loop that has closed;
    stop() lets the batch in flight finish and ends the pass before the next one."""
    clock = FakeClock(NOW)
    await _write(store, [NOW - 40 * DAY_MS + n for n in range(1_200)])
    retention = EventRetention(store, clock, 30, first_run_seconds=0)
    await retention.start()
    clock.advance(0)
    for _ in range(3):
        await asyncio.sleep(0)  # the pass has begun its first batch
    await retention.stop()
    left = len(await _dates(store))
    assert retention.pruned == 1_200 - left
    assert left % 500 == 200  # whole batches of 500 only
    assert await prune_events(store, NOW - 30 * DAY_MS) == left  # the rest waits, intact
