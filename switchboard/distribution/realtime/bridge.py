"""`POST /v1/wschannels`: the JavaScript SDK's requests, as Twilio's event bridge takes them.

The SDK sends every call as a JSON body `{url, method, params, token}` (an `apiVersion`
header beside it, an `If-Match` header when version checks are on) and reads the
answer's `payload`. The worker token authenticates the call and its policies decide
what is allowed, as on Twilio. The calls run through the same services as the REST
API; answers are rendered the way the SDK reads them (:mod:`.sdk_views`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request
from fastapi.responses import JSONResponse

from switchboard.distribution.domain.expressions import ExpressionError, compile_expression
from switchboard.distribution.domain.records import (
    Activity,
    Reservation,
    Task,
    TaskQueue,
    Worker,
    Workspace,
)
from switchboard.distribution.realtime import sdk_views as views
from switchboard.distribution.work import reservations, tasks, workers
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.transitions import LIVE_RESERVATION
from switchboard.distribution.work.worker_tokens import (
    TokenRejected,
    WorkerClaims,
    allows,
    verify_bearer,
    verify_workspace_bearer,
)
from switchboard.kernel.criteria import asc, eq, isin
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError
from switchboard.kernel.ports import Unit
from switchboard.wire.deps import deps
from switchboard.wire.params import Params

JSON = dict[str, Any]
RESERVATION_CORE = frozenset({"ReservationStatus", "WorkerActivitySid", "Instruction"})
RESERVATION_STATUSES = ("accepted", "rejected", "wrapping", "completed")
INSTRUCTIONS = ("accept", "reject", "conference", "dequeue", "call", "redirect", "supervise")
TASK_STATUSES = ("canceled", "completed", "wrapping")
MAX_ATTRIBUTES = 16_384


@dataclass(frozen=True)
class Call:
    """One bridged request: who asks (the verified token), for what, with which parameters."""

    svc: Services
    claims: WorkerClaims
    method: str
    sids: tuple[str, ...]
    params: Params
    if_match: str | None

    def workspace_sid(self) -> str:
        if self.sids[0] != self.claims.workspace_sid:
            raise NotFound(f"The requested resource /Workspaces/{self.sids[0]} was not found")
        return self.sids[0]


Handler = Callable[[Call], Awaitable[Any]]


async def _workspace(unit: Unit, call: Call) -> Workspace:
    ws = await unit.get(Workspace, call.workspace_sid())
    if ws is None or ws.account_sid != call.claims.account_sid:
        raise NotFound(f"The requested resource /Workspaces/{call.sids[0]} was not found")
    return ws


async def _worker(unit: Unit, ws: Workspace, sid: str) -> Worker:
    row = await unit.get(Worker, sid)
    if row is None or row.workspace_sid != ws.sid:
        raise NotFound(f"The requested resource /Workers/{sid} was not found")
    return row


async def _render_worker(call: Call, sid: str) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        return await views.worker_payload(unit, await _worker(unit, ws, sid), ws)


async def worker_instance(call: Call) -> JSON:
    """GET or POST `Workspaces/{ws}/Workers/{wk}` (ActivitySid, Attributes, ...)."""
    worker_sid = call.sids[1]
    if call.method == "POST":
        p = call.params
        update = workers.WorkerUpdate(
            activity_sid=p.sid("ActivitySid", "WA"),
            attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
            reject_pending_reservations=bool(p.boolean("RejectPendingReservations")),
            if_match=call.if_match,
        )
        await workers.update_worker(
            call.svc, call.claims.account_sid, call.workspace_sid(), worker_sid, update
        )
    return await _render_worker(call, worker_sid)


def _page(contents: list[JSON]) -> JSON:
    """The bridge's list shape: everything on one page (no `after_sid`)."""
    return {"contents": contents, "after_sid": None}


async def activity_list(call: Call) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        rows = await unit.select(
            Activity, eq("workspace_sid", ws.sid), order=[asc("date_created"), asc("sid")]
        )
        return _page([views.activity(row, ws) for row in rows])


async def worker_channel_list(call: Call) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        worker = await _worker(unit, ws, call.sids[1])
        return _page(await views.channel_payloads(unit, ws, worker.sid))


async def reservation_list(call: Call) -> JSON:
    """`Active=true` (what the SDK asks for): pending, accepted and wrapping reservations."""
    now = call.svc.now()
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        worker = await _worker(unit, ws, call.sids[1])
        criteria = [eq("worker_sid", worker.sid)]
        if call.params.boolean("Active"):
            criteria.append(isin("status", LIVE_RESERVATION))
        rows = await unit.select(Reservation, *criteria, order=[asc("date_created"), asc("sid")])
        rendered = [await views.reservation(unit, row, ws, now) for row in rows]
    return _page([r for r in rendered if r is not None])


async def _render_reservation(call: Call, sid: str, worker_sid: str | None) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        row = await unit.get(Reservation, sid)
        mine = row is not None and row.workspace_sid == ws.sid
        if row is not None and mine and worker_sid in (None, row.worker_sid):
            rendered = await views.reservation(unit, row, ws, call.svc.now())
            if rendered is not None:
                return rendered
    raise NotFound(f"The requested resource /Reservations/{sid} was not found")


def _reservation_update(call: Call) -> reservations.ReservationUpdate:
    p = call.params
    return reservations.ReservationUpdate(
        reservation_status=p.enum("ReservationStatus", RESERVATION_STATUSES),
        worker_activity_sid=p.sid("WorkerActivitySid", "WA"),
        instruction=p.enum("Instruction", INSTRUCTIONS),
        instruction_params={
            key: ",".join(p.values(key)) for key in p if key not in RESERVATION_CORE
        },
        if_match=call.if_match,
    )


async def worker_reservation(call: Call) -> JSON:
    """GET or POST `Workspaces/{ws}/Workers/{wk}/Reservations/{wr}`."""
    worker_sid, sid = call.sids[1], call.sids[2]
    if call.method == "POST":
        await reservations.update_reservation(
            call.svc,
            call.claims.account_sid,
            call.workspace_sid(),
            sid,
            _reservation_update(call),
            worker_sid=worker_sid,
        )
    return await _render_reservation(call, sid, worker_sid)


async def task_reservation(call: Call) -> JSON:
    """POST `Workspaces/{ws}/Tasks/{wt}/Reservations/{wr}` (the SDK's Supervisor)."""
    task_sid, sid = call.sids[1], call.sids[2]
    if call.method == "POST":
        await reservations.update_reservation(
            call.svc,
            call.claims.account_sid,
            call.workspace_sid(),
            sid,
            _reservation_update(call),
            task_sid=task_sid,
        )
    return await _render_reservation(call, sid, None)


async def task_instance(call: Call) -> JSON:
    """GET or POST `Workspaces/{ws}/Tasks/{wt}` (AssignmentStatus, Reason, Attributes)."""
    sid = call.sids[1]
    if call.method == "POST":
        p = call.params
        update = tasks.TaskUpdate(
            attributes=p.json_text("Attributes", max_length=MAX_ATTRIBUTES),
            assignment_status=p.enum("AssignmentStatus", TASK_STATUSES),
            reason=p.string("Reason", max_length=MAX_ATTRIBUTES),
            priority=p.integer("Priority", 0, 2**31 - 1),
            virtual_start_time=p.datetime_ms("VirtualStartTime"),
            if_match=call.if_match,
        )
        await tasks.update_task(
            call.svc, call.claims.account_sid, call.workspace_sid(), sid, update
        )
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        row = await unit.get(Task, sid)
        if row is None or row.workspace_sid != ws.sid:
            raise NotFound(f"The requested resource /Tasks/{sid} was not found")
        return await views.task(unit, row, ws, call.svc.now())


def _worker_filter(p: Params) -> Callable[[Worker, str | None], bool]:
    """`FriendlyName`, `ActivitySid`, `ActivityName`, `TargetWorkersExpression`."""
    name, activity_sid = p.string("FriendlyName"), p.sid("ActivitySid", "WA")
    activity_name, text = p.string("ActivityName"), p.string("TargetWorkersExpression")
    try:
        expression = compile_expression(text) if text else None
    except ExpressionError as exc:
        raise InvalidParameter(f"Invalid TargetWorkersExpression: {exc}") from None

    def keep(row: Worker, current: str | None) -> bool:
        context = {
            "sid": row.sid,
            "friendly_name": row.friendly_name,
            "activity_sid": row.activity_sid,
            "activity_name": current,
            **_attributes(row.attributes),
        }
        return (
            (name is None or row.friendly_name.lower() == name.lower())
            and (activity_sid is None or row.activity_sid == activity_sid)
            and (activity_name is None or current == activity_name)
            and (expression is None or expression.evaluate(context))
        )

    return keep


def _attributes(text: str) -> dict[str, Any]:
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


async def worker_list(call: Call) -> JSON:
    """`Workspaces/{ws}/Workers` (the SDK's `Workspace.fetchWorkers`), one page."""
    keep = _worker_filter(call.params)
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        rows = await unit.select(
            Worker, eq("workspace_sid", ws.sid), order=[asc("date_created"), asc("sid")]
        )
        names = {
            a.sid: a.friendly_name for a in await unit.select(Activity, eq("workspace_sid", ws.sid))
        }
        kept = [r for r in rows if keep(r, names.get(r.activity_sid))]
        return _page([views.worker(r, ws, names.get(r.activity_sid)) for r in kept])


async def task_queue_list(call: Call) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        rows = await unit.select(
            TaskQueue, eq("workspace_sid", ws.sid), order=[asc("date_created"), asc("sid")]
        )
        names = await _activity_names(unit, ws)
        name = call.params.string("FriendlyName")
        kept = [r for r in rows if name is None or r.friendly_name == name]
        return _page([views.task_queue(r, ws, names) for r in kept])


async def task_queue_instance(call: Call) -> JSON:
    async with call.svc.store.read() as unit:
        ws = await _workspace(unit, call)
        row = await unit.get(TaskQueue, call.sids[1])
        if row is None or row.workspace_sid != ws.sid:
            raise NotFound(f"The requested resource /TaskQueues/{call.sids[1]} was not found")
        return views.task_queue(row, ws, await _activity_names(unit, ws))


async def _activity_names(unit: Unit, ws: Workspace) -> dict[str, str]:
    rows = await unit.select(Activity, eq("workspace_sid", ws.sid))
    return {a.sid: a.friendly_name for a in rows}


_SID = r"([A-Z]{2}[0-9a-f]{32})"
ROUTES: list[tuple[re.Pattern[str], frozenset[str], Handler]] = [
    (re.compile(rf"Workspaces/{_SID}/Workers/{_SID}"), frozenset({"GET", "POST"}), worker_instance),
    (re.compile(rf"Workspaces/{_SID}/Activities"), frozenset({"GET"}), activity_list),
    (re.compile(rf"Workspaces/{_SID}/Workers"), frozenset({"GET"}), worker_list),
    (re.compile(rf"Workspaces/{_SID}/TaskQueues"), frozenset({"GET"}), task_queue_list),
    (
        re.compile(rf"Workspaces/{_SID}/TaskQueues/{_SID}"),
        frozenset({"GET"}),
        task_queue_instance,
    ),
    (
        re.compile(rf"Workspaces/{_SID}/Workers/{_SID}/(?:Worker)?Channels"),
        frozenset({"GET"}),
        worker_channel_list,
    ),
    (
        re.compile(rf"Workspaces/{_SID}/Workers/{_SID}/Reservations"),
        frozenset({"GET"}),
        reservation_list,
    ),
    (
        re.compile(rf"Workspaces/{_SID}/Workers/{_SID}/Reservations/{_SID}"),
        frozenset({"GET", "POST"}),
        worker_reservation,
    ),
    (re.compile(rf"Workspaces/{_SID}/Tasks/{_SID}"), frozenset({"GET", "POST"}), task_instance),
    (
        re.compile(rf"Workspaces/{_SID}/Tasks/{_SID}/Reservations/{_SID}"),
        frozenset({"POST"}),
        task_reservation,
    ),
]


def _route(method: str, path: str) -> tuple[Handler, tuple[str, ...]]:
    for pattern, methods, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            if method not in methods:
                raise SwitchboardError(
                    f"Method {method} not allowed on {path}", code=20004, status=405
                )
            return handler, match.groups()
    raise NotFound(f"The requested resource {path} is not served through the event bridge")


@dataclass(frozen=True)
class BridgeRequest:
    url: str
    method: str
    params: dict[str, Any]
    token: str | None


def parse(body: bytes) -> BridgeRequest:
    """The SDK posts a JSON text (as form data, by axios's default), never a form."""
    try:
        document = json.loads(body or b"null")
    except ValueError:
        raise InvalidParameter("The request body must be a JSON object") from None
    if not isinstance(document, dict):
        raise InvalidParameter("The request body must be a JSON object")
    url, method, params = document.get("url"), document.get("method"), document.get("params", {})
    if not isinstance(url, str) or not url or method not in ("GET", "POST"):
        raise InvalidParameter("'url' (a string) and 'method' (GET or POST) are required")
    if not isinstance(params, dict):
        raise InvalidParameter("'params' must be a JSON object")
    token = document.get("token")
    return BridgeRequest(url, method, params, token if isinstance(token, str) else None)


def _path(url: str) -> str:
    """`Workspaces/...`, also from `/v1/Workspaces/...` or the full Twilio URL."""
    path = url.split("?", 1)[0]
    for prefix in ("https://taskrouter.twilio.com", "/"):
        path = path.removeprefix(prefix)
    return path.removeprefix("v1/").removeprefix("v2/").strip("/")


def _params(params: dict[str, Any]) -> Params:
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            items.append((key, "true" if value else "false"))
        elif isinstance(value, dict | list):
            items.append((key, json.dumps(value)))
        else:
            items.append((key, str(value)))
    return Params(items)


async def _verify(svc: Services, token: str | None) -> WorkerClaims:
    """A worker's token, or a workspace's (the SDK's `Workspace` class)."""
    try:
        return await verify_bearer(svc.store, svc.signing, token)
    except TokenRejected:
        if token and _channel(token).startswith("WS"):
            return await verify_workspace_bearer(svc.store, svc.signing, token)
        raise


def _channel(token: str) -> str:
    try:
        channel = jwt.decode(token, options={"verify_signature": False}).get("channel")
    except jwt.InvalidTokenError:
        return ""
    return channel if isinstance(channel, str) else ""


async def handle(svc: Services, request: BridgeRequest, if_match: str | None) -> JSON:
    """Authenticate, authorize by the token's policies, run the call; the answer's payload."""
    try:
        claims = await _verify(svc, request.token)
    except TokenRejected as exc:
        # 403, not 401: a 401's Basic challenge would make a browser ask for a password
        raise SwitchboardError(f"Worker token refused: {exc}", code=20003, status=403) from None
    path = _path(request.url)
    if not allows(claims, request.method, path, request.params):
        raise SwitchboardError(
            f"The token's policies do not allow {request.method} {path}", code=20403, status=403
        )
    handler, sids = _route(request.method, path)
    call = Call(svc, claims, request.method, sids, _params(request.params), if_match)
    return {"payload": await handler(call)}


async def bridge_endpoint(request: Request) -> JSONResponse:
    svc = deps(request).get(Services)
    bridged = parse(await request.body())
    return JSONResponse(await handle(svc, bridged, request.headers.get("if-match")))
