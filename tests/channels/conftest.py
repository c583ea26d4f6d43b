"""The app with the SMS channel on, over the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from switchboard.kernel.clock import FakeClock
from switchboard.kernel.ports import Store
from switchboard.runtime import Core, build_core, http_app
from switchboard.settings import Settings
from switchboard.tenancy.sealing import Sealer
from tests.api.helpers import BASE_URL
from tests.channels.support import PROVIDER_SID, PROVIDER_TOKEN


def sms_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": "memory://",
        "channel_sms": True,
        "channel_voice": True,
        "twilio_account_sid": PROVIDER_SID,
        "twilio_auth_token": PROVIDER_TOKEN,
        "public_url": BASE_URL,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def core(store: Store, clock: FakeClock, sealer: Sealer) -> AsyncIterator[Core]:
    built = build_core(sms_settings(), store=store, clock=clock, sealer=sealer)
    yield built
    await built.outbound.close()


@pytest.fixture
def app(core: Core) -> FastAPI:
    built, _registry = http_app(core)
    return built


@pytest.fixture
async def webhook(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials: the carrier's side."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c
