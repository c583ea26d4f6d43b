"""A local stand-in for Twilio's Messages API: checks each request's shape and Basic auth
and answers as Twilio does (201 with a message sid), or with an outage when told to."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.live import free_port


@dataclass
class FakeTwilio:
    """Every accepted message, every refused request, and how many outages are left."""

    account_sid: str
    auth_token: str
    sent: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    outages: int = 0
    attempts: int = 0
    url: str = ""
    calls: list[dict[str, str]] = field(default_factory=list)  # Calls API requests

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    async def messages(self, request: Request) -> JSONResponse:
        self.attempts += 1
        if request.path_params["account"] != self.account_sid or not self._authorized(request):
            self.refused.append("auth")
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        missing = [name for name in ("To", "From", "Body") if not form.get(name)]
        if missing or not form["To"].startswith("+"):
            self.refused.append(f"shape: {sorted(form)}")
            return JSONResponse({"code": 21604, "message": "bad request"}, status_code=400)
        if self.outages > 0:
            self.outages -= 1
            return JSONResponse({"code": 20500, "message": "outage"}, status_code=503)
        sid = "SM" + uuid.uuid4().hex
        self.sent.append({**form, "sid": sid})
        return JSONResponse(_message(sid, form, self.account_sid), status_code=201)

    async def call_api(self, request: Request) -> JSONResponse:
        """`POST /Calls.json` (a new call) and `POST /Calls/{sid}.json` (update a call)."""
        if request.path_params["account"] != self.account_sid or not self._authorized(request):
            self.refused.append("auth")
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        sid = request.path_params.get("call") or "CA" + uuid.uuid4().hex
        # Twilio's call update also takes `Status=completed` alone (hang up)
        ends = request.path_params.get("call") and form.get("Status") == "completed"
        if not (form.get("Twiml") or form.get("Url") or ends):
            self.refused.append(f"shape: {sorted(form)}")
            return JSONResponse({"code": 21205, "message": "Url or Twiml"}, status_code=400)
        self.calls.append({**form, "sid": sid, "path": request.url.path})
        return JSONResponse({"sid": sid, "status": "in-progress"}, status_code=200)

    def app(self) -> Starlette:
        root = "/2010-04-01/Accounts/{account}"
        return Starlette(
            routes=[
                Route(f"{root}/Messages.json", self.messages, methods=["POST"]),
                Route(f"{root}/Calls.json", self.call_api, methods=["POST"]),
                Route(f"{root}/Calls/{{call}}.json", self.call_api, methods=["POST"]),
            ]
        )


def _message(sid: str, form: dict[str, str], account_sid: str) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": account_sid,
        "to": form["To"],
        "from": form["From"],
        "body": form["Body"],
        "status": "queued",
    }


@asynccontextmanager
async def fake_twilio(account_sid: str, auth_token: str) -> AsyncIterator[FakeTwilio]:
    provider = FakeTwilio(account_sid, auth_token)
    async with serve(provider.app()) as url:
        provider.url = url
        yield provider


@asynccontextmanager
async def serve(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """`app` under uvicorn on 127.0.0.1 (`port`, or a free one) for the block."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60  # a safety net: a loaded CI machine starts slowly
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
