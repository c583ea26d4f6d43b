"""Signed form POSTs on behalf of an account, turned into :class:`Attempt` records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import httpx

from switchboard.kernel.callbacks import Answer, Attempt
from switchboard.kernel.errors import SecretUnavailable
from switchboard.kernel.ports import Clock, SigningKeys
from switchboard.outbound.client import Outbound, RefusedUrl
from switchboard.outbound.signing import SIGNATURE_HEADER, signature

TOKEN_CACHE_SECONDS = 5.0
log = logging.getLogger(__name__)


class SignedPoster:
    """The :class:`~switchboard.kernel.ports.CallbackSender`: signs with the account's current
    auth token (cached briefly, so a rotation wins fast), through the guarded client."""

    def __init__(self, keys: SigningKeys, outbound: Outbound, clock: Clock) -> None:
        self.keys = keys
        self.outbound = outbound
        self.clock = clock
        self._tokens: dict[str, tuple[float, str | None]] = {}

    async def token(self, account_sid: str) -> str | None:
        cached = self._tokens.get(account_sid)
        if cached is not None and cached[0] > self.clock.monotonic():
            return cached[1]
        token = await self.keys.signing_token(account_sid)
        self._tokens[account_sid] = (self.clock.monotonic() + TOKEN_CACHE_SECONDS, token)
        return token

    async def post_form(
        self, account_sid: str, url: str, form: Mapping[str, str], timeout: float
    ) -> tuple[Attempt, Answer | None]:
        """One attempt; never raises for network trouble, it is recorded in the Attempt."""
        at = self.clock.now_ms()
        try:
            token = await self.token(account_sid)
        except SecretUnavailable as exc:  # recorded as failed, with the reason (issue 11)
            return Attempt(url, at, error=f"cannot sign: {exc.message}", final=True), None
        if token is None:
            return Attempt(url, at, error="the account has no signing token", final=True), None
        headers = {SIGNATURE_HEADER: signature(token, url, form)}
        try:
            response = await self.outbound.post(
                url, timeout=timeout, headers=headers, data=dict(form)
            )
        except RefusedUrl as exc:
            # a refusal is a configuration matter: say so where the operator looks (issue 11)
            log.warning("callback to %s refused: %s", url, exc)
            return Attempt(url, at, error=f"refused: {exc}", final=True), None
        except TimeoutError:
            return Attempt(url, at, error=f"timed out after {timeout:g}s"), None
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
            return Attempt(url, at, error=f"{type(exc).__name__}: {exc}"[:500]), None
        return Attempt(url, at, status=response.status), response
