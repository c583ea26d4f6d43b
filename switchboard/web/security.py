"""Sessions, CSRF and the headers every page carries.

* The session cookie is HttpOnly, SameSite=Lax, and Secure when the request came over
  TLS (directly or as the proxy says through uvicorn's `--proxy-headers`).
* Every state-changing call carries the session's CSRF token (a form field or the
  `X-CSRF-Token` header) and, when the browser sends one, an Origin of this server.
  The sign-in form, before any session exists, uses a double-submit cookie instead.
* Pages answer with a Content-Security-Policy that allows scripts only from this
  server (no `unsafe-inline`), no framing, and websockets back to this server.
"""

from __future__ import annotations

import secrets
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response

from switchboard.kernel.errors import SwitchboardError, Unauthorized
from switchboard.web.domain import people as rules
from switchboard.web.people import People, SignedIn
from switchboard.wire.deps import deps

SESSION_COOKIE = "sb_session"
LOGIN_CSRF_COOKIE = "sb_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_TEMPLATES = Environment(
    loader=FileSystemLoader(str(files("switchboard.web") / "templates")),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class Forbidden(SwitchboardError):
    """Signed in, but this role may not do this (or the CSRF check failed)."""

    status = 403
    code = 20403


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def people_of(connection: HTTPConnection) -> People:
    return deps(connection).get(People)


async def signed_in(connection: HTTPConnection) -> SignedIn | None:
    """The user whose live session the cookie names, if any."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await people_of(connection).session(token)


def is_tls(request: Request) -> bool:
    return request.url.scheme in ("https", "wss")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=rules.SESSION_MS // 1000,
        httponly=True,
        samesite="lax",
        secure=is_tls(request),
        path="/",
    )


def login_token(request: Request) -> str:
    """The sign-in form's token: the one its cookie already holds, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    """The sign-in form's token mirrored in a short-lived cookie (double submit)."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=is_tls(request),
        path="/login",
    )


def same_origin(connection: HTTPConnection) -> bool:
    """A browser names the page's origin; it must be this server (no cross-site calls)."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_csrf(request: Request, who: SignedIn, form_token: str | None = None) -> None:
    """The session's token in the header or the form, from this server's own page."""
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not same_origin(request) or not secrets.compare_digest(sent, who.csrf_token):
        raise Forbidden("The CSRF token is missing or wrong: reload the page and try again")


async def require(request: Request, roles: frozenset[str] | None = None) -> SignedIn:
    """The signed-in user for an API call of the pages (401 or 403 otherwise)."""
    who = await signed_in(request)
    if who is None:
        raise Unauthorized("Sign in first")
    if roles is not None and who.user.role not in roles:
        raise Forbidden(f"A {who.user.role} may not do this")
    return who
