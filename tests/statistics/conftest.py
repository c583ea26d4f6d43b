"""Statistics run on SQLite and on PostgreSQL: their SQL differs (JSON fields, integer maths)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.services.router import Router
from switchboard.store.database import Store
from tests.databases import migrated_store
from tests.statistics.helpers import Scene, new_scene


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Overrides the SQLite-only store of `tests/conftest.py` for this directory."""
    async with migrated_store(request.param, tmp_path) as store:
        yield store


@pytest.fixture
async def scene(client: httpx.AsyncClient, router: Router, store: Store) -> Scene:
    return await new_scene(client, router, store)
