"""Users and Roles: the account's chat identities (admins see every interaction) and the
roles Twilio's SDK manages; plus the grants that widen a user's point of view."""

from __future__ import annotations

import json
from dataclasses import dataclass

from switchboard.conversations.domain import records as r
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.errors import InvalidParameter

ROLE_TYPES = ("conversation", "service")


@dataclass(frozen=True)
class UserFields:
    identity: str | None = None
    friendly_name: str | None = None
    attributes: str | None = None
    role_sid: str | None = None
    admin: bool | None = None


async def create_user(svc: Conversations, account_sid: str, p: UserFields) -> r.User:
    if not p.identity:
        raise InvalidParameter("Missing required parameter Identity in the post body")
    now = svc.clock.now_ms()
    row = r.User(
        sid=sids.new_sid(r.USER),
        account_sid=account_sid,
        identity=p.identity,
        friendly_name=p.friendly_name,
        attributes=p.attributes or "{}",
        role_sid=p.role_sid,
        admin=bool(p.admin),
        date_created=now,
        date_updated=now,
    )
    async with svc.store.transaction() as unit:
        if p.role_sid is not None:
            await access.access_role(unit, account_sid, p.role_sid)
        unit.add(row)
    return row


async def update_user(svc: Conversations, account_sid: str, key: str, p: UserFields) -> r.User:
    async with svc.store.transaction() as unit:
        row = await access.access_user(unit, account_sid, key)
        if p.role_sid is not None:
            await access.access_role(unit, account_sid, p.role_sid)
            row.role_sid = p.role_sid
        if p.friendly_name is not None:
            row.friendly_name = p.friendly_name
        if p.attributes is not None:
            row.attributes = p.attributes
        if p.admin is not None:
            row.admin = p.admin
        row.date_updated = svc.clock.now_ms()
    return row


async def delete_user(svc: Conversations, account_sid: str, key: str) -> None:
    async with svc.store.transaction() as unit:
        await unit.delete(await access.access_user(unit, account_sid, key))


def users_query(account_sid: str) -> Query[r.User]:
    return Query(r.User, (eq("account_sid", account_sid),), (asc("date_created"),))


def _permissions(values: list[str]) -> str:
    if not values:
        raise InvalidParameter("Missing required parameter Permission in the post body")
    return json.dumps(values)


async def create_role(
    svc: Conversations, account_sid: str, name: str, kind: str, permissions: list[str]
) -> r.Role:
    if kind not in ROLE_TYPES:
        raise InvalidParameter(f"Invalid Type: {kind!r} is not one of {', '.join(ROLE_TYPES)}")
    now = svc.clock.now_ms()
    row = r.Role(sids.new_sid(r.ROLE), account_sid, name, kind, _permissions(permissions), now, now)
    async with svc.store.transaction() as unit:
        unit.add(row)
    return row


async def update_role(
    svc: Conversations, account_sid: str, sid: str, permissions: list[str]
) -> r.Role:
    async with svc.store.transaction() as unit:
        row = await access.access_role(unit, account_sid, sid)
        row.permissions = _permissions(permissions)
        row.date_updated = svc.clock.now_ms()
    return row


async def delete_role(svc: Conversations, account_sid: str, sid: str) -> None:
    async with svc.store.transaction() as unit:
        await unit.delete(await access.access_role(unit, account_sid, sid))


def roles_query(account_sid: str) -> Query[r.Role]:
    return Query(r.Role, (eq("account_sid", account_sid),), (asc("date_created"),))


async def grant(svc: Conversations, account_sid: str, viewer: str, subject: str) -> r.Grant:
    """`viewer` sees, from now on, what `subject` sees (a supervisor over a team member)."""
    if viewer == subject:
        raise InvalidParameter("A user already sees what they see: Subject must differ")
    row = r.Grant(sids.new_sid(r.GRANT), account_sid, viewer, subject, svc.clock.now_ms())
    async with svc.store.transaction() as unit:
        await access.access_user(unit, account_sid, viewer)
        unit.add(row)
    return row
