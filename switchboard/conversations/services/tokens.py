"""Access tokens for the conversations stream: Twilio's `AccessToken` with a chat grant.

`twilio.jwt.access_token.AccessToken(account_sid, account_sid, auth_token,
identity="alice")` with a `ChatGrant` makes one: Switchboard has no API keys, so the
issuer is the account itself and the secret its auth token (either token during a
rotation). The identity in the grant is whose point of view the stream shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from switchboard.kernel import sids
from switchboard.kernel.ports import SigningKeys

ALGORITHM = "HS256"


class TokenRejected(Exception):
    """The token does not open a stream; the message says why (sent as the close reason)."""


@dataclass(frozen=True)
class StreamClaims:
    account_sid: str
    identity: str
    expires_at: int


def _unverified_account(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed token") from None
    account = claims.get("sub")
    if not isinstance(account, str) or not sids.is_sid(account, sids.ACCOUNT):
        raise TokenRejected("the token names no account (sub)")
    return account


def _decode(token: str, key: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("token expired") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("bad token signature") from None
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(f"invalid token: {exc}") from None
    return claims


async def verify(keys: SigningKeys, token: str | None) -> StreamClaims:
    """The account and identity a chat access token speaks for."""
    if not token:
        raise TokenRejected("missing token")
    account_sid = _unverified_account(token)
    candidates = await keys.verification_keys(account_sid)
    if not candidates:
        raise TokenRejected("unknown or inactive account")
    claims = _first_valid(token, candidates)
    grants = claims.get("grants")
    if not isinstance(grants, dict):
        raise TokenRejected("the token carries no grants")
    identity = grants.get("identity")
    if not isinstance(identity, str) or not identity or "chat" not in grants:
        raise TokenRejected("the token carries no chat grant with an identity")
    return StreamClaims(account_sid, identity, int(claims["exp"]))


def _first_valid(token: str, keys: list[str]) -> dict[str, Any]:
    for key in keys[:-1]:
        try:
            return _decode(token, key)
        except TokenRejected as rejected:
            if str(rejected) != "bad token signature":
                raise
    return _decode(token, keys[-1])
