"""Real HTTP on 127.0.0.1: the Switchboard app under uvicorn, and a callback receiver.

Both run in the test's own event loop (uvicorn's `Server.serve()` as a task), so a
test can drive the services directly and watch the network side at the same time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from switchboard.distribution.config.document_source import set_document_source
from switchboard.distribution.config.task_queues import TaskQueueFields, create_task_queue
from switchboard.distribution.config.workflows import WorkflowFields, create_workflow
from switchboard.distribution.config.workspaces import WorkspaceCreate, create_workspace
from switchboard.distribution.domain.records import Activity, Event
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.tasks import TaskCreate, create_task
from switchboard.distribution.work.workers import WorkerCreate, create_worker
from switchboard.kernel.clock import FakeClock
from switchboard.kernel.criteria import eq
from switchboard.kernel.media import RecordingMediaAdapter
from switchboard.kernel.ports import Clock
from switchboard.outbound.settings import OutboundSettings
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.live import HTTP_TIMEOUT, free_port

# The server and the callback receiver share one event loop, and CI runs on a loaded
# 2-core machine: a 1 s answer timeout once failed an assignment there (no retries, so
# the reservation never moved). Tests of a timeout tighten it through `Live.outbound`.
ANSWER_TIMEOUT = 5.0


def fast_settings() -> OutboundSettings:
    """Loopback allowed (nothing else private), short backoffs, timeouts a loaded
    machine meets (Twilio's own 5 s for assignments)."""
    settings = OutboundSettings.loopback_only()
    settings.assignment_timeout = ANSWER_TIMEOUT
    settings.event_timeout = ANSWER_TIMEOUT
    settings.document_timeout = ANSWER_TIMEOUT
    settings.backoff_initial = 0.05
    settings.backoff_max = 0.2
    return settings


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """`app` on a free 127.0.0.1 port for the block; yields its base URL."""
    port = free_port()
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
        await asyncio.wait_for(task, 60)  # a safety net: a loaded machine shuts down slowly


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll an async check until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


@dataclass
class Hit:
    """One request the receiver got."""

    path: str
    url: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]

    @property
    def signature(self) -> str:
        return self.headers.get("x-twilio-signature", "")

    def json(self) -> Any:
        return json.loads(self.body)


Plan = Callable[[Hit], Awaitable[Response]]


@dataclass
class Receiver:
    """A customer's web app: records every POST, answers as told per path (default 204)."""

    base_url: str = ""
    hits: list[Hit] = field(default_factory=list)
    plans: dict[str, Plan] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def on(self, path: str, plan: Plan) -> None:
        self.plans[path] = plan

    def answer(self, path: str, body: Any = None, status: int = 200) -> None:
        async def plan(_hit: Hit) -> Response:
            if body is None:
                return Response(status_code=status)
            return JSONResponse(body, status_code=status)

        self.on(path, plan)

    def hang(self, path: str) -> None:
        """Never answer (until the test ends): the sender's timeout must cut it."""

        async def plan(_hit: Hit) -> Response:
            await self.release.wait()
            return Response(status_code=204)

        self.on(path, plan)

    def of(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        form: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith("application/x-www-form"):
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        hit = Hit(request.path_params["path"], str(request.url), dict(request.headers), body, form)
        self.hits.append(hit)
        plan = self.plans.get(hit.path)
        return await plan(hit) if plan is not None else Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    async with serve(receiver.app()) as base_url:
        receiver.base_url = base_url
        try:
            yield receiver
        finally:
            receiver.release.set()


@dataclass
class Live:
    """A running server (uvicorn, real sockets) and one tenant's workspace in it."""

    runtime: Runtime
    base_url: str
    account_sid: str
    auth_token: str
    workspace_sid: str = ""
    activities: dict[str, str] = field(default_factory=dict)

    @property
    def svc(self) -> Services:
        return self.runtime.services

    @property
    def clock(self) -> FakeClock:
        clock = self.svc.clock
        assert isinstance(clock, FakeClock), "this server runs on the real clock"
        return clock

    @property
    def outbound(self) -> OutboundSettings:
        """The settings the callback senders read at each attempt (tests may tighten them)."""
        return self.runtime.core.outbound_settings

    @property
    def media(self) -> RecordingMediaAdapter:
        """The server's media adapter: it records every request (and fails on demand)."""
        assert isinstance(self.svc.media, RecordingMediaAdapter)
        return self.svc.media

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, auth=(self.account_sid, self.auth_token), timeout=HTTP_TIMEOUT
        )

    async def workspace(
        self, event_url: str | None = None, events_filter: str | None = None
    ) -> str:
        params = WorkspaceCreate("Live", event_callback_url=event_url, events_filter=events_filter)
        workspace = await create_workspace(self.svc, self.account_sid, params)
        self.workspace_sid = workspace.sid
        async with self.svc.store.read() as unit:
            rows = await unit.select(Activity, eq("workspace_sid", workspace.sid))
        self.activities = {a.friendly_name: a.sid for a in rows}
        return workspace.sid

    async def queue(self, name: str, target_workers: str = "1==1") -> str:
        fields = TaskQueueFields(friendly_name=name, target_workers=target_workers)
        queue = await create_task_queue(self.svc, self.account_sid, self.workspace_sid, fields)
        return queue.sid

    async def workflow(
        self,
        queue_sid: str,
        *,
        assignment_url: str | None = None,
        fallback_url: str | None = None,
        document_url: str | None = None,
        use_stored: bool | None = None,
        routing: dict[str, Any] | None = None,
    ) -> str:
        document = routing or {"task_routing": {"default_filter": {"queue": queue_sid}}}
        fields = WorkflowFields(
            friendly_name="wf",
            configuration=json.dumps(document),
            assignment_callback_url=assignment_url,
            fallback_assignment_callback_url=fallback_url,
        )
        workflow = await create_workflow(self.svc, self.account_sid, self.workspace_sid, fields)
        if document_url is not None or use_stored is not None:
            await set_document_source(
                self.svc,
                self.account_sid,
                self.workspace_sid,
                workflow.sid,
                document_url=document_url,
                use_stored_document=use_stored,
            )
        return workflow.sid

    async def worker(self, name: str, activity: str = "Available", **attributes: Any) -> str:
        params = WorkerCreate(name, self.activities[activity], json.dumps(attributes))
        return (await create_worker(self.svc, self.account_sid, self.workspace_sid, params)).sid

    async def task(self, workflow_sid: str, **attributes: Any) -> str:
        params = TaskCreate(attributes=json.dumps(attributes), workflow_sid=workflow_sid)
        return (await create_task(self.svc, self.account_sid, self.workspace_sid, params)).sid

    async def rows(self, model: type[Any], **where: Any) -> list[Any]:
        async with self.svc.store.read() as unit:
            return await unit.select(model, *(eq(key, value) for key, value in where.items()))

    async def get(self, model: type[Any], key: str) -> Any:
        async with self.svc.store.read() as unit:
            return await unit.get(model, key)

    async def events(self, event_type: str) -> list[Event]:
        return await self.rows(Event, workspace_sid=self.workspace_sid, event_type=event_type)


@asynccontextmanager
async def live_server(
    database_url: str, clock: Clock | None = None, outbound: OutboundSettings | None = None
) -> AsyncIterator[Live]:
    """`clock`: a FakeClock makes the server's timers (offers, pings) wait for the test;
    `outbound`: callback settings other than :func:`fast_settings`."""
    settings = Settings(database_url=database_url, fraud_interval=0)
    runtime = build_runtime(
        settings, outbound=outbound or fast_settings(), media=RecordingMediaAdapter(), clock=clock
    )
    async with serve(runtime.app) as base_url:
        account, token = await runtime.core.accounts.create("live")
        yield Live(runtime, base_url, account.sid, token)
