"""The composition root: the one place where store, services, router and HTTP are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Depends, FastAPI

from switchboard.api import fairness, usage_tracking
from switchboard.api.app import create_app
from switchboard.api.auth import authenticated_account
from switchboard.api.metrics import install as install_metrics
from switchboard.api.routes import accounts as account_routes
from switchboard.api.routes import usage as usage_routes
from switchboard.callbacks.wiring import install as install_callbacks
from switchboard.realtime.wiring import install as install_realtime
from switchboard.services.access import access_workspace
from switchboard.services.context import Services
from switchboard.services.events import event_dict
from switchboard.services.fraud import FraudMonitor, FraudSettings
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


class Background(Protocol):
    """A task that runs beside the server (usage flushing, fraud evaluation)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _install_tenancy(app: FastAPI, services: Services) -> list[Background]:
    """Issue 4: accounts, usage metering, fraud monitoring and fair scheduling.

    Fair scheduling is installed last so it is the outermost middleware: a request
    is admitted before anything else spends time on it.
    """
    account_routes.install(app, services)
    usage_routes.install(app, services)
    meter = usage_tracking.install(app, services)
    monitor = FraudMonitor(services.store, FraudSettings.from_env())
    app.state.fraud_monitor = monitor
    fairness.install(app, services)
    return [meter, monitor]


def _install_worker_channels(app: FastAPI, services: Services) -> list[Background]:
    """Issue 3: assignment/event callbacks (outbox + senders) and the worker websocket.

    Listed last so the websockets close first on shutdown, then the callback senders.
    """
    return [install_callbacks(app, services), install_realtime(app, services)]


def build_runtime(database_url: str, *, on_startup: StartupHook | None = None) -> Runtime:
    """Wire the adapters; the returned app migrates and resumes routing when it starts."""
    store = Store(database_url)
    services = Services(store=store)
    router = Router(services, _coordinator(store, services))
    services.poke = router.poke
    app = create_app(services)
    install_metrics(app, services, router)
    background = [*_install_tenancy(app, services), *_install_worker_channels(app, services)]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await upgrade(store)
        if on_startup is not None:
            await on_startup(services)
        await router.start()
        for task in background:
            await task.start()
        try:
            yield
        finally:
            for task in reversed(background):
                await task.stop()
            await router.stop()
            await store.dispose()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        """Liveness for load balancers (no tenant data: it needs no credentials)."""
        return {"status": "ok", "routed_workspaces": len(router.coordinator.owned())}

    @app.get("/v1/Workspaces/{workspace_sid:ws}/Routing", include_in_schema=False)
    async def routing_owner(
        workspace_sid: str, account_sid: str = Depends(authenticated_account)
    ) -> dict[str, Any]:
        """Whether this process owns the workspace's routing (operations and failover tests)."""
        async with store.read() as session:
            await access_workspace(session, account_sid, workspace_sid)
        owned = workspace_sid in router.coordinator.owned()
        return {"workspace_sid": workspace_sid, "routed_here": owned}

    app.router.lifespan_context = lifespan
    app.state.router = router
    return Runtime(services, router, app)
