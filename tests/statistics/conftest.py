"""Statistics run on every store: SQL aggregates on SQLite and PostgreSQL (their SQL differs:
JSON fields, integer maths), the Python twins on the memory store."""

from __future__ import annotations

import httpx
import pytest

from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.kernel.ports import Store
from tests.statistics.helpers import Scene, new_scene


@pytest.fixture
async def scene(client: httpx.AsyncClient, dispatcher: Dispatcher, store: Store) -> Scene:
    return await new_scene(client, dispatcher, store)
