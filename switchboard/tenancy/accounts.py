"""Accounts: the tenants. Auth tokens are stored only as SHA-256 digests (and sealed).

:class:`Accounts` is the tenancy side of two ports: it authenticates requests
(:class:`~switchboard.kernel.ports.Authenticator`) and hands out the tokens an
account signs and verifies with (:class:`~switchboard.kernel.ports.SigningKeys`).
"""

from __future__ import annotations

import hmac
import secrets

from switchboard.kernel import sids
from switchboard.kernel.clock import SYSTEM
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.kernel.ports import Clock, Store, Unit
from switchboard.tenancy.domain.records import Account
from switchboard.tenancy.sealing import Sealer
from switchboard.wire.auth import token_digest

__all__ = ["Accounts", "token_digest"]


async def _parent(unit: Unit, account: Account | None) -> Account | None:
    if account is None or account.parent_sid is None:
        return None
    return await unit.get(Account, account.parent_sid)


def _token_matches(account: Account, digest: str) -> bool:
    """Both digests are compared every time, so timing tells nothing about which matched."""
    primary = hmac.compare_digest(account.auth_token_hash, digest)
    secondary = hmac.compare_digest(account.secondary_token_hash or "", digest)
    return primary or (secondary and account.secondary_token_hash is not None)


def _active(account: Account | None, parent: Account | None) -> bool:
    """An active account whose parent (if any) is active too."""
    if account is None or account.status != "active":
        return False
    return parent is None or parent.status == "active"


NAME_LENGTH = 64


class Accounts:
    """Creating accounts and checking their credentials."""

    def __init__(self, store: Store, sealer: Sealer, clock: Clock = SYSTEM) -> None:
        self.store = store
        self.sealer = sealer
        self.clock = clock

    async def create(
        self, friendly_name: str, parent_sid: str | None = None
    ) -> tuple[Account, str]:
        """A new active account and its plain auth token (shown to the caller once)."""
        if not friendly_name.strip() or len(friendly_name) > NAME_LENGTH:
            raise InvalidParameter(
                f"An account needs a name of 1 to {NAME_LENGTH} characters, not {friendly_name!r}"
            )
        if parent_sid is not None:
            await self._check_parent(parent_sid)
        token = secrets.token_hex(16)
        now = self.clock.now_ms()
        account = Account(
            sid=sids.new_sid(sids.ACCOUNT),
            parent_sid=parent_sid,
            friendly_name=friendly_name,
            status="active",
            auth_token_hash=token_digest(token),
            auth_token_sealed=self.sealer.seal(token),
            date_created=now,
            date_updated=now,
        )
        async with self.store.transaction() as unit:
            unit.add(account)
        return account, token

    async def _check_parent(self, parent_sid: str) -> None:
        async with self.store.read() as unit:
            parent = await unit.get(Account, parent_sid)
        if parent is None:
            raise NotFound(f"The parent account {parent_sid} does not exist")
        if parent.parent_sid is not None:
            raise InvalidParameter(f"{parent_sid} is a sub-account: it cannot have sub-accounts")

    async def rotate_token(self, account_sid: str) -> str:
        """Replace the account's auth token; the old one stops working at once."""
        token = secrets.token_hex(16)
        async with self.store.transaction() as unit:
            account = await unit.get(Account, account_sid)
            if account is None:
                raise LookupError(account_sid)
            account.auth_token_hash = token_digest(token)
            account.auth_token_sealed = self.sealer.seal(token)
            account.date_updated = self.clock.now_ms()
        return token

    async def active(self, account_sid: str, token: str) -> Account | None:
        """The active account for these credentials, or None (compared in constant time).

        Both the primary and, during a rotation, the secondary token are accepted. A
        sub-account whose parent is suspended or closed cannot authenticate either.
        """
        async with self.store.read(short=True) as unit:
            account = await unit.get(Account, account_sid)
            parent = await _parent(unit, account)
        if account is None or not _active(account, parent):
            return None
        return account if _token_matches(account, token_digest(token)) else None

    async def authenticate(self, account_sid: str, token: str) -> bool:
        return await self.active(account_sid, token) is not None

    async def signing_token(self, account_sid: str) -> str | None:
        """The account's current auth token, to sign its callbacks as Twilio does."""
        async with self.store.read(short=True) as unit:
            account = await unit.get(Account, account_sid)
        if account is None or account.auth_token_sealed is None:
            return None
        return self.sealer.unseal(account.auth_token_sealed)

    async def verification_keys(self, account_sid: str) -> list[str]:
        """Tokens that may sign the account's worker JWTs: primary, and secondary while
        rotating; empty when the account (or its parent) is not active."""
        async with self.store.read(short=True) as unit:
            account = await unit.get(Account, account_sid)
            parent = await _parent(unit, account)
        if account is None or not _active(account, parent):
            return []
        sealed = (account.auth_token_sealed, account.secondary_token_sealed)
        return [self.sealer.unseal(value) for value in sealed if value is not None]
