"""Twilio's list envelope and paging: `PageSize`, `Page` and an opaque `PageToken`.

The SDK follows `meta.next_page_url` verbatim, so every URL is absolute and
repeats the request's filters. The token is simply `PT<offset>`; `Page` alone
(absolute paging) keeps working too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from switchboard.kernel import limits
from switchboard.kernel.criteria import Query
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit
from switchboard.wire.params import Params

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# the last page whose offset (page x largest size, plus one row) still fits in 64 bits
MAX_PAGE = limits.INT64_MAX // MAX_PAGE_SIZE - 2
PAGING_KEYS = frozenset({"PageSize", "Page", "PageToken"})
_TOKEN_PREFIX = "PT"  # noqa: S105 - a page token marker, not a secret

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int
    offset: int
    token: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    records: list[T]
    has_next: bool
    request: PageRequest


def page_request(params: Params) -> PageRequest:
    size = params.integer("PageSize", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    number = params.integer("Page", 0, MAX_PAGE)
    token = params.raw("PageToken")
    if token is None:
        number = number or 0
        return PageRequest(number, size, number * size)
    offset = _token_offset(token)
    return PageRequest(offset // size if number is None else number, size, offset, token)


def _token_offset(token: str) -> int:
    digits = token.removeprefix(_TOKEN_PREFIX)
    if not token.startswith(_TOKEN_PREFIX) or not digits.isdigit() or len(digits) > 18:
        raise InvalidParameter(f"Invalid PageToken: {token[:40]!r}")
    return int(digits)


async def page_of_query(unit: Unit, query: Query[T], page: PageRequest) -> Page[T]:
    """One page straight from the store; one extra record tells whether a next page exists."""
    rows = await unit.select(
        query.kind, *query.where, order=query.order, limit=page.size + 1, offset=page.offset
    )
    return Page(rows[: page.size], len(rows) > page.size, page)


def page_of_items(items: Sequence[T], page: PageRequest) -> Page[T]:
    """One page of rows already filtered in Python (expression filters)."""
    chunk = list(items[page.offset : page.offset + page.size + 1])
    return Page(chunk[: page.size], len(chunk) > page.size, page)


def envelope(
    request: Request, key: str, page: Page[Any], records: list[dict[str, Any]]
) -> dict[str, Any]:
    """`{"<key>": [...], "meta": {...}}` with absolute URLs that keep the filters."""
    current = page.request
    link = _Linker(request, current.size)
    previous = None
    if current.offset > 0:
        previous = link(max(current.number - 1, 0), max(current.offset - current.size, 0))
    return {
        key: records,
        "meta": {
            "key": key,
            "page": current.number,
            "page_size": current.size,
            "first_page_url": link(0, None),
            "previous_page_url": previous,
            "next_page_url": link(current.number + 1, current.offset + current.size)
            if page.has_next
            else None,
            "url": link(current.number, current.offset if current.token else None),
        },
    }


class _Linker:
    """Builds page URLs: the path, the non-paging query parameters, then paging."""

    def __init__(self, request: Request, size: int) -> None:
        self.base = str(request.url).split("?", 1)[0]
        self.filters = [
            (k, v) for k, v in request.query_params.multi_items() if k not in PAGING_KEYS
        ]
        self.size = size

    def __call__(self, number: int, offset: int | None) -> str:
        query = [*self.filters, ("PageSize", str(self.size)), ("Page", str(number))]
        if offset is not None:
            query.append(("PageToken", f"{_TOKEN_PREFIX}{offset}"))
        return f"{self.base}?{urlencode(query)}"
