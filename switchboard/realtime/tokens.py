"""Worker capability tokens: the JWTs Twilio's SDK mints, verified for the websocket.

`twilio.jwt.taskrouter.capabilities.WorkerCapabilityToken(account, auth_token,
workspace, worker)` produces an HS256 JWT signed with the account's auth token, with
`iss` = AccountSid, `exp`/`nbf`, and claims `account_sid`, `workspace_sid`,
`channel` = `worker_sid` = WorkerSid and a list of URL `policies`. A token opens the
channel only if one policy allows GET on Twilio's event-bridge URL of that worker (the
SDK adds it unless `allow_web_sockets=False`). :func:`mint` writes the same claims.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from switchboard.services.accounts import verification_keys
from switchboard.store import tables as t
from switchboard.store.database import Store

ALGORITHM = "HS256"
DOMAIN = "https://taskrouter.twilio.com/v1"
EVENTS_BASE_URL = "https://event-bridge.twilio.com/v1/wschannels"
DEFAULT_TTL = 3600
MAX_TTL = 86_400


class TokenRejected(Exception):
    """Why a token does not open this channel (sent as the close reason)."""


@dataclass(frozen=True)
class WorkerClaims:
    account_sid: str
    workspace_sid: str
    worker_sid: str
    expires_at: int


def _policy(url: str, method: str, post_filter: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "url": url,
        "method": method,
        "allow": True,
        "query_filter": {},
        "post_filter": post_filter or {},
    }


def _policies(account_sid: str, workspace_sid: str, worker_sid: str) -> list[dict[str, Any]]:
    """What the SDK grants with allow_update_activities and allow_update_reservations."""
    workspace = f"{DOMAIN}/Workspaces/{workspace_sid}"
    worker = f"{workspace}/Workers/{worker_sid}"
    channel = f"{EVENTS_BASE_URL}/{account_sid}/{worker_sid}"
    return [
        _policy(channel, "GET"),
        _policy(channel, "POST"),
        _policy(worker, "GET"),
        _policy(f"{workspace}/Activities", "GET"),
        _policy(f"{workspace}/Tasks/**", "GET"),
        _policy(f"{worker}/Reservations/**", "GET"),
        _policy(worker, "POST", {"ActivitySid": {"required": True}}),
        _policy(f"{workspace}/Tasks/**", "POST"),
        _policy(f"{worker}/Reservations/**", "POST"),
    ]


def mint(
    account_sid: str, auth_token: str, workspace_sid: str, worker_sid: str, ttl: int
) -> tuple[str, int]:
    """A token with the SDK's claims; returns it and its expiry (epoch seconds)."""
    now = int(time.time())
    payload = {
        "account_sid": account_sid,
        "workspace_sid": workspace_sid,
        "channel": worker_sid,
        "worker_sid": worker_sid,
        "version": "v1",
        "friendly_name": worker_sid,
        "policies": _policies(account_sid, workspace_sid, worker_sid),
        "iss": account_sid,
        "nbf": now,
        "exp": now + ttl,
    }
    return jwt.encode(payload, auth_token, algorithm=ALGORITHM), now + ttl


def _allows_channel(claims: dict[str, Any], account_sid: str, worker_sid: str) -> bool:
    suffix = f"/wschannels/{account_sid}/{worker_sid}"
    policies = claims.get("policies")
    if not isinstance(policies, list):
        return False
    return any(
        isinstance(p, dict)
        and p.get("allow") is True
        and str(p.get("method", "")).upper() == "GET"
        and str(p.get("url", "")).endswith(suffix)
        for p in policies
    )


def _check_claims(claims: dict[str, Any], account_sid: str, worker_sid: str) -> None:
    if claims.get("iss") != account_sid or claims.get("account_sid", account_sid) != account_sid:
        raise TokenRejected("token was issued for another account")
    if worker_sid not in (claims.get("worker_sid"), claims.get("channel")):
        raise TokenRejected("token is for another worker")
    if claims.get("worker_sid", worker_sid) != worker_sid:
        raise TokenRejected("token is for another worker")
    if not isinstance(claims.get("workspace_sid"), str):
        raise TokenRejected("token has no workspace_sid")
    if not _allows_channel(claims, account_sid, worker_sid):
        raise TokenRejected("token does not allow this websocket channel")


def _decode(token: str, key: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise TokenRejected("token expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenRejected("token not valid yet") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("bad token signature") from None
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(f"invalid token: {exc}") from None
    return dict(claims)


async def _worker_belongs(store: Store, claims: WorkerClaims) -> bool:
    async with store.read() as session:
        workspace = await session.get(t.Workspace, claims.workspace_sid)
        worker = await session.get(t.Worker, claims.worker_sid)
    return (
        workspace is not None
        and workspace.account_sid == claims.account_sid
        and worker is not None
        and worker.workspace_sid == workspace.sid
    )


async def verify(
    store: Store, token: str | None, account_sid: str, worker_sid: str
) -> WorkerClaims:
    """The token's claims if it opens `/wschannels/{account_sid}/{worker_sid}`."""
    if not token:
        raise TokenRejected("missing token")
    claims = _decode_any(token, await _active_account_keys(store, account_sid))
    _check_claims(claims, account_sid, worker_sid)
    result = WorkerClaims(account_sid, claims["workspace_sid"], worker_sid, int(claims["exp"]))
    if not await _worker_belongs(store, result):
        raise TokenRejected("unknown worker for this workspace")
    return result


async def _active_account_keys(store: Store, account_sid: str) -> list[str]:
    keys = await verification_keys(store, account_sid)
    if not keys:
        raise TokenRejected("unknown or inactive account")
    return keys


def _decode_any(token: str, keys: list[str]) -> dict[str, Any]:
    """During a token rotation both the primary and the secondary token sign valid JWTs."""
    for key in keys[:-1]:
        try:
            return _decode(token, key)
        except TokenRejected as rejected:
            if str(rejected) != "bad token signature":
                raise
    return _decode(token, keys[-1])
