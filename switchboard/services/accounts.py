"""Accounts: the tenants. Auth tokens are stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.domain import sids
from switchboard.domain.clock import now_ms
from switchboard.services.sealing import seal, unseal
from switchboard.store import tables as t
from switchboard.store.database import Store


def token_digest(token: str) -> str:
    """The stored form of a token: a leaked database must not leak credentials."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_account(
    store: Store, friendly_name: str, parent_sid: str | None = None
) -> tuple[t.Account, str]:
    """A new active account and its plain auth token (shown to the caller once)."""
    token = secrets.token_hex(16)
    now = now_ms()
    account = t.Account(
        sid=sids.new_sid(sids.ACCOUNT),
        parent_sid=parent_sid,
        friendly_name=friendly_name,
        status="active",
        auth_token_hash=token_digest(token),
        auth_token_sealed=seal(token),
        date_created=now,
        date_updated=now,
    )
    async with store.transaction() as session:
        session.add(account)
    return account, token


async def authenticate(store: Store, account_sid: str, token: str) -> t.Account | None:
    """The active account for these credentials, or None (compared in constant time).

    Both the primary and, during a rotation, the secondary token are accepted. A
    sub-account whose parent is suspended or closed cannot authenticate either.
    """
    async with store.read() as session:
        account = await session.get(t.Account, account_sid)
        parent = await _parent(session, account)
    if account is None or account.status != "active":
        return None
    if parent is not None and parent.status != "active":
        return None
    if not _token_matches(account, token_digest(token)):
        return None
    return account


async def _parent(session: AsyncSession, account: t.Account | None) -> t.Account | None:
    if account is None or account.parent_sid is None:
        return None
    return await session.get(t.Account, account.parent_sid)


def _token_matches(account: t.Account, digest: str) -> bool:
    """Both digests are compared every time, so timing tells nothing about which matched."""
    primary = hmac.compare_digest(account.auth_token_hash, digest)
    secondary = hmac.compare_digest(account.secondary_token_hash or "", digest)
    return primary or (secondary and account.secondary_token_hash is not None)


async def rotate_token(store: Store, account_sid: str) -> str:
    """Replace the account's auth token; the old one stops working at once."""
    token = secrets.token_hex(16)
    async with store.transaction() as session:
        account = await session.get(t.Account, account_sid)
        if account is None:
            raise LookupError(account_sid)
        account.auth_token_hash = token_digest(token)
        account.auth_token_sealed = seal(token)
        account.date_updated = now_ms()
    return token


async def signing_token(store: Store, account_sid: str) -> str | None:
    """The account's current auth token, to sign its callbacks as Twilio does."""
    async with store.read() as session:
        account = await session.get(t.Account, account_sid)
    if account is None or account.auth_token_sealed is None:
        return None
    return unseal(account.auth_token_sealed)


async def verification_keys(store: Store, account_sid: str) -> list[str]:
    """Tokens that may sign the account's worker JWTs: primary, and secondary while rotating.

    Empty when the account (or its parent) is not active.
    """
    async with store.read() as session:
        account = await session.get(t.Account, account_sid)
        parent = await _parent(session, account)
    if account is None or account.status != "active":
        return []
    if parent is not None and parent.status != "active":
        return []
    sealed = (account.auth_token_sealed, account.secondary_token_sealed)
    return [unseal(value) for value in sealed if value is not None]
