"""`/v1/Channels/Credentials`: an organization's own carrier account (Twilio's account sid
and auth token). The token is write-only: stored sealed, never rendered."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from switchboard.channels.domain import records as r
from switchboard.channels.services import credentials as service
from switchboard.channels.services.context import Channels
from switchboard.kernel.clock import iso
from switchboard.wire import context as wire
from switchboard.wire.context import (
    Ctx,
    context,
    json_response,
    list_response,
    no_content,
    page_from_query,
)
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
wire.register_sid_convertors(r.CREDENTIAL)


def channels(request: Request) -> Channels:
    return deps(request).get(Channels)


def credential_json(row: r.CarrierCredential, base: str) -> dict[str, Any]:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "organization": row.organization,
        "provider": row.provider,
        "provider_account_sid": row.provider_account,
        "auth_token": None,  # write-only
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "url": f"{base}/Channels/Credentials/{row.sid}",
    }


@router.post("/v1/Channels/Credentials")
async def set_credential(
    ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    """Create or replace the organization's credential for the provider."""
    p = ctx.params
    fields = service.CredentialFields(
        organization=p.raw("Organization"),
        provider_account=p.raw("ProviderAccountSid"),
        auth_token=p.raw("AuthToken"),
        provider=p.raw("Provider"),
    )
    row = await service.set_credential(svc, ctx.account_sid, fields)
    return json_response(credential_json(row, ctx.base), status=201)


@router.get("/v1/Channels/Credentials")
async def list_credentials(
    ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    async with svc.store.read() as unit:
        page = await page_from_query(ctx, unit, service.credentials_query(ctx.account_sid))
    records = [credential_json(row, ctx.base) for row in page.records]
    return list_response(ctx, "credentials", page, records)


@router.get("/v1/Channels/Credentials/{sid:xk}")
async def fetch_credential(
    sid: str, ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    row = await service.access_credential(svc, ctx.account_sid, sid)
    return json_response(credential_json(row, ctx.base))


@router.delete("/v1/Channels/Credentials/{sid:xk}")
async def delete_credential(
    sid: str, ctx: Ctx = Depends(context), svc: Channels = Depends(channels)
) -> Response:
    await service.delete_credential(svc, ctx.account_sid, sid)
    return no_content()
