"""`switchboard serve --demo`: the demo tenant keeps its credentials across restarts, so
SDK scripts, minted worker tokens and callback signatures keep working (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.demo import ensure_demo
from switchboard.distribution.work.context import Services
from switchboard.tenancy.accounts import Accounts
from tests.live import LiveServer


async def test_a_restart_prints_the_same_working_credentials(
    services: Services, accounts: Accounts
) -> None:
    first = await ensure_demo(services, accounts)
    again = await ensure_demo(services, accounts)  # what the next `./run serve` does

    assert again == first
    assert await accounts.authenticate(first.account_sid, first.auth_token)


@pytest.mark.slow
def test_the_demo_banner_says_loopback_callbacks_are_refused_and_how_to_allow_them(
    tmp_path: Path,
) -> None:
    log = tmp_path / "server.log"
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", log, extra_args=("--demo",))
    server.start()
    server.stop()
    banner = log.read_text()
    assert "Switchboard demo is ready" in banner
    assert "SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS=true" in banner
