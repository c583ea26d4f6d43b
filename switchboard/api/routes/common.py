"""What every route shares: the request context, workspace loading and responses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import Convertor, register_url_convertor

from switchboard.api.auth import authenticated_account
from switchboard.api.paging import Page, envelope, page_of_items, page_of_query, page_request
from switchboard.api.params import Params, read_params
from switchboard.domain import sids
from switchboard.services.access import access_workspace
from switchboard.services.context import Services
from switchboard.store import tables as t

T = TypeVar("T")
JSON = dict[str, Any]
NAME_LENGTH = 64
MAX_ATTRIBUTES = 4096


class _SidConvertor(Convertor[str]):
    """Path segments that only match a sid of one type, so `/Workers/Statistics` stays free."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def _register_sid_convertors() -> None:
    prefixes = (
        sids.WORKSPACE,
        sids.ACTIVITY,
        sids.TASK_QUEUE,
        sids.WORKFLOW,
        sids.WORKER,
        sids.TASK,
        sids.RESERVATION,
        sids.EVENT,
    )
    for prefix in prefixes:
        convertor = type(
            f"{prefix}Convertor", (_SidConvertor,), {"regex": prefix + "[0-9a-fA-F]{32}"}
        )
        register_url_convertor(prefix.lower(), convertor())


_register_sid_convertors()


@dataclass(frozen=True)
class Ctx:
    """The authenticated request: who asks, with which parameters, against which services."""

    request: Request
    account_sid: str
    params: Params
    svc: Services

    @property
    def base(self) -> str:
        """Absolute API root (`http://host:port/v1`), taken from the request so any port works."""
        return str(self.request.base_url).rstrip("/") + "/v1"

    @property
    def if_match(self) -> str | None:
        return self.request.headers.get("if-match")

    async def workspace(self, workspace_sid: str) -> t.Workspace:
        """The caller's workspace (404 for anyone else's), for rendering a written row."""
        async with self.reading(workspace_sid) as (_session, workspace):
            return workspace

    @asynccontextmanager
    async def reading(self, workspace_sid: str) -> AsyncIterator[tuple[AsyncSession, t.Workspace]]:
        """A read session and the caller's workspace (404 for anyone else's)."""
        async with self.svc.store.read() as session:
            yield session, await access_workspace(session, self.account_sid, workspace_sid)


async def context(
    request: Request,
    account_sid: str = Depends(authenticated_account),
    params: Params = Depends(read_params),
) -> Ctx:
    return Ctx(request, account_sid, params, request.app.state.services)


def json_response(body: JSON, status: int = 200, version: int | None = None) -> JSONResponse:
    """A JSON body; `version` becomes the quoted ETag of Tasks and Workers."""
    headers = {"ETag": f'"{version}"'} if version is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


async def page_from_query(ctx: Ctx, session: AsyncSession, query: Select[T]) -> Page[T]:
    """One page of a SQL query, per the request's paging parameters."""
    return await page_of_query(session, query, page_request(ctx.params))


def page_from_items(ctx: Ctx, items: Sequence[T]) -> Page[T]:
    """One page of rows already filtered in Python (expression filters)."""
    return page_of_items(items, page_request(ctx.params))


def list_response(ctx: Ctx, key: str, page: Page[Any], records: list[JSON]) -> JSONResponse:
    """Twilio's list envelope around the page's rendered records."""
    return JSONResponse(envelope(ctx.request, key, page, records))
