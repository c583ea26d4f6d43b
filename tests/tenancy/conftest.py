"""Tenancy tests: the whole app (middlewares, routes, services) in-process, on SQLite and
PostgreSQL (the fair scheduler, usage counters and fraud rules read the store)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from switchboard.tenancy.domain.records import Account


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
async def runtime(database_url: str, env: pytest.MonkeyPatch) -> AsyncIterator[Runtime]:
    built = build_runtime(Settings(database_url=database_url))
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
        account, token = await runtime.core.accounts.create(name)
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
    async with runtime.services.store.transaction() as unit:
        row = await unit.get(Account, sid)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


async def get_account(runtime: Runtime, sid: str) -> Account:
    async with runtime.services.store.read() as unit:
        row = await unit.get(Account, sid)
    assert row is not None
    return row
