"""The composition root: the one place where store, services, router and HTTP are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from switchboard.api.app import create_app
from switchboard.services.context import Services
from switchboard.services.router import Router
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


def build_runtime(database_url: str, *, on_startup: StartupHook | None = None) -> Runtime:
    """Wire the adapters; the returned app migrates and resumes routing when it starts."""
    store = Store(database_url)
    services = Services(store=store)
    router = Router(services)
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

    app.router.lifespan_context = lifespan
    app.state.router = router
    return Runtime(services, router, app)
