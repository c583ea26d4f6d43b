"""An attribution service bundle over the shared store fixture (memory, SQLite,
PostgreSQL) with the fake clock, and an account to own its pools."""

from __future__ import annotations

import pytest

from switchboard.attribution.services.context import Attribution
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store


@pytest.fixture
def attribution(store: Store, clock: FakeClock) -> Attribution:
    return Attribution(store=store, clock=clock)


@pytest.fixture
def account_sid(credentials: tuple[str, str]) -> str:
    return credentials[0]
