"""Signed form POSTs on behalf of an account, turned into :class:`Attempt` records."""

from __future__ import annotations

import asyncio
import time

import httpx

from switchboard.callbacks.ledger import Attempt
from switchboard.callbacks.outbound import Outbound, OutboundResponse, RefusedUrl
from switchboard.callbacks.signing import SIGNATURE_HEADER, signature
from switchboard.domain.clock import now_ms
from switchboard.services.accounts import signing_token
from switchboard.services.context import Services

TOKEN_CACHE_SECONDS = 5.0


class SignedPoster:
    """Signs with the account's current auth token (cached briefly: rotation wins fast)."""

    def __init__(self, svc: Services, outbound: Outbound) -> None:
        self.svc = svc
        self.outbound = outbound
        self._tokens: dict[str, tuple[float, str | None]] = {}

    async def token(self, account_sid: str) -> str | None:
        cached = self._tokens.get(account_sid)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        token = await signing_token(self.svc.store, account_sid)
        self._tokens[account_sid] = (time.monotonic() + TOKEN_CACHE_SECONDS, token)
        return token

    async def post_form(
        self, account_sid: str, url: str, form: dict[str, str], timeout: float
    ) -> tuple[Attempt, OutboundResponse | None]:
        """One attempt; never raises for network trouble, it is recorded in the Attempt."""
        at = now_ms()
        token = await self.token(account_sid)
        if token is None:
            return Attempt(url, at, error="the account has no signing token", final=True), None
        headers = {SIGNATURE_HEADER: signature(token, url, form)}
        try:
            response = await self.outbound.post(url, timeout=timeout, headers=headers, data=form)
        except RefusedUrl as exc:
            return Attempt(url, at, error=f"refused: {exc}", final=True), None
        except TimeoutError:
            return Attempt(url, at, error=f"timed out after {timeout:g}s"), None
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
            return Attempt(url, at, error=f"{type(exc).__name__}: {exc}"[:500]), None
        return Attempt(url, at, status=response.status), response
