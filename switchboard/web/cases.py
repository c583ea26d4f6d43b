"""The agent's cases and conversations, wrap-up and call control (issue 16).

Server-rendered like the other pages: the case list sorts, filters and pages with plain
links and a GET form; the conversation view posts its forms and redirects back (no
script needed). The desktop's wrap-up and call-control buttons call the JSON routes
here with the session's CSRF header. Everything goes through the `Desk` port with the
signed-in agent's own worker: the conversations point of view decides what is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from switchboard.kernel import sids
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError
from switchboard.web.domain.people import AGENT
from switchboard.web.people import SignedIn
from switchboard.web.ports import (
    CALL_ACTIONS,
    CASE_SORTS,
    OUTCOMES,
    CaseQuery,
    Desk,
    WrapUp,
)
from switchboard.web.security import (
    Forbidden,
    check_csrf,
    render,
    require,
    same_origin,
    signed_in,
)
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter(include_in_schema=False)
AGENTS = frozenset({AGENT})
BODY_LIMIT = 1600
CASE_COLUMNS = (
    ("case", "Case"),
    ("customer", "Customer"),
    ("subject", "Subject"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("opened", "Opened"),
    ("owner", "Owner"),
)


def when(ms: int) -> str:
    """An instant for people: UTC, to the minute."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def desk_of(request: Request) -> Desk:
    return deps(request).get(Desk)  # type: ignore[type-abstract]


def _agent(who: SignedIn) -> tuple[str, str]:
    user = who.user
    if user.role != AGENT or user.worker_sid is None:
        raise Forbidden("This page is for agents linked to a worker")
    return user.account_sid, user.worker_sid


async def _page_agent(request: Request) -> tuple[SignedIn | None, Response | None]:
    """The signed-in agent, or the response that sends anyone else away."""
    who = await signed_in(request)
    if who is None:
        path = request.url.path
        return None, RedirectResponse(f"/login?{urlencode({'next': path})}", status_code=303)
    if who.user.role != AGENT or who.user.worker_sid is None:
        page = render(
            "error.html",
            403,
            who=who,
            title="Cases are for agents",
            message="Your role watches the floor from the supervisor page.",
        )
        return who, page
    return who, None


def _text(form: Any, name: str, limit: int = 320) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _int(value: str | None, default: int) -> int:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 6:
        return default
    return int(value)


def case_query(params: Any) -> CaseQuery:
    sort = params.get("sort") or "opened"
    if sort not in CASE_SORTS:
        sort = "opened"
    return CaseQuery(
        sort=sort,
        descending=params.get("dir", "desc") != "asc",
        status=(params.get("status") or "")[:32],
        text=(params.get("q") or "")[:100],
        page=max(1, _int(params.get("page"), 1)),
        per_page=max(1, min(100, _int(params.get("per_page"), 20))),
    )


def _link(query: CaseQuery, **change: Any) -> str:
    values = {
        "sort": query.sort,
        "dir": "desc" if query.descending else "asc",
        "status": query.status,
        "q": query.text,
        "page": query.page,
        "per_page": query.per_page,
    }
    values.update(change)
    kept = {k: v for k, v in values.items() if v not in ("", None)}
    return f"/desk/cases?{urlencode(kept)}"


@router.get("/desk/cases")
async def case_list(request: Request) -> Response:
    who, away = await _page_agent(request)
    if away is not None or who is None:
        assert away is not None
        return away
    account_sid, worker_sid = _agent(who)
    query = case_query(request.query_params)
    desk = desk_of(request)
    found = await desk.cases(account_sid, worker_sid, query)
    invitations = await desk.invitations(account_sid, worker_sid)
    sorts = {
        key: _link(
            query,
            sort=key,
            dir="asc" if query.sort == key and query.descending else "desc",
            page=1,
        )
        for key, _label in CASE_COLUMNS
    }
    pages = {
        "previous": _link(query, page=found.page - 1) if found.page > 1 else None,
        "next": _link(query, page=found.page + 1) if found.page < found.pages else None,
    }
    return render(
        "cases.html",
        who=who,
        cases=found,
        query=query,
        columns=CASE_COLUMNS,
        sorts=sorts,
        pages=pages,
        invitations=invitations,
        when=when,
    )


async def _conversation_page(
    request: Request, who: SignedIn, sid: str, status: int = 200, error: str | None = None
) -> Response:
    account_sid, worker_sid = _agent(who)
    desk = desk_of(request)
    try:
        view = await desk.conversation(account_sid, worker_sid, sid)
    except (NotFound, InvalidParameter):
        return render(
            "error.html",
            404,
            who=who,
            title="No such conversation",
            message="This conversation is not one you take part in.",
        )
    colleagues = await desk.colleagues(account_sid, worker_sid)
    return render(
        "conversation.html",
        status,
        who=who,
        view=view,
        colleagues=colleagues,
        error=error,
        when=when,
    )


@router.get("/desk/conversations/{sid}")
async def conversation(request: Request, sid: str) -> Response:
    who, away = await _page_agent(request)
    if away is not None or who is None:
        assert away is not None
        return away
    return await _conversation_page(request, who, sid[:64])


async def _form_action(request: Request, sid: str, action: str) -> Response:
    """One of the conversation view's forms; back to the view (or to where it leads)."""
    who = await require(request, AGENTS)
    form = await request.form()
    check_csrf(request, who, _text(form, "csrf_token"))
    account_sid, worker_sid = _agent(who)
    desk = desk_of(request)
    sid = sid[:64]
    where = f"/desk/conversations/{sid}"
    try:
        if action == "reply":
            await desk.reply(account_sid, worker_sid, sid, _text(form, "body", BODY_LIMIT))
        elif action == "note":
            await desk.note(account_sid, worker_sid, sid, _text(form, "body", BODY_LIMIT))
        elif action == "backchannel":
            made = await desk.backchannel(account_sid, worker_sid, sid, _text(form, "colleague"))
            where = f"/desk/conversations/{made}"
        elif action == "invite":
            await desk.invite(account_sid, worker_sid, sid, _text(form, "colleague"))
        else:
            invitation = _text(form, "invitation_sid", 34)
            accept = _text(form, "answer") == "accept"
            await desk.answer_invitation(account_sid, worker_sid, sid, invitation, accept)
            if not accept:
                where = "/desk/cases"
    except NotFound:
        return await _conversation_page(request, who, sid)
    except SwitchboardError as error:
        return await _conversation_page(request, who, sid, error.status, error.message)
    return RedirectResponse(where, status_code=303)


@router.post("/desk/conversations/{sid}/reply")
async def reply(request: Request, sid: str) -> Response:
    return await _form_action(request, sid, "reply")


@router.post("/desk/conversations/{sid}/notes")
async def note(request: Request, sid: str) -> Response:
    return await _form_action(request, sid, "note")


@router.post("/desk/conversations/{sid}/backchannels")
async def backchannel(request: Request, sid: str) -> Response:
    return await _form_action(request, sid, "backchannel")


@router.post("/desk/conversations/{sid}/invitations")
async def invite(request: Request, sid: str) -> Response:
    return await _form_action(request, sid, "invite")


@router.post("/desk/conversations/{sid}/invitations/answer")
async def answer_invitation(request: Request, sid: str) -> Response:
    return await _form_action(request, sid, "answer")


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidParameter("The body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidParameter("The body is not a JSON object")
    return body


def _field(body: dict[str, Any], name: str, limit: int = 64) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    return value[:limit]


def _reservation(body: dict[str, Any]) -> str:
    sid = _field(body, "reservation_sid", 34)
    if not sids.is_sid(sid, sids.RESERVATION):
        raise InvalidParameter("reservation_sid is not a Reservation sid")
    return sid


@router.post("/desk/wrapup")
async def wrap_up(request: Request) -> JSONResponse:
    """`{reservation_sid, outcome, revenue?, currency?, notes?}`: record, then complete."""
    who = await require(request, AGENTS)
    check_csrf(request, who)
    account_sid, worker_sid = _agent(who)
    body = await _json_body(request)
    outcome = _field(body, "outcome", 32)
    if outcome not in OUTCOMES:
        raise InvalidParameter(f"Choose an outcome: one of {', '.join(OUTCOMES)}")
    wrap = WrapUp(
        outcome=outcome,
        revenue=_field(body, "revenue", 32) or None,
        currency=_field(body, "currency", 3) or None,
        notes=_field(body, "notes", BODY_LIMIT),
    )
    done = await desk_of(request).wrap_up(account_sid, worker_sid, _reservation(body), wrap)
    return JSONResponse(
        {
            "task_sid": done.task_sid,
            "outcome": done.outcome,
            "attributed": done.attributed,
            "noted": done.noted,
        }
    )


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@router.get("/desk/history")
async def customer_history(request: Request) -> JSONResponse:
    """`?reservation=WR...`: the earlier requests of the customer of the agent's task."""
    who = await require(request, AGENTS)
    account_sid, worker_sid = _agent(who)
    reservation_sid = request.query_params.get("reservation", "")[:34]
    if not sids.is_sid(reservation_sid, sids.RESERVATION):
        raise InvalidParameter("reservation is not a Reservation sid")
    rows = await desk_of(request).customer_history(account_sid, worker_sid, reservation_sid)
    return JSONResponse(
        {
            "requests": [
                {
                    "case_number": row.case_number,
                    "category": row.category,
                    "status": row.status,
                    "opened": _iso(row.opened_ms),
                    "closed": _iso(row.closed_ms),
                    "member": row.member,
                    "rating": row.rating,
                    "subject": row.subject,
                    "conversation_url": (
                        f"/desk/conversations/{row.interaction_sid}"
                        if row.interaction_sid
                        else None
                    ),
                }
                for row in rows
            ]
        }
    )


@router.post("/desk/call")
async def call_control(request: Request) -> JSONResponse:
    """`{reservation_sid, action, colleague?}`: accept, hold, resume, transfer, hang up."""
    who = await require(request, AGENTS)
    check_csrf(request, who)
    account_sid, worker_sid = _agent(who)
    body = await _json_body(request)
    action = _field(body, "action", 16)
    if action not in CALL_ACTIONS:
        raise InvalidParameter(f"action is one of {', '.join(CALL_ACTIONS)}")
    colleague = _field(body, "colleague", 34) or None
    outcome = await desk_of(request).call_control(
        account_sid, worker_sid, _reservation(body), action, colleague
    )
    return JSONResponse({"action": action, "outcome": outcome})


# -- the conversation view, kept live -------------------------------------------------------

LIVE_REFUSED = 4401
LIVE_COALESCE = 0.05  # seconds: one notice per burst of changes
LIVE_KEEPALIVE = 15.0  # a quiet conversation re-checks the session this often


async def conversation_live(websocket: WebSocket, sid: str) -> None:
    """`{"type": "ready"}` once following, then `{"type": "changed"}` after each committed
    change of a conversation the signed-in agent sees (the page then reads its view
    again); closed with 4401 for anyone else."""
    await websocket.accept()
    who = await signed_in(websocket)
    if who is None or who.user.role != AGENT or who.user.worker_sid is None:
        await websocket.close(LIVE_REFUSED, "sign in as an agent")
        return
    if not same_origin(websocket):
        await websocket.close(LIVE_REFUSED, "not from this server")
        return
    account_sid, worker_sid = who.user.account_sid, who.user.worker_sid
    desk: Desk = deps(websocket).get(Desk)  # type: ignore[type-abstract]
    sid = sid[:64]

    async def visible() -> bool:
        try:
            await desk.conversation(account_sid, worker_sid, sid)
        except (NotFound, InvalidParameter):
            return False
        return await signed_in(websocket) is not None

    if not await visible():
        await websocket.close(LIVE_REFUSED, "not a conversation of yours")
        return
    changed = asyncio.Event()
    stop = desk.follow(account_sid, sid, changed.set)
    reader = asyncio.ensure_future(_drain(websocket))
    try:
        # following from here on: the page reads its view once more, so nothing that
        # happened since it was rendered is missed
        await websocket.send_json({"type": "ready"})
        while not reader.done():
            waiter = asyncio.ensure_future(changed.wait())
            await asyncio.wait(
                {reader, waiter}, timeout=LIVE_KEEPALIVE, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            if reader.done():
                return
            await asyncio.sleep(LIVE_COALESCE)
            news = changed.is_set()
            changed.clear()
            if not await visible():
                await websocket.close(LIVE_REFUSED, "the session or the conversation ended")
                return
            if news:
                await websocket.send_json({"type": "changed"})
    except WebSocketDisconnect:
        pass
    finally:
        stop()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await reader


async def _drain(websocket: WebSocket) -> None:
    """The page sends nothing that matters; reading notices when it goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_api_websocket_route("/desk/conversations/{sid}/live", conversation_live)
