"""A live server on a fake clock (reservation timeouts wait for the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from switchboard.kernel.clock import FakeClock
from tests.callbacks.support import Live, live_server


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    async with live_server(database_url, FakeClock(tick_ms=1)) as live:
        yield live
