"""HTTP Basic authentication with `AccountSid:AuthToken`, as Twilio does."""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

from fastapi import Request

from switchboard.kernel.errors import Unauthorized
from switchboard.kernel.ports import Authenticator
from switchboard.wire.deps import deps

CACHE_SECONDS = 5.0
REALM_HEADER = {"WWW-Authenticate": 'Basic realm="Switchboard"'}


class CredentialCache:
    """Recently verified (sid, token digest) pairs: keeps the database off the hot path.

    Entries live a few seconds only, so a suspended account or a rotated token
    stops working almost at once.
    """

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._expiry: dict[tuple[str, str], float] = {}

    def hit(self, key: tuple[str, str]) -> bool:
        expiry = self._expiry.get(key)
        if expiry is None:
            return False
        if expiry < time.monotonic():
            del self._expiry[key]
            return False
        return True

    def clear(self) -> None:
        """Forget everything (after a token rotation or a status change)."""
        self._expiry.clear()

    def remember(self, key: tuple[str, str]) -> None:
        if len(self._expiry) > 10_000:
            self._expiry.clear()
        self._expiry[key] = time.monotonic() + self.ttl


def basic_credentials(header: str | None) -> tuple[str, str]:
    """(username, password) of a Basic `Authorization` header; 401 when malformed."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Unauthorized("Authentication Error - No credentials provided")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("Authentication Error - invalid credentials") from None
    username, separator, password = decoded.partition(":")
    if not separator:
        raise Unauthorized("Authentication Error - invalid credentials")
    return username, password


def token_digest(token: str) -> str:
    """The stored form of a token: a leaked database must not leak credentials."""
    return hashlib.sha256(token.encode()).hexdigest()


# where the authenticated account's sid is left in the request's scope (usage metering
# reads it after the response)
AUTHENTICATED = "switchboard.authenticated_account"


async def authenticated_account(request: Request) -> str:
    """FastAPI dependency: the sid of the account whose credentials came with the request."""
    account_sid, token = basic_credentials(request.headers.get("authorization"))
    registry = deps(request)
    cache = registry.get(CredentialCache)
    key = (account_sid, token_digest(token))
    if not cache.hit(key):
        if not await registry.get(Authenticator).authenticate(account_sid, token):  # type: ignore[type-abstract]
            raise Unauthorized("Authentication Error - invalid username")
        cache.remember(key)
    request.scope[AUTHENTICATED] = account_sid
    return account_sid
