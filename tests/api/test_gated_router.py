"""A gated router answers exactly as FastAPI's own router, and steps aside on a foreign path."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI, WebSocket
from starlette.routing import Match

from switchboard.wire.routing import GatedRouter, path_gate


def _app() -> tuple[FastAPI, GatedRouter, GatedRouter]:
    app = FastAPI()
    tasks = GatedRouter(prefix="/v1/Workspaces/{workspace_sid}/Tasks")
    workers = GatedRouter(prefix="/v1/Workspaces/{workspace_sid}/Workers")

    @tasks.get("/{task_sid}")
    async def fetch_task(workspace_sid: str, task_sid: str) -> dict[str, str]:
        return {"workspace": workspace_sid, "task": task_sid}

    @tasks.post("")
    async def create_task() -> dict[str, str]:
        return {"created": "task"}

    @workers.get("/Statistics")
    async def statistics() -> dict[str, str]:
        return {"literal": "Statistics"}

    @workers.get("/{worker_sid}")
    async def fetch_worker(worker_sid: str) -> dict[str, str]:
        return {"worker": worker_sid}

    @workers.websocket("/{worker_sid}/live")
    async def live(websocket: WebSocket, worker_sid: str) -> None:
        await websocket.accept()
        await websocket.send_text(worker_sid)
        await websocket.close()

    app.include_router(tasks)
    app.include_router(workers)
    return app, tasks, workers


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _scope(path: str, kind: str = "http") -> dict[str, object]:
    return {"type": kind, "path": path, "root_path": "", "method": "GET", "headers": []}


def test_the_gate_matches_what_one_of_the_patterns_matches_and_nothing_else() -> None:
    patterns = [re.compile(r"^/a/(?P<x>[^/]+)$"), re.compile(r"^/b/(?P<x>[^/]+)/c$")]
    gate = path_gate(patterns)
    for path in ("/a/1", "/b/2/c", "/a/", "/b/2", "/a/1/c", "/c", "/b/2/c/d"):
        expected = any(pattern.match(path) for pattern in patterns)
        assert (gate.match(path) is not None) is expected, path


def _included(app: FastAPI, router: GatedRouter) -> Any:
    """The app's entry for `router`: what FastAPI asks when it matches a request."""
    return next(r for r in app.router.routes if getattr(r, "original_router", None) is router)


def _count_route_matching(router: GatedRouter) -> list[str]:
    tried: list[str] = []
    for route in router.routes:
        original = route.matches

        def counted(
            scope: Any, original: Any = original, path: str = getattr(route, "path", "")
        ) -> Any:
            tried.append(path)
            return original(scope)

        route.matches = counted  # type: ignore[method-assign]
    return tried


def test_a_router_steps_aside_on_a_foreign_path_without_trying_its_routes() -> None:
    app, tasks, _workers = _app()
    tried = _count_route_matching(tasks)
    foreign = _included(app, tasks).matches(_scope("/v1/Workspaces/WS1/Workers/WK1"))
    assert foreign[0] is Match.NONE
    assert tried == []
    own = _included(app, tasks).matches(_scope("/v1/Workspaces/WS1/Tasks/WT1"))
    assert own[0] is Match.FULL
    assert tried  # its own path goes through FastAPI's matching of each route


async def test_requests_reach_the_same_routes_with_their_parameters() -> None:
    app, _tasks, _workers = _app()
    async with _client(app) as client:
        fetched = await client.get("/v1/Workspaces/WS1/Tasks/WT9")
        assert fetched.json() == {"workspace": "WS1", "task": "WT9"}
        assert (await client.post("/v1/Workspaces/WS1/Tasks")).json() == {"created": "task"}
        statistics = await client.get("/v1/Workspaces/WS1/Workers/Statistics")
        assert statistics.json() == {"literal": "Statistics"}  # route order still decides
        assert (await client.get("/v1/Workspaces/WS1/Workers/WK2")).json() == {"worker": "WK2"}


async def test_a_wrong_method_is_still_405_and_an_unknown_path_404() -> None:
    app, _tasks, _workers = _app()
    async with _client(app) as client:
        assert (await client.delete("/v1/Workspaces/WS1/Tasks")).status_code == 405
        assert (await client.get("/v1/Workspaces/WS1/Nothing")).status_code == 404


async def test_a_route_added_after_the_first_request_is_reached() -> None:
    app, tasks, _workers = _app()
    async with _client(app) as client:
        assert (await client.get("/v1/Workspaces/WS1/Tasks/WT1/Later/x")).status_code == 404

        @tasks.get("/{task_sid}/Later/{name}")
        async def later(name: str) -> dict[str, str]:
            return {"later": name}

        app.include_router(tasks)  # FastAPI reads a router's routes when it is included
        assert (await client.get("/v1/Workspaces/WS1/Tasks/WT1/Later/x")).json() == {"later": "x"}


def test_a_websocket_path_passes_the_gate_and_matches_its_route() -> None:
    app, _tasks, workers = _app()
    socket = _scope("/v1/Workspaces/WS1/Workers/WK3/live", "websocket")
    assert _included(app, workers).matches(socket)[0] is Match.FULL
