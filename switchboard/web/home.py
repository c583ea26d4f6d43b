"""The front door: what a person who opens the server's address in a browser sees."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

STATIC = files("switchboard.web") / "static"


def install(app: FastAPI) -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    async def home() -> HTMLResponse:
        return HTMLResponse(page)
