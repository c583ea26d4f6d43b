"""Every route of the app, called by another tenant with real sids of tenant A: 404, always.

The sweep iterates `app.routes`, so a route added later is swept too; a path
parameter it cannot fill with one of A's real sids fails the test, which is the
point: nobody adds an unswept route by accident.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import WebSocketRoute

from switchboard.kernel import sids as sid_kinds
from switchboard.outbound.records import CallbackDelivery
from switchboard.runtime import Runtime
from tests.conversations.support import STREAM, chat_token
from tests.tenancy.conftest import NewTenant, Tenant, make_subaccount

PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
# routes that take no credentials and serve no tenant's data (the page snippet's lease
# routes are keyed by a pool's public key, which pages publish by design)
PUBLIC = {
    "/health",
    "/metrics",
    "/attribution/public/swap.js",
    "/attribution/public/{key}/Leases",
    "/attribution/public/{key}/Leases/{sid}/Heartbeat",
}
# carriers' webhooks and the chat widget's visitor routes authenticate with a carrier's
# signature or a widget id, not an account's credentials (tests/channels cover them)
CARRIER = {
    "/v1/Channels/Sms/Inbound",
    "/v1/Channels/Sms/Status",
    "/v1/Channels/Voice/Inbound",
    "/v1/Channels/Voice/Status",
    "/v1/Channels/Voice/Hold/{sid:xa}",
    "/v1/Channels/Chat/{widget}/Visitors",
    "/v1/Channels/Chat/widget.js",
    "/v1/Channels/Chat/Stream",
}
# the pages (switchboard.web) sign people in with a session cookie, not the account's
# credentials: tests/web sweeps them with another account's user
PAGES = "switchboard.web"


def _page(route: object) -> bool:
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith(PAGES)


READY = {"type": "websocket.send", "text": '{"type":"ready","identity":"alice"}'}


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


async def _delivery(runtime: Runtime, a: Tenant, ws: str) -> str:
    """A delivery record of A's workspace (written directly: no callback URL is called)."""
    now = runtime.services.clock.now_ms()
    row = CallbackDelivery(
        sid=sid_kinds.new_sid("CB"),
        account_sid=a.sid,
        workspace_sid=ws,
        kind="event",
        event_sid=sid_kinds.new_sid("EV"),
        event_type="task.created",
        url="https://example.com/hook",
        payload="{}",
        status="failed",
        next_attempt_at=now,
        date_created=now,
        date_updated=now,
    )
    async with runtime.services.store.transaction() as unit:
        unit.add(row)
    return row.sid


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
    await runtime.dispatcher.wait_idle()
    rule = await _post(client, a, "/v1/FraudRules", Score="1", Count="1")
    child = await make_subaccount(client, a)
    attribution = await _attribution_world(client, a, ws, queue)
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
        **attribution,
        "CallbackDeliveries": await _delivery(runtime, a, ws),
        **await conversation_sids(client, a),
        **await routing_sids(client, a, ws, workflow),
        "xa": await _post(
            client, a, "/v1/Channels/Addresses", Channel="sms", Address="+15550100999"
        ),
        "xk": await _post(
            client,
            a,
            "/v1/Channels/Credentials",
            Organization="acme",
            ProviderAccountSid="AC" + "9" * 32,
            AuthToken="organization-token",
        ),
    }
    return World(a, child, sids)


async def _attribution_world(
    client: httpx.AsyncClient, a: Tenant, ws: str, queue: str
) -> dict[str, str]:
    """A pool with a leased number, a contact at it, and a pacing rule."""
    prefix = "/attribution/v1"
    form = {"Fallback": "+15550000000", "ContactPoint": "+15551000001"}
    pool = await _post(client, a, f"{prefix}/Pools", **form)
    lease = await _post(client, a, f"{prefix}/Pools/{pool}/Leases", visitor="v1")
    contact = await _post(client, a, f"{prefix}/Contacts", ContactPoint="+15551000001")
    rule = await _post(client, a, f"{prefix}/PacingRules", WorkspaceSid=ws, TaskQueueSid=queue)
    return {"Pools": pool, "Leases": lease, "Contacts": contact, "PacingRules": rule}


async def routing_sids(
    client: httpx.AsyncClient, a: Tenant, workspace: str, workflow: str
) -> dict[str, str]:
    """An organization's routing profile and one routed request (issue 19)."""
    org = "org" + a.sid[2:14].lower()  # its own name: a common word may appear anywhere
    profile = {"WorkspaceSid": workspace, "WorkflowSid": workflow, "ProxyAddress": f"web:{org}"}
    answer = await client.post(f"/v1/Organizations/{org}/RoutingProfile", data=profile, auth=a.auth)
    assert answer.status_code == 200, answer.text
    inbound = {"From": "web:customer", "Body": "hello"}
    request = await client.post(f"/v1/Organizations/{org}/Inbound", data=inbound, auth=a.auth)
    assert request.status_code == 200, request.text
    return {"Organizations": org, "xq": request.json()["sid"]}


async def conversation_sids(client: httpx.AsyncClient, a: Tenant) -> dict[str, str]:
    """One of every conversations resource, a receipt and an invitation included."""
    ch = await _post(client, a, "/v1/Conversations", FriendlyName="A's conversation")
    base = f"/v1/Conversations/{ch}"
    sms = {"MessagingBinding.Address": "+15550001", "MessagingBinding.ProxyAddress": "+15559999"}
    await _post(client, a, f"{base}/Participants", **sms)
    member = await _post(client, a, f"{base}/Participants", Identity="alice")
    await _post(client, a, f"{base}/Messages", Author="alice", Body="secret")
    photo = {"Media": ("p.png", b"\x89PNG", "image/png")}
    note = await client.post(f"{base}/Notes", data={"Body": "n"}, files=photo, auth=a.auth)
    assert note.status_code == 201, note.text
    message, media = note.json()["sid"], note.json()["media"][0]["sid"]
    receipts = f"{base}/Messages/{message}/Receipts"
    hook = await _post(
        client,
        a,
        f"{base}/Webhooks",
        Target="webhook",
        **{"Configuration.Url": "https://example.com/h"},
    )
    role = await _post(
        client, a, "/v1/Roles", FriendlyName="r", Type="conversation", Permission="sendMessage"
    )
    relationship = await _post(
        client, a, "/v1/Relationships", Organization="acme", OutsideParty="+1555"
    )
    sequence = await _post(client, a, f"/v1/Relationships/{relationship}/Sequences", Subject="case")
    return {
        "Conversations": ch,
        "Participants": member,
        "Messages": message,
        "dy": await _first(client, a, receipts, "delivery_receipts"),
        "wh": hook,
        "Users": await _post(client, a, "/v1/Users", Identity="alice"),
        "rl": role,
        "xc": relationship,
        "xs": sequence,
        "xi": await _post(client, a, f"{base}/Invitations", Identity="bob"),
        "me": media,
        "ig": await _post(
            client, a, "/v1/Configuration/Addresses", Type="sms", Address="+15550100"
        ),
    }


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
        "WorkspaceSid": world.sids["ws"],
        "ProxyAddress": "web:x",
        "From": "web:x",
        "Body": "x",
        "Rating": "5",
        "To": "supervisor",
        "Reason": "x",
    }


def swept_routes(runtime: Runtime) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route, included routers flattened."""
    routes = [
        (method, str(context.path))
        for context in iter_route_contexts(runtime.app.routes)
        if isinstance(context.original_route, APIRoute) and context.path not in PUBLIC
        if not _page(context.original_route) and context.path not in CARRIER
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
    assert swept >= 80  # the whole TaskRouter and Conversations surface plus tenancy


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


async def websocket_attempt(
    runtime: Runtime, path: str, token: str
) -> list[MutableMapping[str, Any]]:
    """Open a websocket on the ASGI app in-process; what the server sent until it closed (or
    until it had been quiet for a moment, which means the channel stayed open)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    sent: list[MutableMapping[str, Any]] = []
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

    async def send(message: MutableMapping[str, Any]) -> None:
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
        and not _page(context.original_route)
        and str(context.path) not in CARRIER
    ]


async def test_no_websocket_opens_for_another_tenants_token(
    client: httpx.AsyncClient, runtime: Runtime, new_tenant: NewTenant
) -> None:
    world = await build_world(client, runtime, await new_tenant("A"))
    b = await new_tenant("B")
    b_ws = await _post(client, b, "/v1/Workspaces", FriendlyName="B's center")
    b_worker = await _post(client, b, f"/v1/Workspaces/{b_ws}/Workers", FriendlyName="Bo")
    worker_tokens = (
        await _worker_token(client, b, b_ws, b_worker),
        await _worker_token(client, world.a, world.sids["ws"], world.sids["wk"]),
    )
    # the conversations stream opens with a chat access token (one per tenant, same identity)
    chat_tokens = (
        chat_token(b.sid, b.token, "alice"),
        chat_token(world.a.sid, world.a.token, "alice"),
    )
    routes = websocket_routes(runtime)
    assert routes, "the worker channel should be swept"
    for template in routes:
        b_token, a_token = chat_tokens if template == STREAM else worker_tokens
        fills = {"account_sid": world.a.sid, "worker_sid": world.sids["wk"]}
        names = {match.group(1) for match in PARAM.finditer(template)}
        assert names <= set(fills), f"cannot fill {template}: extend the websocket sweep"
        if not names:  # the token alone says whose socket it is (the JavaScript SDK's)
            sent = await websocket_attempt(runtime, template, b_token)
            leaked = {sid for sid in world.everything() if sid in json.dumps(sent)}
            assert not leaked, (template, leaked)
        attacks = [(fills, b_token), ({**fills, "account_sid": b.sid}, b_token)] if names else []
        for values, token in attacks:
            sent = await websocket_attempt(runtime, template.format(**values), token)
            if template == STREAM:  # B's own stream opens, and carries nothing of A's
                assert [m for m in sent if m["type"] == "websocket.send"] == [READY], sent
                continue
            closes = [m for m in sent if m["type"] == "websocket.close"]
            assert closes and closes[0]["code"] == 4401, (template, values, sent)
            assert not [m for m in sent if m["type"] == "websocket.send"], sent
        opened = await websocket_attempt(runtime, template.format(**fills), a_token)
        assert any(m["type"] == "websocket.send" for m in opened), opened  # the control
