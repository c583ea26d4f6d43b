"""Time in the core is integer milliseconds since the epoch, always UTC, from a Clock.

Everything that waits for a deadline (reservation and target timeouts, task TTLs,
retries, fraud windows) asks an injected clock, never the wall clock directly:
:class:`SystemClock` in production, :class:`FakeClock` in tests, which moves
only when a test calls :meth:`FakeClock.advance` (so no test sleeps for a timer).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def wall_ms() -> int:
    """The real wall clock, for the few places that must not be faked (token expiry)."""
    return time.time_ns() // 1_000_000


def to_datetime(ms: int) -> datetime:
    """Aware UTC datetime for an instant."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def from_datetime(value: datetime) -> int:
    """Instant of an aware datetime (naive ones are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    """Twilio's wire format: `YYYY-MM-DDTHH:MM:SSZ`, no fraction (the SDK parses exactly that)."""
    if ms is None:
        return None
    return to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


class Timer:
    """A scheduled callback; `cancel()` before it fires and it never will."""

    def __init__(self, cancel: Callable[[], None]) -> None:
        self._cancel = cancel

    def cancel(self) -> None:
        self._cancel()


class SystemClock:
    """The real clock, timers on the running event loop."""

    def now_ms(self) -> int:
        return wall_ms()

    def monotonic(self) -> float:
        return time.monotonic()

    def call_at(self, when_ms: int, callback: Callable[[], None]) -> Timer:
        delay = max(0.0, (when_ms - self.now_ms()) / 1000)
        handle = asyncio.get_running_loop().call_later(delay, callback)
        return Timer(handle.cancel)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(order=True)
class _Scheduled:
    when: int
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class FakeClock:
    """A clock that moves only when told to: tests advance it instead of sleeping.

    Timers and sleepers fall due in deadline order as :meth:`advance` passes
    their instant; each runs with the clock set to its own instant.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000, *, tick_ms: int = 0) -> None:
        """`tick_ms` > 0 moves time on by that much at every reading, so records made one
        after another still get distinct, ordered timestamps; timers fire only on advance."""
        self._now = start_ms  # 2026-01-01T00:00:00Z by default
        self._tick = tick_ms
        self._queue: list[_Scheduled] = []
        self._order = itertools.count()

    def now_ms(self) -> int:
        self._now += self._tick
        return self._now

    def monotonic(self) -> float:
        return self._now / 1000

    def call_at(self, when_ms: int, callback: Callable[[], None]) -> Timer:
        entry = _Scheduled(max(when_ms, self._now), next(self._order), callback)
        heapq.heappush(self._queue, entry)
        return Timer(lambda: setattr(entry, "cancelled", True))

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_at(self._now + round(seconds * 1000), wake)
        try:
            await future
        finally:
            timer.cancel()

    def advance(self, seconds: float = 0.0, *, ms: int | None = None) -> None:
        """Move forward by `seconds` (or `ms`), firing every timer that falls due."""
        target = self._now + (ms if ms is not None else round(seconds * 1000))
        while self._queue and self._queue[0].when <= target:
            entry = heapq.heappop(self._queue)
            if entry.cancelled:
                continue
            self._now = max(self._now, entry.when)
            entry.callback()
        self._now = max(self._now, target)

    def pending(self) -> int:
        """Timers not yet fired nor cancelled."""
        return sum(1 for entry in self._queue if not entry.cancelled)


# the clock of code that is not handed one (record timestamps of CLI and admin calls)
SYSTEM = SystemClock()
