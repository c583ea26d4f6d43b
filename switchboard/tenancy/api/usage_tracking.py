"""Counting every authenticated API call per account and category, off the hot path.

Two pieces cooperate. The authentication dependency
(:func:`~switchboard.wire.auth.authenticated_account`) leaves the account's sid in
the request's scope; an ASGI middleware, once the response is sent, counts the call
when the scope holds one. So exactly the calls that passed authentication are
counted (whatever their status), and a request answered 401 or rejected by fair
scheduling costs nothing. (An earlier version overrode the dependency instead:
FastAPI then rebuilds every route's dependency graph on every request.)

Counting is one in-memory increment; :class:`~switchboard.tenancy.usage.UsageMeter`
prices and flushes the counters in the background.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.tenancy.usage import UsageMeter
from switchboard.wire.auth import AUTHENTICATED

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


class UsageMiddleware:
    """Counts each authenticated HTTP call once its handler has finished."""

    def __init__(self, app: ASGIApp, meter: UsageMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            account_sid = scope.get(AUTHENTICATED)
            if account_sid is not None:
                self.meter.count(account_sid, category_for(scope["path"]))


def install(app: FastAPI, meter: UsageMeter) -> UsageMeter:
    """Meter the app's calls; the caller starts and stops the meter (flushing)."""
    app.add_middleware(UsageMiddleware, meter=meter)
    return meter
