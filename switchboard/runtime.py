"""The composition root: the one place where store, services, router and HTTP are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from switchboard.api.app import create_app
from switchboard.services.context import Services
from switchboard.services.events import event_dict
from switchboard.services.router import Router
from switchboard.store import tables as t
from switchboard.store.coordination import Coordinator, LocalCoordinator, PostgresCoordinator
from switchboard.store.database import Store
from switchboard.store.migrate import upgrade

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/switchboard.db"

StartupHook = Callable[[Services], Awaitable[None]]


@dataclass
class Runtime:
    """Everything one server process runs."""

    services: Services
    router: Router
    app: FastAPI


def _coordinator(store: Store, services: Services) -> Coordinator:
    """SQLite: one process owns everything. PostgreSQL: leases and LISTEN/NOTIFY."""
    if store.is_sqlite:
        return LocalCoordinator()

    async def load_event(sid: str) -> dict[str, Any] | None:
        async with store.read() as session:
            row = await session.get(t.Event, sid)
        return event_dict(row) if row is not None else None

    dsn = store.url.replace("postgresql+asyncpg://", "postgresql://", 1)
    coordinator = PostgresCoordinator(dsn, load_event)

    async def share(event: dict[str, Any]) -> None:
        if not event.get("remote"):
            await coordinator.announce_event(event)

    services.bus.subscribe(share)
    return coordinator


def build_runtime(database_url: str, *, on_startup: StartupHook | None = None) -> Runtime:
    """Wire the adapters; the returned app migrates and resumes routing when it starts."""
    store = Store(database_url)
    services = Services(store=store)
    router = Router(services, _coordinator(store, services))
    services.poke = router.poke
    app = create_app(services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await upgrade(store)
        if on_startup is not None:
            await on_startup(services)
        await router.start()
        try:
            yield
        finally:
            await router.stop()
            await store.dispose()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        """Liveness for load balancers, and which workspaces this process routes."""
        return {"status": "ok", "owned_workspaces": sorted(router.coordinator.owned())}

    app.router.lifespan_context = lifespan
    app.state.router = router
    return Runtime(services, router, app)
