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

from switchboard.distribution.domain.records import Worker, Workspace
from switchboard.kernel.ports import SigningKeys, Store

ALGORITHM = "HS256"
DOMAIN = "https://taskrouter.twilio.com/v1"
EVENTS_BASE_URL = "https://event-bridge.twilio.com/v1/wschannels"
# the worker's websocket: one per worker, the account and worker in the path
CHANNEL_PATH = "/v1/wschannels/{account_sid}/{worker_sid}"
# the JavaScript SDK's websocket and request bridge: account and worker come from the token
BRIDGE_PATH = "/v1/wschannels"
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
    policies: tuple[dict[str, Any], ...] = ()


def _policy(url: str, method: str, post_filter: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "url": url,
        "method": method,
        "allow": True,
        "query_filter": {},
        "post_filter": post_filter or {},
    }


def _policies(account_sid: str, workspace_sid: str, worker_sid: str) -> list[dict[str, Any]]:
    """What the SDK grants with allow_update_self, allow_fetch_subresources,
    allow_update_activities and allow_update_reservations: all the JavaScript SDK needs."""
    workspace = f"{DOMAIN}/Workspaces/{workspace_sid}"
    worker = f"{workspace}/Workers/{worker_sid}"
    channel = f"{EVENTS_BASE_URL}/{account_sid}/{worker_sid}"
    return [
        _policy(channel, "GET"),
        _policy(channel, "POST"),
        _policy(worker, "GET"),
        _policy(worker, "POST"),
        _policy(f"{worker}/**", "GET"),
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
    async with store.read(short=True) as unit:
        workspace = await unit.get(Workspace, claims.workspace_sid)
        worker = await unit.get(Worker, claims.worker_sid)
    return (
        workspace is not None
        and workspace.account_sid == claims.account_sid
        and worker is not None
        and worker.workspace_sid == workspace.sid
    )


async def verify(
    store: Store, keys: SigningKeys, token: str | None, account_sid: str, worker_sid: str
) -> WorkerClaims:
    """The token's claims if it opens `/wschannels/{account_sid}/{worker_sid}`."""
    if not token:
        raise TokenRejected("missing token")
    claims = _decode_any(token, await _active_account_keys(keys, account_sid))
    _check_claims(claims, account_sid, worker_sid)
    policies = tuple(p for p in claims.get("policies") or () if isinstance(p, dict))
    result = WorkerClaims(
        account_sid, claims["workspace_sid"], worker_sid, int(claims["exp"]), policies
    )
    if not await _worker_belongs(store, result):
        raise TokenRejected("unknown worker for this workspace")
    return result


async def _active_account_keys(keys: SigningKeys, account_sid: str) -> list[str]:
    found = await keys.verification_keys(account_sid)
    if not found:
        raise TokenRejected("unknown or inactive account")
    return found


def _decode_any(token: str, keys: list[str]) -> dict[str, Any]:
    """During a token rotation both the primary and the secondary token sign valid JWTs."""
    for key in keys[:-1]:
        try:
            return _decode(token, key)
        except TokenRejected as rejected:
            if str(rejected) != "bad token signature":
                raise
    return _decode(token, keys[-1])


async def verify_bearer(store: Store, keys: SigningKeys, token: str | None) -> WorkerClaims:
    """The JavaScript SDK's way: the account (`iss`) and worker (`channel`) come from the
    token itself; the same checks as :func:`verify` then apply."""
    account_sid, channel = _peek(token)
    return await verify(store, keys, token, account_sid, channel)


async def verify_workspace_bearer(
    store: Store, keys: SigningKeys, token: str | None
) -> WorkerClaims:
    """A workspace token (the SDK's supervisor-side `Workspace`; `channel` = WorkspaceSid):
    signed by the account, unexpired, for a workspace of that account. Its policies alone
    decide what it may read or change; `worker_sid` is empty."""
    account_sid, channel = _peek(token)
    assert token is not None
    claims = _decode_any(token, await _active_account_keys(keys, account_sid))
    if claims.get("workspace_sid", channel) != channel or not channel.startswith("WS"):
        raise TokenRejected("token is not a workspace token")
    async with store.read() as unit:
        workspace = await unit.get(Workspace, channel)
    if workspace is None or workspace.account_sid != account_sid:
        raise TokenRejected("unknown workspace for this account")
    policies = tuple(p for p in claims.get("policies") or () if isinstance(p, dict))
    return WorkerClaims(account_sid, channel, "", int(claims["exp"]), policies)


def _peek(token: str | None) -> tuple[str, str]:
    """Who the token says it is (`iss`, `channel`), before any check."""
    if not token:
        raise TokenRejected("missing token")
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(f"invalid token: {exc}") from None
    account_sid, channel = unverified.get("iss"), unverified.get("channel")
    if not isinstance(account_sid, str) or not isinstance(channel, str):
        raise TokenRejected("token names no account (iss) or channel")
    return account_sid, channel


def _url_matches(pattern: str, url: str) -> bool:
    """Twilio's policy URLs: exact, or a `/**` suffix for the resource and everything below."""
    if pattern.endswith("/**"):
        base = pattern[:-3]
        return url == base or url.startswith(base + "/")
    return url == pattern


def _filter_holds(post_filter: Any, params: dict[str, Any]) -> bool:
    if not isinstance(post_filter, dict):
        return True
    for name, rule in post_filter.items():
        if isinstance(rule, dict) and rule.get("required") and params.get(name) is None:
            return False
    return True


def allows(claims: WorkerClaims, method: str, path: str, params: dict[str, Any]) -> bool:
    """Whether a policy of the token allows `method` on `https://taskrouter.twilio.com/v1/`
    + `path` with these parameters (a `post_filter` names the parameters it requires)."""
    url = f"{DOMAIN}/{path.strip('/')}"
    return any(
        p.get("allow") is True
        and str(p.get("method", "")).upper() == method.upper()
        and _url_matches(str(p.get("url", "")), url)
        and (method.upper() != "POST" or _filter_holds(p.get("post_filter"), params))
        for p in claims.policies
    )
