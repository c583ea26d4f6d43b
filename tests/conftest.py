"""Shared fixtures: a migrated SQLite file, the services with a router, and HTTP clients."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from switchboard.api.app import create_app
from switchboard.services.accounts import create_account
from switchboard.services.context import Services
from switchboard.services.router import Router
from switchboard.store.database import Store
from switchboard.store.migrate import upgrade
from tests.api.helpers import BASE_URL, ClientFactory


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _migrate(path: Path) -> None:
    store = Store(_sqlite_url(path))
    await upgrade(store)
    await store.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrations run once; every test starts from a copy of the migrated file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(path))
    return path


@pytest.fixture
async def store(tmp_path: Path, migrated_template: Path) -> AsyncIterator[Store]:
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, path)
    store = Store(_sqlite_url(path))
    yield store
    await store.dispose()


@pytest.fixture
async def router(store: Store) -> AsyncIterator[Router]:
    services = Services(store=store)
    router = Router(services)
    services.poke = router.poke
    yield router
    await router.stop()


@pytest.fixture
def services(router: Router) -> Services:
    return router.svc


@pytest.fixture
def app(services: Services) -> FastAPI:
    return create_app(services)


@pytest.fixture
async def credentials(store: Store) -> tuple[str, str]:
    account, token = await create_account(store, "Test account")
    return account.sid, token


@pytest.fixture
async def make_client(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Clients for any credentials (or none); all closed at teardown."""
    clients: list[httpx.AsyncClient] = []

    def make(auth: tuple[str, str] | None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, auth=auth
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: ClientFactory, credentials: tuple[str, str]) -> httpx.AsyncClient:
    return make_client(credentials)


@pytest.fixture
async def other_client(make_client: ClientFactory, store: Store) -> httpx.AsyncClient:
    """A second tenant."""
    account, token = await create_account(store, "Other account")
    return make_client((account.sid, token))
