"""Shared fixtures: one store fixture over memory, SQLite and PostgreSQL, the services with a
fake clock and a dispatcher, and in-process HTTP clients."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI

from switchboard.database import SCHEMA, upgrade
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.work.context import Services
from switchboard.kernel.clock import FakeClock, wall_ms
from switchboard.kernel.ports import Store
from switchboard.runtime import Core, build_core, http_app
from switchboard.settings import Settings
from switchboard.store.memory import MemoryStore
from switchboard.store.sql import SqlStore
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.sealing import Sealer
from switchboard.testing import processes
from tests.api.helpers import BASE_URL, ClientFactory
from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    migrated_store,
    require_postgres,
)
from tests.verify import StreamCheck

_SESSION_TAG = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
# one key for the whole session, its subprocesses included (never ./var/secret.key)
SECRET_KEY = os.environ.get("SWITCHBOARD_SECRET_KEY") or Fernet.generate_key().decode()
STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    """Tag every process the session starts, so survivors can be found at the end."""
    os.environ[processes.MARKER] = _SESSION_TAG
    os.environ["SWITCHBOARD_SECRET_KEY"] = SECRET_KEY
    # note attachments of every server and app the session starts go to a scratch directory
    os.environ["SWITCHBOARD_CONVERSATION_MEDIA_DIR"] = tempfile.mkdtemp(prefix="switchboard-media-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No child may outlive the suite: report and kill survivors, and fail the run."""
    found = processes.kill_survivors(_SESSION_TAG)
    if not found:
        return
    lines = "\n".join(f"  pid {pid}: {command[:200]}" for pid, command in found)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = f"{len(found)} process(es) started by the tests were still running:\n{lines}"
    if reporter is not None:
        reporter.write_line(message, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrations run once; every SQLite test starts from a copy of the migrated file."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        store = SqlStore(_sqlite_url(path), SCHEMA)
        await upgrade(store)
        await store.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(params=STORES)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path
) -> AsyncIterator[Store]:
    """The same tests on the memory, SQLite and PostgreSQL adapters of the store port."""
    if request.param == "memory":
        yield MemoryStore(SCHEMA)
        return
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(migrated_template, path)
        sqlite = SqlStore(_sqlite_url(path), SCHEMA)
        yield sqlite
        await sqlite.dispose()
        return
    async with migrated_store("postgres", tmp_path) as postgres:
        yield postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database for a whole server (tenancy, callbacks, worker channels) to
    migrate at startup: the same tests on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path / "server.db")
        return
    await require_postgres()
    url = await create_postgres_database(migrated=False)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
def clock() -> FakeClock:
    """Time moves only when a test advances it (by a millisecond per reading otherwise)."""
    return FakeClock(wall_ms(), tick_ms=1)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(SECRET_KEY)


@pytest.fixture
async def core(store: Store, clock: FakeClock, sealer: Sealer) -> AsyncIterator[Core]:
    built = build_core(Settings(database_url="memory://"), store=store, clock=clock, sealer=sealer)
    yield built
    await built.outbound.close()


@pytest.fixture
def accounts(core: Core) -> Accounts:
    return core.accounts


@pytest.fixture
async def dispatcher(core: Core, request: pytest.FixtureRequest) -> AsyncIterator[Dispatcher]:
    """The dispatcher, and after the test a check that the events told every change
    (a test that writes records behind the services' back opts out with `raw_store`)."""
    dispatcher = Dispatcher(core.services)
    stream = StreamCheck(core.services)
    yield dispatcher
    await dispatcher.wait_idle()
    await dispatcher.stop()
    if request.node.get_closest_marker("raw_store") is None:
        await stream.verify()


@pytest.fixture
def services(dispatcher: Dispatcher) -> Services:
    return dispatcher.svc


@pytest.fixture
def app(core: Core, dispatcher: Dispatcher) -> FastAPI:
    built, _registry = http_app(core)
    return built


@pytest.fixture
async def credentials(accounts: Accounts) -> tuple[str, str]:
    account, token = await accounts.create("Test account")
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
async def other_client(make_client: ClientFactory, accounts: Accounts) -> httpx.AsyncClient:
    """A second tenant."""
    account, token = await accounts.create("Other account")
    return make_client((account.sid, token))
