"""Tenancy tests: the whole app (middlewares, routes, services) in-process on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.runtime import Runtime, build_runtime
from switchboard.services import accounts
from switchboard.store import tables as t


@dataclass(frozen=True)
class Tenant:
    sid: str
    token: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.sid, self.token)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Server settings for a test: no background fraud pass unless a test asks for one."""
    monkeypatch.setenv("SWITCHBOARD_FRAUD_INTERVAL", "0")
    return monkeypatch


@pytest.fixture
async def runtime(tmp_path: Path, env: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    built = build_runtime(f"sqlite+aiosqlite:///{tmp_path / 'tenancy.db'}")
    async with built.app.router.lifespan_context(built.app):
        yield built


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


NewTenant = Callable[[str], Awaitable[Tenant]]


@pytest.fixture
def new_tenant(runtime: Runtime) -> NewTenant:
    """A top-level account, as the operator creates it (`switchboard accounts create`)."""

    async def make(name: str = "tenant") -> Tenant:
        account, token = await accounts.create_account(runtime.services.store, name)
        return Tenant(account.sid, token)

    return make


async def make_subaccount(client: httpx.AsyncClient, parent: Tenant, name: str = "child") -> Tenant:
    response = await client.post(
        "/2010-04-01/Accounts.json", data={"FriendlyName": name}, auth=parent.auth
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Tenant(body["sid"], body["auth_token"])


async def set_account(runtime: Runtime, sid: str, **values: Any) -> None:
    """Operator-only fields (plan, preferences, dates) have no API: set them in the store."""
    async with runtime.services.store.transaction() as session:
        row = await session.get(t.Account, sid)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


async def get_account(runtime: Runtime, sid: str) -> t.Account:
    async with runtime.services.store.read() as session:
        row = await session.get(t.Account, sid)
    assert row is not None
    return row
