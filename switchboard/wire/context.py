"""What every route shares: the authenticated request context, paging and JSON responses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from switchboard.kernel.criteria import Query
from switchboard.kernel.ports import Store, Unit
from switchboard.wire.auth import authenticated_account
from switchboard.wire.deps import deps
from switchboard.wire.paging import Page, envelope, page_of_items, page_of_query, page_request
from switchboard.wire.params import Params, read_params

T = TypeVar("T")
JSON = dict[str, Any]


class _SidConvertor(Convertor[str]):
    """Path segments that only match a sid of one type, so `/Workers/Statistics` stays free."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def register_sid_convertors(*prefixes: str) -> None:
    """`{name:wk}` in a route path matches only `WK` + 32 hex digits."""
    for prefix in prefixes:
        convertor = type(
            f"{prefix}Convertor", (_SidConvertor,), {"regex": prefix + "[0-9a-fA-F]{32}"}
        )
        register_url_convertor(prefix.lower(), convertor())


@dataclass(frozen=True)
class Ctx:
    """The authenticated request: who asks, with which parameters."""

    request: Request
    account_sid: str
    params: Params

    @property
    def store(self) -> Store:
        return deps(self.request).get(Store)  # type: ignore[type-abstract]

    @property
    def base(self) -> str:
        """Absolute API root (`http://host:port/v1`), taken from the request so any port works."""
        return str(self.request.base_url).rstrip("/") + "/v1"

    @property
    def if_match(self) -> str | None:
        return self.request.headers.get("if-match")


async def context(request: Request) -> Ctx:
    # called here, not declared as sub-dependencies: FastAPI's resolution of nested
    # dependencies cost more CPU per request than the two calls
    account_sid = await authenticated_account(request)
    params = await read_params(request)
    return Ctx(request, account_sid, params)


def json_response(body: JSON, status: int = 200, version: int | None = None) -> JSONResponse:
    """A JSON body; `version` becomes the quoted ETag of Tasks and Workers."""
    headers = {"ETag": f'"{version}"'} if version is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


async def page_from_query(ctx: Ctx, unit: Unit, query: Query[T]) -> Page[T]:
    """One page of a listing, per the request's paging parameters."""
    return await page_of_query(unit, query, page_request(ctx.params))


def page_from_items(ctx: Ctx, items: Sequence[T]) -> Page[T]:
    """One page of records already filtered in Python (expression filters)."""
    return page_of_items(items, page_request(ctx.params))


def list_response(ctx: Ctx, key: str, page: Page[Any], records: list[JSON]) -> JSONResponse:
    """Twilio's list envelope around the page's rendered records."""
    return JSONResponse(envelope(ctx.request, key, page, records))
