"""Twilio's Accounts API: `/2010-04-01/Accounts[/{Sid}].json` and `/v1/AuthTokens/...`.

The 2010 API speaks an older dialect than TaskRouter v1: RFC 2822 dates,
relative `uri`s and a flat list envelope (`start`, `end`, `next_page_uri`); the
official SDK's `client.api.v2010.accounts` reads exactly that. Token rotation
follows the Accounts v1 API (`client.accounts.v1.secondary_auth_token`,
`auth_token_promotion`).
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request, Response

from switchboard.kernel.clock import iso, to_datetime
from switchboard.tenancy import subaccounts as service
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.domain.records import Account
from switchboard.wire.auth import CredentialCache
from switchboard.wire.context import (
    JSON,
    Ctx,
    context,
    json_response,
    no_content,
    page_from_query,
)
from switchboard.wire.deps import deps
from switchboard.wire.paging import PAGING_KEYS, Page
from switchboard.wire.routing import GatedRouter

NAME_LENGTH = 64
router = GatedRouter()
API_2010 = "/2010-04-01"
ACCOUNTS = f"{API_2010}/Accounts"
SECONDARY = "/v1/AuthTokens/Secondary"
# the path this project's brief names; Twilio (and its SDK) use SECONDARY
SECONDARY_ALIAS = "/v1/AuthTokens/SecondaryAuthToken"
PROMOTE = "/v1/AuthTokens/Promote"


def rfc2822(ms: int) -> str:
    """api.twilio.com's date format: `Thu, 30 Jul 2015 20:00:00 +0000`."""
    return format_datetime(to_datetime(ms).replace(microsecond=0))


def account_json(row: Account, viewer_sid: str, auth_token: str | None = None) -> JSON:
    """Twilio's Account; the auth token only when just created. A parent also sees its
    child's fraud score and stage (a child does not see its own)."""
    uri = f"{ACCOUNTS}/{row.sid}"
    body: JSON = {
        "auth_token": auth_token,
        "date_created": rfc2822(row.date_created),
        "date_updated": rfc2822(row.date_updated),
        "friendly_name": row.friendly_name,
        "owner_account_sid": row.parent_sid or row.sid,
        "sid": row.sid,
        "status": row.status,
        "subresource_uris": {
            "balance": f"{uri}/Balance.json",
            "usage_records": f"{uri}/Usage/Records.json",
        },
        "type": "Full",
        "uri": f"{uri}.json",
    }
    if row.parent_sid is not None and row.parent_sid == viewer_sid:
        body["fraud_score"] = row.fraud_score
        body["fraud_stage"] = row.fraud_stage
    return body


def list_2010(request: Request, key: str, page: Page[Any], records: list[JSON]) -> JSON:
    """The 2010 API's flat list envelope; the SDK follows `next_page_uri`."""
    current = page.request
    path = request.url.path
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in PAGING_KEYS]

    def uri(number: int) -> str:
        query = [*filters, ("PageSize", str(current.size)), ("Page", str(number))]
        return f"{path}?{urlencode(query)}"

    return {
        key: records,
        "start": current.offset,
        "end": current.offset + max(len(records) - 1, 0),
        "page": current.number,
        "page_size": current.size,
        "first_page_uri": uri(0),
        "previous_page_uri": uri(current.number - 1) if current.number > 0 else None,
        "next_page_uri": uri(current.number + 1) if page.has_next else None,
        "uri": uri(current.number),
    }


def accounts_of(ctx: Ctx) -> Accounts:
    return deps(ctx.request).get(Accounts)


def forget_credentials(request: Request) -> None:
    """Drop this process's cached credentials, so a token or status change bites at once."""
    deps(request).get(CredentialCache).clear()


@router.get(f"{ACCOUNTS}.json")
async def list_accounts(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    status = p.enum("Status", service.STATUSES)
    query = service.accounts_query(ctx.account_sid, p.string("FriendlyName"), status)
    async with ctx.store.read() as unit:
        page = await page_from_query(ctx, unit, query)
    records = [account_json(row, ctx.account_sid) for row in page.records]
    return json_response(list_2010(ctx.request, "accounts", page, records))


@router.post(f"{ACCOUNTS}.json")
async def create_account(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    name = p.string("FriendlyName", max_length=NAME_LENGTH) or "SubAccount"
    account, token = await service.create_subaccount(
        accounts_of(ctx), ctx.account_sid, name, p.string("BillingDetails", max_length=1024)
    )
    return json_response(account_json(account, ctx.account_sid, token), 201)


@router.get(ACCOUNTS + "/{sid}.json")
async def fetch_account(sid: str, ctx: Ctx = Depends(context)) -> Response:
    account = await service.fetch_account(ctx.store, ctx.account_sid, sid)
    return json_response(account_json(account, ctx.account_sid))


@router.post(ACCOUNTS + "/{sid}.json")
async def update_account(sid: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    changes = service.AccountUpdate(
        friendly_name=p.string("FriendlyName", max_length=NAME_LENGTH),
        status=p.enum("Status", service.STATUSES),
        callback_url=p.url("CallbackUrl"),
        billing_details=p.string("BillingDetails", max_length=1024),
    )
    account = await service.update_account(ctx.store, ctx.account_sid, sid, changes)
    if changes.status is not None:
        forget_credentials(ctx.request)
    return json_response(account_json(account, ctx.account_sid))


# --- /v1/AuthTokens: rotation without downtime ---------------------------------------------


def _token_json(ctx: Ctx, row: Account, path: str, **token: str) -> JSON:
    base = str(ctx.request.base_url).rstrip("/")
    return {
        "account_sid": row.sid,
        "date_created": iso(row.date_updated),
        "date_updated": iso(row.date_updated),
        **token,
        "url": f"{base}{path}",
    }


@router.post(SECONDARY)
@router.post(SECONDARY_ALIAS, include_in_schema=False)
async def create_secondary_token(ctx: Ctx = Depends(context)) -> Response:
    row, token = await service.create_secondary_token(accounts_of(ctx), ctx.account_sid)
    forget_credentials(ctx.request)
    return json_response(_token_json(ctx, row, SECONDARY, secondary_auth_token=token), 201)


@router.delete(SECONDARY)
@router.delete(SECONDARY_ALIAS, include_in_schema=False)
async def delete_secondary_token(ctx: Ctx = Depends(context)) -> Response:
    await service.delete_secondary_token(ctx.store, ctx.account_sid)
    forget_credentials(ctx.request)
    return no_content()


@router.post(PROMOTE)
async def promote_secondary_token(ctx: Ctx = Depends(context)) -> Response:
    row, token = await service.promote_secondary_token(accounts_of(ctx), ctx.account_sid)
    forget_credentials(ctx.request)
    return json_response(_token_json(ctx, row, PROMOTE, auth_token=token))


def install(app: FastAPI) -> None:
    app.include_router(router)
