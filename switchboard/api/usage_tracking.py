"""Counting every authenticated API call per account and category, off the hot path.

Two pieces cooperate. An ASGI middleware gives each HTTP request an empty slot
in its scope and, once the response is sent, counts the call when the slot holds
an account. The slot is filled by the authentication dependency: `install`
overrides :func:`~switchboard.api.auth.authenticated_account` with a wrapper
that calls it and notes who was authenticated. So exactly the calls that passed
authentication are counted (whatever their status), and a request answered 401
or rejected by fair scheduling costs nothing.

Counting is one in-memory increment; :class:`~switchboard.services.usage.UsageMeter`
prices and flushes the counters in the background.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.api.auth import authenticated_account
from switchboard.services.context import Services
from switchboard.services.usage import UsageMeter, UsageSettings

SLOT = "switchboard.usage_slot"
# the TaskRouter collection under a workspace -> usage category
_TASKROUTER = {
    "activities": "taskrouter.activities",
    "taskchannels": "taskrouter.task-channels",
    "taskqueues": "taskrouter.task-queues",
    "workflows": "taskrouter.workflows",
    "workers": "taskrouter.workers",
    "tasks": "taskrouter.tasks",
    "events": "taskrouter.events",
    "statistics": "taskrouter.statistics",
    "cumulativestatistics": "taskrouter.statistics",
    "realtimestatistics": "taskrouter.statistics",
}
# the segment after /2010-04-01/Accounts/{Sid}/ -> usage category
_ACCOUNT_RESOURCES = {"usage": "api.usage", "balance.json": "api.balance"}
# the segment after /v1/ (other than Workspaces) -> usage category
_V1 = {
    "authtokens": "accounts.auth-tokens",
    "accountevents": "accounts.events",
    "fraudrules": "accounts.fraud-rules",
}
OTHER = "api.other"


def category_for(path: str) -> str:
    """The usage category of a request path, from a closed list (no unbounded names)."""
    parts = [part for part in path.split("/") if part]
    if parts[:2] == ["v1", "Workspaces"]:
        collection = parts[3].lower() if len(parts) > 3 else None
        return _TASKROUTER.get(collection or "", "taskrouter.workspaces")
    if parts[:1] == ["2010-04-01"]:
        resource = parts[3].lower() if len(parts) > 3 else None
        return _ACCOUNT_RESOURCES.get(resource or "", "api.accounts")
    if parts[:1] == ["v1"] and len(parts) > 1:
        return _V1.get(parts[1].lower(), OTHER)
    return OTHER


class _Slot:
    """Where the authentication dependency leaves the caller's account sid."""

    __slots__ = ("account_sid",)

    def __init__(self) -> None:
        self.account_sid: str | None = None


async def metered_account(request: Request) -> str:
    """`authenticated_account`, noting the account for the usage middleware."""
    account_sid = await authenticated_account(request)
    slot = request.scope.get(SLOT)
    if isinstance(slot, _Slot):
        slot.account_sid = account_sid
    return account_sid


class UsageMiddleware:
    """Counts each authenticated HTTP call once its handler has finished."""

    def __init__(self, app: ASGIApp, meter: UsageMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = _Slot()
        scope[SLOT] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            if slot.account_sid is not None:
                self.meter.count(slot.account_sid, category_for(scope["path"]))


def install(app: FastAPI, services: Services) -> UsageMeter:
    """Meter the app's calls; the caller starts and stops the returned meter (flushing)."""
    meter = UsageMeter(services.store, UsageSettings.from_env())
    app.state.usage_meter = meter
    app.dependency_overrides[authenticated_account] = metered_account
    app.add_middleware(UsageMiddleware, meter=meter)
    return meter
