"""Every route of the app, called by another tenant with real sids of tenant A: 404, always.

The sweep iterates `app.routes`, so a route added later is swept too; a path
parameter it cannot fill with one of A's real sids fails the test, which is the
point: nobody adds an unswept route by accident.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import WebSocketRoute

from switchboard.runtime import Runtime
from tests.tenancy.conftest import NewTenant, Tenant, make_subaccount

PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
# routes that take no credentials and serve no tenant's data
PUBLIC = {"/health", "/metrics"}


@dataclass
class World:
    """Tenant A's resources: one real sid of every kind a path can name."""

    a: Tenant
    child: Tenant
    sids: dict[str, str]

    def everything(self) -> set[str]:
        return {self.a.sid, self.child.sid, *self.sids.values()}


async def _post(client: httpx.AsyncClient, a: Tenant, path: str, **form: str) -> str:
    response = await client.post(path, data=form, auth=a.auth)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["sid"])


async def _first(client: httpx.AsyncClient, a: Tenant, path: str, key: str) -> str:
    response = await client.get(path, auth=a.auth)
    assert response.status_code == 200, response.text
    return str(response.json()[key][0]["sid"])


async def build_world(client: httpx.AsyncClient, runtime: Runtime, a: Tenant) -> World:
    ws = await _post(client, a, "/v1/Workspaces", FriendlyName="A's center")
    base = f"/v1/Workspaces/{ws}"
    ready = await _post(client, a, f"{base}/Activities", FriendlyName="Ready", Available="true")
    queue = await _post(client, a, f"{base}/TaskQueues", FriendlyName="All", TargetWorkers="1==1")
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue}}}
    workflow = await _post(
        client, a, f"{base}/Workflows", FriendlyName="wf", Configuration=json.dumps(routing)
    )
    worker = await _post(client, a, f"{base}/Workers", FriendlyName="Alice", ActivitySid=ready)
    task = await _post(client, a, f"{base}/Tasks", WorkflowSid=workflow, Attributes="{}")
    await runtime.router.wait_idle()
    rule = await _post(client, a, "/v1/FraudRules", Score="1", Count="1")
    child = await make_subaccount(client, a)
    sids = {
        "ws": ws,
        "wa": ready,
        "wq": queue,
        "ww": workflow,
        "wk": worker,
        "wt": task,
        "wr": await _first(client, a, f"{base}/Tasks/{task}/Reservations", "reservations"),
        "ev": await _first(client, a, f"{base}/Events", "events"),
        "TaskChannels": await _first(client, a, f"{base}/TaskChannels", "channels"),
        "Channels": await _first(client, a, f"{base}/Workers/{worker}/Channels", "channels"),
        "FraudRules": rule,
        "Accounts": a.sid,
    }
    return World(a, child, sids)


def fill(path: str, world: World) -> str:
    """The path with every parameter replaced by a real sid of A (by convertor or context)."""

    def one(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2)
        if convertor:
            return world.sids[convertor]
        segment = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        assert segment in world.sids, f"cannot fill {{{name}}} in {path}: extend build_world"
        return world.sids[segment]

    return PARAM.sub(one, path)


def valid_form(world: World) -> dict[str, str]:
    """A body every POST route accepts, so only tenancy can turn it down."""
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": world.sids["wq"]}}}
    return {
        "FriendlyName": "x",
        "UniqueName": "x",
        "Attributes": "{}",
        "QueueSids": world.sids["wq"],
        "ReservationStatus": "accepted",
        "ActivitySid": world.sids["wa"],
        "WorkflowSid": world.sids["ww"],
        "Configuration": json.dumps(routing),
        "TargetWorkers": "1==1",
    }


def swept_routes(runtime: Runtime) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route, included routers flattened."""
    routes = [
        (method, str(context.path))
        for context in iter_route_contexts(runtime.app.routes)
        if isinstance(context.original_route, APIRoute) and context.path not in PUBLIC
        for method in sorted(context.original_route.methods or ())
    ]
    # deletes last, so a wrongly allowed delete cannot hide a later leak
    return sorted(routes, key=lambda item: (item[0] == "DELETE", item[1]))


def assert_no_leak(response: httpx.Response, world: World, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    assert response.status_code != 403, where
    asked = response.request.url.path  # a 404 may echo the sid it was asked about
    leaked = {sid for sid in world.everything() if sid in response.text and sid not in asked}
    assert not leaked, f"{where} leaked {leaked}"


@pytest.mark.parametrize("intruder", ["stranger", "child-of-a"])
async def test_every_route_answers_404_to_another_tenant(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant, intruder: str
) -> None:
    world = await build_world(client, runtime, await new_tenant("A"))
    b = await new_tenant("B") if intruder == "stranger" else world.child
    if intruder == "child-of-a":
        world.sids["Accounts"] = world.a.sid  # the parent is "another account" to a child
    swept, wrong = 0, []
    for method, template in swept_routes(runtime):
        if "{" not in template:
            continue
        path = fill(template, world)
        where = f"{method} {template}"
        form = valid_form(world) if method == "POST" else None
        response = await client.request(method, path, data=form, auth=b.auth)
        assert_no_leak(response, world, where)
        if response.status_code != 404 or response.json()["code"] != 20404:
            wrong.append(f"{where}: {response.status_code} {response.text[:200]}")
        swept += 1
    assert not wrong, "\n".join(wrong)
    assert swept >= 40  # the whole TaskRouter surface plus the tenancy routes


async def test_the_owner_reaches_every_swept_path(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    """The control: the sids are real, so the 404s above are about tenancy, not typos."""
    world = await build_world(client, runtime, await new_tenant("A"))
    for method, template in swept_routes(runtime):
        if method != "GET" or "{" not in template:
            continue
        response = await client.get(fill(template, world), auth=world.a.auth)
        assert response.status_code == 200, f"GET {template}: {response.text}"


async def test_collection_routes_show_another_tenant_nothing_of_a(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    world = await build_world(client, runtime, await new_tenant("A"))
    b = await new_tenant("B")
    for method, template in swept_routes(runtime):
        if "{" in template:
            continue
        response = await client.request(method, template, auth=b.auth)
        assert_no_leak(response, world, f"{method} {template}")


async def test_public_routes_show_no_tenant_data(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    world = await build_world(client, runtime, await new_tenant("A"))
    for path in sorted(PUBLIC):
        assert_no_leak(await client.get(path), world, f"GET {path}")


# --- websockets: B's valid token never opens A's channel ----------------------------------


async def websocket_attempt(runtime: Runtime, path: str, token: str) -> list[dict[str, Any]]:
    """Open a websocket on the ASGI app in-process; what the server sent until it closed (or
    until it had been quiet for a moment, which means the channel stayed open)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": urlencode({"token": token}).encode(),
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "subprotocols": [],
        "state": {},
    }

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = asyncio.create_task(runtime.app(scope, inbox.get, send))
    for _ in range(40):
        if app.done() or any(m["type"] == "websocket.close" for m in sent):
            break
        await asyncio.sleep(0.025)
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(app, 5)
    return sent


async def _worker_token(client: httpx.AsyncClient, who: Tenant, ws: str, worker: str) -> str:
    response = await client.post(f"/v1/Workspaces/{ws}/Workers/{worker}/Token", auth=who.auth)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def websocket_routes(runtime: Runtime) -> list[str]:
    return [
        str(context.path)
        for context in iter_route_contexts(runtime.app.routes)
        if isinstance(context.original_route, APIWebSocketRoute | WebSocketRoute)
    ]


async def test_no_websocket_opens_for_another_tenants_token(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    world = await build_world(client, runtime, await new_tenant("A"))
    b = await new_tenant("B")
    b_ws = await _post(client, b, "/v1/Workspaces", FriendlyName="B's center")
    b_worker = await _post(client, b, f"/v1/Workspaces/{b_ws}/Workers", FriendlyName="Bo")
    b_token = await _worker_token(client, b, b_ws, b_worker)
    a_token = await _worker_token(client, world.a, world.sids["ws"], world.sids["wk"])
    routes = websocket_routes(runtime)
    assert routes, "the worker channel should be swept"
    for template in routes:
        fills = {"account_sid": world.a.sid, "worker_sid": world.sids["wk"]}
        names = {match.group(1) for match in PARAM.finditer(template)}
        assert names <= set(fills), f"cannot fill {template}: extend the websocket sweep"
        attacks = [(fills, b_token), ({**fills, "account_sid": b.sid}, b_token)]
        for values, token in attacks:
            sent = await websocket_attempt(runtime, template.format(**values), token)
            closes = [m for m in sent if m["type"] == "websocket.close"]
            assert closes and closes[0]["code"] == 4401, (template, values, sent)
            assert not [m for m in sent if m["type"] == "websocket.send"], sent
        opened = await websocket_attempt(runtime, template.format(**fills), a_token)
        assert any(m["type"] == "websocket.send" for m in opened), opened  # the control
