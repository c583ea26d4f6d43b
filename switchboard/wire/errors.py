"""Twilio's error body for every failure, and the exception handlers that produce it."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.kernel.errors import SwitchboardError
from switchboard.wire.auth import REALM_HEADER

log = logging.getLogger(__name__)

# Starlette's HTTP errors mapped to Twilio codes; any other status reuses 20001 (bad request)
_HTTP_CODES = {404: 20404, 405: 20004}
# the header Twilio names its request ids with; every unexpected error carries one
REQUEST_ID_HEADER = "Twilio-Request-Id"


def error_response(status: int, code: int, message: str) -> JSONResponse:
    """Twilio's error body; a 401 also asks for Basic credentials."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = REALM_HEADER if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def _switchboard_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SwitchboardError)
    return error_response(exc.status, exc.code, exc.message)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"The requested resource {request.url.path} was not found"
    elif exc.status_code == 405:
        message = f"Method {request.method} not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = _HTTP_CODES.get(exc.status_code, 20001 if exc.status_code < 500 else 20500)
    return error_response(exc.status_code, code, message)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = "; ".join(str(error.get("msg", "")) for error in exc.errors())
    return error_response(400, 20001, f"Invalid request: {details}")


def new_request_id() -> str:
    """`RQ` + 32 hex digits, like Twilio's request ids."""
    return "RQ" + uuid.uuid4().hex


class ErrorGuard:
    """ASGI middleware: an unexpected exception becomes Twilio's 500 body, here.

    Starlette's own last-resort handler answers and then re-raises, so the exception
    reaches the server, which resets the keep-alive connection and breaks the
    client's next request. This guard swallows it instead: the error is logged once,
    with a request id the response carries in `Twilio-Request-Id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:  # the last resort: nothing may reach the server
            request_id = new_request_id()
            log.exception(
                "unhandled error %s on %s %s", request_id, scope.get("method"), scope.get("path")
            )
            if not started:  # once a response began, only closing the connection is left
                response = error_response(500, 20500, f"Internal Server Error ({request_id})")
                response.headers[REQUEST_ID_HEADER] = request_id
                await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Every failure answers with Twilio's JSON error body; unexpected ones through the
    :class:`ErrorGuard`, which the composition root adds (and adds outermost again)."""
    app.add_exception_handler(SwitchboardError, _switchboard_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(ErrorGuard)
