"""The TaskRouter v1 routes, mounted on the application the composition root builds."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.distribution.api.routes import ROUTERS
from switchboard.distribution.api.routes import statistics as statistics_routes


def install(app: FastAPI) -> None:
    """Statistics first: its literal paths (`/Workers/Statistics`) must win over `{sid}`."""
    app.include_router(statistics_routes.router)
    for router in ROUTERS:
        app.include_router(router)
