"""HTTP Basic authentication with `AccountSid:AuthToken`, as Twilio does."""

from __future__ import annotations

import base64
import binascii
import time

from fastapi import Request

from switchboard.domain.errors import Unauthorized
from switchboard.services.accounts import authenticate, token_digest
from switchboard.services.context import Services

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


async def authenticated_account(request: Request) -> str:
    """FastAPI dependency: the sid of the account whose credentials came with the request."""
    account_sid, token = basic_credentials(request.headers.get("authorization"))
    cache: CredentialCache = request.app.state.credentials
    key = (account_sid, token_digest(token))
    if cache.hit(key):
        return account_sid
    services: Services = request.app.state.services
    if await authenticate(services.store, account_sid, token) is None:
        raise Unauthorized("Authentication Error - invalid username")
    cache.remember(key)
    return account_sid
