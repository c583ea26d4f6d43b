"""The TaskRouter v1 HTTP application: routers plus Twilio-shaped errors for every failure."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from switchboard.api.auth import REALM_HEADER, CredentialCache
from switchboard.api.routes import ROUTERS
from switchboard.api.routes import statistics as statistics_routes
from switchboard.domain.errors import SwitchboardError
from switchboard.services.context import Services

log = logging.getLogger(__name__)

# Starlette's HTTP errors mapped to Twilio codes; any other status reuses 20001 (bad request)
_HTTP_CODES = {404: 20404, 405: 20004}


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


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, 20500, "Internal Server Error")


def create_app(services: Services) -> FastAPI:
    """The ASGI app; no generated docs routes, so nothing else lives beside `/v1`."""
    app = FastAPI(
        title="Switchboard TaskRouter v1", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.services = services
    app.state.credentials = CredentialCache()
    app.add_exception_handler(SwitchboardError, _switchboard_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    # statistics (issue #5): its literal paths (/Workers/Statistics...) are mounted first
    app.include_router(statistics_routes.router)
    for router in ROUTERS:
        app.include_router(router)
    return app
