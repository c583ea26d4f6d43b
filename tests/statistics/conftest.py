"""Statistics run on SQLite and on PostgreSQL: their SQL differs (JSON fields, integer maths)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.services.router import Router
from switchboard.store.database import Store
from switchboard.store.migrate import upgrade
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    sqlite_url,
)
from tests.statistics.helpers import Scene, new_scene


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Overrides the SQLite-only store of `tests/conftest.py` for this directory."""
    if request.param == "sqlite":
        store = Store(sqlite_url(tmp_path))
        await upgrade(store)
        yield store
        await store.dispose()
        return
    await require_postgres()
    url = await create_postgres_database()
    store = Store(url)
    yield store
    await store.dispose()
    await drop_postgres_database(url)


@pytest.fixture
async def scene(client: httpx.AsyncClient, router: Router, store: Store) -> Scene:
    return await new_scene(client, router, store)
