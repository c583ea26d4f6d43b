"""What every TaskRouter route shares: its context (with the services), workspace loading."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import Request

from switchboard.distribution.domain.records import Workspace
from switchboard.distribution.work.access import access_workspace
from switchboard.distribution.work.context import Services
from switchboard.kernel import sids
from switchboard.kernel.ports import Unit
from switchboard.wire import context as wire
from switchboard.wire.auth import authenticated_account
from switchboard.wire.context import (
    JSON,
    json_response,
    list_response,
    no_content,
    page_from_items,
    page_from_query,
)
from switchboard.wire.deps import deps
from switchboard.wire.params import read_params

__all__ = [
    "JSON",
    "MAX_ATTRIBUTES",
    "NAME_LENGTH",
    "Ctx",
    "context",
    "json_response",
    "list_response",
    "no_content",
    "page_from_items",
    "page_from_query",
]

NAME_LENGTH = 64
MAX_ATTRIBUTES = 4096

wire.register_sid_convertors(
    sids.WORKSPACE,
    sids.ACTIVITY,
    sids.TASK_QUEUE,
    sids.WORKFLOW,
    sids.WORKER,
    sids.TASK,
    sids.RESERVATION,
    sids.EVENT,
)


@dataclass(frozen=True)
class Ctx(wire.Ctx):
    """The authenticated request plus the distribution services."""

    svc: Services

    async def workspace(self, workspace_sid: str) -> Workspace:
        """The caller's workspace (404 for anyone else's), for rendering a written record."""
        async with self.reading(workspace_sid) as (_unit, workspace):
            return workspace

    @asynccontextmanager
    async def reading(
        self, workspace_sid: str, *, short: bool = False
    ) -> AsyncIterator[tuple[Unit, Workspace]]:
        """A read unit and the caller's workspace (404 for anyone else's); `short` for a
        read of a few rows by key (see `Store.read`)."""
        async with self.svc.store.read(short=short) as unit:
            yield unit, await access_workspace(unit, self.account_sid, workspace_sid)


async def context(request: Request) -> Ctx:
    # called here, not declared as sub-dependencies: FastAPI's resolution of nested
    # dependencies cost more CPU per request than the two calls
    account_sid = await authenticated_account(request)
    params = await read_params(request)
    return Ctx(request, account_sid, params, deps(request).get(Services))
