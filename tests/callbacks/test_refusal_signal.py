"""A callback the SSRF guard refuses (a loopback URL on a default server) is not silent:
a WARNING and the delivery record name the setting that allows it (issue 11)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from switchboard.outbound.records import CallbackDelivery
from tests.callbacks.support import Live, Receiver, eventually, fast_settings, live_server


@pytest.fixture
async def guarded(database_url: str) -> AsyncIterator[Live]:
    """A server with the default policy: no private address allowed, loopback included."""
    settings = fast_settings()
    settings.allowed_networks = ()
    async with live_server(database_url, outbound=settings) as live:
        yield live


async def _failed(live: Live) -> list[CallbackDelivery]:
    return await live.rows(CallbackDelivery, kind="event", status="failed")


async def test_a_refused_loopback_callback_names_the_setting(
    guarded: Live, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.outbound")
    await guarded.workspace(event_url=receiver.url("events"))

    failed = await eventually(lambda: _failed(guarded))

    assert "SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS" in (failed[0].error or "")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS" in r.getMessage() for r in warnings)
    assert receiver.of("events") == []
