"""`POST /v1/Workspaces/{ws}/Workers/{wk}/Token`: mint a worker's channel token.

For servers that cannot run the twilio SDK: the token has the SDK's claims, signed
with the caller's auth token, so either way of minting opens the same channel.
"""

from __future__ import annotations

from fastapi import Depends, Response

from switchboard.distribution.api.routes.common import Ctx, context, json_response
from switchboard.distribution.work.access import access_worker
from switchboard.distribution.work.worker_tokens import CHANNEL_PATH, DEFAULT_TTL, MAX_TTL, mint
from switchboard.kernel.clock import iso
from switchboard.kernel.errors import Conflict
from switchboard.wire.routing import GatedRouter

router = GatedRouter(prefix="/v1/Workspaces/{workspace_sid:ws}/Workers/{worker_sid:wk}")


def _channel_url(ctx: Ctx, worker_sid: str) -> str:
    base = str(ctx.request.base_url).rstrip("/")
    base = "ws" + base.removeprefix("http") if base.startswith("http") else base
    path = CHANNEL_PATH.format(account_sid=ctx.account_sid, worker_sid=worker_sid)
    return base + path


@router.post("/Token")
async def create_worker_token(
    workspace_sid: str, worker_sid: str, ctx: Ctx = Depends(context)
) -> Response:
    """`Ttl` seconds (default 3600, at most 86400)."""
    ttl = ctx.params.integer("Ttl", 1, MAX_TTL) or DEFAULT_TTL
    async with ctx.reading(workspace_sid) as (unit, workspace):
        worker = await access_worker(unit, workspace, worker_sid)
    auth_token = await ctx.svc.signing.signing_token(ctx.account_sid)
    if auth_token is None:
        raise Conflict("This account has no stored auth token to sign worker tokens with")
    token, expires = mint(ctx.account_sid, auth_token, workspace.sid, worker.sid, ttl)
    body = {
        "token": token,
        "expires_at": iso(expires * 1000),
        "ttl": ttl,
        "account_sid": ctx.account_sid,
        "workspace_sid": workspace.sid,
        "worker_sid": worker.sid,
        "channel_url": _channel_url(ctx, worker.sid),
    }
    return json_response(body, 201)
