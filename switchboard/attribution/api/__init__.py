"""The attribution pillar's HTTP adapters, under `/attribution/v1` (and `/attribution/public`
for the page snippet)."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.attribution.api import pools, reports


def install(app: FastAPI) -> None:
    app.include_router(pools.router)
    app.include_router(reports.router)
