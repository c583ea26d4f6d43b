"""Fixtures: a live Switchboard server and a callback receiver, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from switchboard.kernel.clock import FakeClock
from tests.callbacks.support import Live, Receiver, live_server, receiving


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    """Worker channels run on a fake clock: heartbeats and offers wait for the test."""
    async with live_server(database_url, FakeClock(tick_ms=1)) as live:
        yield live
