"""Fixtures: a live Switchboard server and a callback receiver, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.callbacks.support import Live, Receiver, live_server, receiving


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    async with live_server(database_url) as live:
        yield live
