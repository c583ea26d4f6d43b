"""The pages: sign-in, the agent desktop and the supervisor page (server-rendered).

Each page renders what it knows at request time; its script then keeps it live: the
desktop over the worker's own websocket channel (the public protocol), the
supervisor page over `/supervisor/live` (:mod:`switchboard.web.live`).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from switchboard.kernel import sids
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError
from switchboard.web import charts
from switchboard.web.domain.people import ADMIN, AGENT, SUPERVISING
from switchboard.web.people import NewUser, SignedIn, SignInRefused
from switchboard.web.ports import OUTCOME_LABELS, Floor, Named, Supervisor
from switchboard.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Forbidden,
    check_csrf,
    login_token,
    people_of,
    render,
    require,
    same_origin,
    set_login_cookie,
    set_session_cookie,
    signed_in,
)
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

TOKEN_TTL = 3600  # the desktop mints a new token whenever it reconnects
CHANNEL_PATH = "/v1/wschannels/{account_sid}/{worker_sid}"
router = GatedRouter(include_in_schema=False)


def floor_of(request: Request) -> Floor:
    return deps(request).get(Floor)  # type: ignore[type-abstract]


def landing(who: SignedIn) -> str:
    return "/desk" if who.user.role == AGENT else "/supervisor"


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def _form_text(form: Any, name: str, limit: int = 320) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.get("/login")
async def login_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is not None:
        return RedirectResponse(landing(who), status_code=303)
    return _login_form(request, None, "", 200)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    email, password = _form_text(form, "email"), _form_text(form, "password", 1024)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or _form_text(form, "csrf_token") != cookie or not same_origin(request):
        return _login_form(request, "The form expired: please sign in again.", email, 403)
    try:
        token, who = await people_of(request).sign_in(email, password)
    except SignInRefused as refused:
        message = (
            "Too many failed attempts: this user is locked for a while."
            if refused.locked
            else "Wrong e-mail or password."
        )
        return _login_form(request, message, email, 401)
    response = RedirectResponse(landing(who), status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_form(request: Request, error: str | None, email: str, status: int) -> Response:
    csrf = login_token(request)
    page = render("login.html", status, who=None, error=error, email=email, csrf=csrf)
    set_login_cookie(page, request, csrf)
    return page


@router.post("/logout")
async def logout(request: Request) -> Response:
    who = await signed_in(request)
    if who is not None:
        form = await request.form()
        check_csrf(request, who, _form_text(form, "csrf_token"))
        await people_of(request).sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/desk")
async def desk(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return _to_login(request)
    user = who.user
    if user.role != AGENT or user.worker_sid is None or user.workspace_sid is None:
        return render(
            "error.html",
            403,
            who=who,
            title="The desktop is for agents",
            message="Your role watches the floor from the supervisor page.",
        )
    floor = floor_of(request)
    worker = await floor.worker(user.account_sid, user.worker_sid)
    if worker is None:
        return render(
            "error.html",
            404,
            who=who,
            title="Your worker is gone",
            message="Ask an administrator to link you to a worker again.",
        )
    activities = await floor.activities(user.account_sid, worker.workspace_sid)
    view = await floor.floor(user.account_sid, worker.workspace_sid)
    colleagues = [Named(w.sid, w.friendly_name) for w in view.workers if w.sid != worker.sid]
    outcomes = list(OUTCOME_LABELS.items())
    return render(
        "desk.html",
        who=who,
        worker=worker,
        activities=activities,
        colleagues=colleagues,
        outcomes=outcomes,
    )


@router.post("/desk/token")
async def desk_token(request: Request) -> JSONResponse:
    """A worker token for the signed-in agent's own channel (the desktop reconnects with it)."""
    who = await require(request, frozenset({AGENT}))
    check_csrf(request, who)
    user = who.user
    if user.worker_sid is None or user.workspace_sid is None:
        raise Forbidden("This user is not linked to a worker")
    floor = floor_of(request)
    token = await floor.worker_token(
        user.account_sid, user.workspace_sid, user.worker_sid, TOKEN_TTL
    )
    path = CHANNEL_PATH.format(account_sid=user.account_sid, worker_sid=user.worker_sid)
    body = {
        "token": token,
        "channel_path": path,
        "ttl": TOKEN_TTL,
        "worker_sid": user.worker_sid,
        "workspace_sid": user.workspace_sid,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def chosen_workspace(request: Request, who: SignedIn) -> str | None:
    """`?workspace=`, else the user's own, else the account's first (None: it has none)."""
    asked = request.query_params.get("workspace")
    if asked:
        if not sids.is_sid(asked, sids.WORKSPACE):
            raise InvalidParameter(f"'{asked[:40]}' is not a Workspace sid")
        return asked
    if who.user.workspace_sid:
        return who.user.workspace_sid
    names = await floor_of(request).workspaces(who.user.account_sid)
    return names[0].sid if names else None


@router.get("/supervisor")
async def supervisor(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return _to_login(request)
    if who.user.role not in SUPERVISING:
        return render(
            "error.html",
            403,
            who=who,
            title="The supervisor page is for supervisors",
            message="Agents work from the desktop.",
        )
    floor = floor_of(request)
    try:
        workspace_sid = await chosen_workspace(request, who)
        view = await floor.floor(who.user.account_sid, workspace_sid) if workspace_sid else None
    except (NotFound, InvalidParameter):
        return render(
            "error.html",
            404,
            who=who,
            title="No such workspace",
            message="This workspace is not one of your account's.",
        )
    workspaces = await floor.workspaces(who.user.account_sid)
    supervision, drawn = None, []
    supervisor = deps(request).find(Supervisor)  # type: ignore[type-abstract]
    if supervisor is not None and view is not None:
        account_sid, sid = who.user.account_sid, view.workspace.sid
        supervision = await supervisor.supervision(account_sid, sid)
        drawn = [charts.render(chart) for chart in await supervisor.charts(account_sid, sid)]
    return render(
        "supervisor.html",
        who=who,
        view=view,
        workspaces=workspaces,
        supervision=supervision,
        charts=drawn,
    )


@router.post("/supervisor/workers/{worker_sid}/activity")
async def change_activity(request: Request, worker_sid: str) -> Response:
    who = await require(request, SUPERVISING)
    form = await request.form()
    check_csrf(request, who, _form_text(form, "csrf_token"))
    workspace_sid, activity_sid = (
        _form_text(form, "workspace_sid"),
        _form_text(form, "activity_sid"),
    )
    for value, prefix in (
        (worker_sid, sids.WORKER),
        (workspace_sid, sids.WORKSPACE),
        (activity_sid, sids.ACTIVITY),
    ):
        if not sids.is_sid(value, prefix):
            raise InvalidParameter(f"'{value[:40]}' is not a valid sid")
    await floor_of(request).set_activity(
        who.user.account_sid, workspace_sid, worker_sid, activity_sid
    )
    if request.headers.get("x-csrf-token"):
        return Response(status_code=204)
    return RedirectResponse(f"/supervisor?workspace={workspace_sid}", status_code=303)


@router.post("/supervisor/tasks/{task_sid}/move")
async def move_task(request: Request, task_sid: str) -> Response:
    """Form `workspace_sid` and `destination`: a TaskQueue sid (the task waits there) or a
    Workflow sid (it is routed again from the workflow's top)."""
    who = await require(request, SUPERVISING)
    form = await request.form()
    check_csrf(request, who, _form_text(form, "csrf_token"))
    workspace_sid, destination = _form_text(form, "workspace_sid"), _form_text(form, "destination")
    for value, prefix in ((task_sid, sids.TASK), (workspace_sid, sids.WORKSPACE)):
        if not sids.is_sid(value, prefix):
            raise InvalidParameter(f"'{value[:40]}' is not a valid sid")
    supervisor = deps(request).get(Supervisor)  # type: ignore[type-abstract]
    if sids.is_sid(destination, sids.TASK_QUEUE):
        await supervisor.move_task(
            who.user.account_sid, workspace_sid, task_sid, queue_sid=destination
        )
    elif sids.is_sid(destination, sids.WORKFLOW):
        await supervisor.move_task(
            who.user.account_sid, workspace_sid, task_sid, workflow_sid=destination
        )
    else:
        raise InvalidParameter("Move the task to a TaskQueue or a Workflow")
    if request.headers.get("x-csrf-token"):
        return Response(status_code=204)
    return RedirectResponse(f"/supervisor?workspace={workspace_sid}", status_code=303)


async def _workers_by_sid(floor: Floor, account_sid: str) -> dict[str, str]:
    """Every worker of the account, for linking agents: "Workspace / Worker" by sid."""
    found = {}
    for workspace in await floor.workspaces(account_sid):
        view = await floor.floor(account_sid, workspace.sid)
        for worker in view.workers:
            found[worker.sid] = f"{workspace.friendly_name} / {worker.friendly_name}"
    return found


async def _people_page(
    request: Request, who: SignedIn, status: int = 200, **notes: str | None
) -> Response:
    users = await people_of(request).users(who.user.account_sid)
    workers = await _workers_by_sid(floor_of(request), who.user.account_sid)
    return render("people.html", status, who=who, users=users, workers=workers, **notes)


@router.get("/admin/people")
async def people_page(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return _to_login(request)
    if who.user.role != ADMIN:
        return render(
            "error.html",
            403,
            who=who,
            title="People are managed by admins",
            message="Ask an admin of your account to add or change people.",
        )
    return await _people_page(request, who)


@router.post("/admin/people")
async def add_person(request: Request) -> Response:
    """An admin adds a person to their own account (an agent: linked to one of its workers)."""
    who = await require(request, frozenset({ADMIN}))
    form = await request.form()
    check_csrf(request, who, _form_text(form, "csrf_token"))
    new = NewUser(
        account_sid=who.user.account_sid,
        email=_form_text(form, "email"),
        friendly_name=_form_text(form, "friendly_name", 64),
        role=_form_text(form, "role", 16),
        password=_form_text(form, "password", 1024),
        worker_sid=_form_text(form, "worker_sid", 34) or None,
    )
    try:
        user = await people_of(request).create(new)
    except SwitchboardError as error:
        return await _people_page(request, who, error.status, error=error.message)
    return await _people_page(request, who, added=user.email)


def install(app: FastAPI) -> None:
    app.include_router(router)
    static = StaticFiles(directory=str(files("switchboard.web") / "static"))
    app.mount("/static", static, name="static")
