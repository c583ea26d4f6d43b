"""Accounts as their holders see them: a parent manages its children, a child sees itself.

Tenancy is decided here for the Accounts API exactly as `access_workspace` does
for TaskRouter: :func:`access_account` is the only way to load an account on a
caller's behalf, and anyone else's sid is a 404 — never a 403, which would
confirm that the account exists.

Auth token rotation without downtime follows Twilio's Accounts v1 API: create a
secondary token, move clients to it while both work, then promote it (the old
primary stops working) — or delete it to abandon the rotation.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from switchboard.kernel import sids
from switchboard.kernel.clock import SYSTEM
from switchboard.kernel.criteria import Criterion, Query, any_of, asc, desc, eq
from switchboard.kernel.errors import InvalidParameter, NotFound
from switchboard.kernel.ports import Store, Unit
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.domain.fraud import Stage, billing_fingerprint
from switchboard.tenancy.domain.records import Account, AccountEvent
from switchboard.wire.auth import token_digest

STATUSES = ("active", "suspended", "closed")
ACCOUNT_EVENT = "AE"


def _missing(sid: str) -> NotFound:
    return NotFound(f"The requested resource /Accounts/{sid} was not found")


async def access_account(unit: Unit, caller_sid: str, sid: str) -> Account:
    """The caller itself or one of its sub-accounts; 404 for any other sid."""
    row = await unit.get(Account, sid)
    if row is None:
        raise _missing(sid)
    if row.sid == caller_sid:
        return row
    if row.parent_sid != caller_sid:
        raise _missing(sid)
    return row


def accounts_query(
    caller_sid: str, friendly_name: str | None = None, status: str | None = None
) -> Query[Account]:
    """The caller and its sub-accounts, oldest first (Twilio's order)."""
    where: list[Criterion] = [any_of(eq("sid", caller_sid), eq("parent_sid", caller_sid))]
    if friendly_name is not None:
        where.append(eq("friendly_name", friendly_name))
    if status is not None:
        where.append(eq("status", status))
    return Query(Account, tuple(where), (asc("date_created"), asc("sid")))


async def fetch_account(store: Store, caller_sid: str, sid: str) -> Account:
    async with store.read() as unit:
        return await access_account(unit, caller_sid, sid)


async def create_subaccount(
    accounts: Accounts, caller_sid: str, friendly_name: str, billing_details: str | None = None
) -> tuple[Account, str]:
    """A sub-account of the caller (one level only) and its auth token, shown once.

    It starts on its parent's plan and, unless told otherwise, with its parent's
    billing details: a family shares billing, which fraud rules take into account.
    """
    store = accounts.store
    parent = await fetch_account(store, caller_sid, caller_sid)
    if parent.parent_sid is not None:
        raise InvalidParameter("A sub-account cannot create sub-accounts")
    account, token = await accounts.create(friendly_name, parent.sid)
    async with store.transaction() as unit:
        row = await unit.get(Account, account.sid)
        assert row is not None
        row.plan = parent.plan
        row.billing_fingerprint = _fingerprint(billing_details) or parent.billing_fingerprint
        account = row
    return account, token


def _fingerprint(details: str | None) -> str | None:
    return billing_fingerprint(details) if details else None


@dataclass(frozen=True)
class AccountUpdate:
    """Fields an account update may change; None leaves a field alone ("" clears the URL)."""

    friendly_name: str | None = None
    status: str | None = None
    callback_url: str | None = None
    billing_details: str | None = None


async def update_account(
    store: Store, caller_sid: str, sid: str, changes: AccountUpdate
) -> Account:
    async with store.transaction() as unit:
        row = await access_account(unit, caller_sid, sid)
        if changes.status is not None and changes.status != row.status:
            _change_status(row, caller_sid, changes.status)
        if changes.friendly_name:
            row.friendly_name = changes.friendly_name
        if changes.callback_url is not None:
            row.callback_url = changes.callback_url or None
        if changes.billing_details is not None:
            row.billing_fingerprint = _fingerprint(changes.billing_details)
        row.date_updated = SYSTEM.now_ms()
        return row


def _change_status(row: Account, caller_sid: str, status: str) -> None:
    """A parent suspends, reactivates or closes its children; closing is final."""
    if row.sid == caller_sid:
        raise InvalidParameter("An account cannot change its own status")
    if row.status == "closed":
        raise InvalidParameter(f"Account {row.sid} is closed and cannot be reopened")
    if status == "active" and Stage.parse(row.fraud_stage) is Stage.SUSPENDED:
        raise InvalidParameter(
            f"Account {row.sid} was suspended for suspected fraud; the operator must clear it"
        )
    row.status = status


# --- auth token rotation -------------------------------------------------------------------


async def create_secondary_token(accounts: Accounts, account_sid: str) -> tuple[Account, str]:
    """A new secondary token (replacing any previous one); both tokens now authenticate."""
    token = secrets.token_hex(16)
    async with accounts.store.transaction() as unit:
        row = await _own_account(unit, account_sid)
        row.secondary_token_hash = token_digest(token)
        row.secondary_token_sealed = accounts.sealer.seal(token)
        row.date_updated = SYSTEM.now_ms()
        return row, token


async def delete_secondary_token(store: Store, account_sid: str) -> None:
    """Abandon a rotation: the secondary token stops working."""
    async with store.transaction() as unit:
        row = await _own_account(unit, account_sid)
        if row.secondary_token_hash is None:
            raise NotFound("No secondary auth token exists for this account")
        row.secondary_token_hash = row.secondary_token_sealed = None
        row.date_updated = SYSTEM.now_ms()


async def promote_secondary_token(accounts: Accounts, account_sid: str) -> tuple[Account, str]:
    """The secondary token becomes the primary one; the old primary stops working."""
    async with accounts.store.transaction() as unit:
        row = await _own_account(unit, account_sid)
        if row.secondary_token_hash is None or row.secondary_token_sealed is None:
            raise InvalidParameter("There is no secondary auth token to promote")
        row.auth_token_hash = row.secondary_token_hash
        row.auth_token_sealed = row.secondary_token_sealed
        row.secondary_token_hash = row.secondary_token_sealed = None
        row.date_updated = SYSTEM.now_ms()
        return row, accounts.sealer.unseal(row.auth_token_sealed)


async def _own_account(unit: Unit, account_sid: str) -> Account:
    row = await unit.get(Account, account_sid)
    if row is None:
        raise _missing(account_sid)
    return row


# --- account-level events ------------------------------------------------------------------


def record_account_event(
    unit: Unit,
    account_sid: str,
    subject_sid: str,
    event_type: str,
    description: str,
    data: dict[str, Any],
) -> AccountEvent:
    """Store an event for `account_sid` (the account told) about `subject_sid`."""
    row = AccountEvent(
        sid=sids.new_sid(ACCOUNT_EVENT),
        account_sid=account_sid,
        subject_sid=subject_sid,
        event_type=event_type,
        description=description,
        event_data=json.dumps(data, separators=(",", ":")),
        event_date=SYSTEM.now_ms(),
    )
    unit.add(row)
    return row


def account_events_query(
    account_sid: str, event_type: str | None = None, subject_sid: str | None = None
) -> Query[AccountEvent]:
    """An account's events, newest first."""
    where: list[Criterion] = [eq("account_sid", account_sid)]
    if event_type is not None:
        where.append(eq("event_type", event_type))
    if subject_sid is not None:
        where.append(eq("subject_sid", subject_sid))
    return Query(AccountEvent, tuple(where), (desc("seq"),))
