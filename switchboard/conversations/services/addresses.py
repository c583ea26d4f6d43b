"""Address configurations (`/v1/Configuration/Addresses`): the account's addresses and
whether an inbound message to one opens a conversation (auto-creation)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from switchboard.conversations.domain import records as r
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

AUTO_TYPES = ("webhook", "studio", "default")


@dataclass(frozen=True)
class AddressFields:
    type: str | None = None
    address: str | None = None
    friendly_name: str | None = None
    auto_creation: dict[str, Any] | None = None  # only the keys sent
    address_country: str | None = None
    organization: str | None = None


async def access_address(unit: Unit, account_sid: str, sid: str) -> r.AddressConfiguration:
    row = await unit.get(r.AddressConfiguration, sid)
    if row is None or row.account_sid != account_sid:
        raise access.missing("Configuration/Addresses", sid)
    return row


def _merge_auto(current: str, sent: dict[str, Any] | None) -> str:
    value: dict[str, Any] = json.loads(current)
    value.update(sent or {})
    if value.get("type") == "webhook" and value.get("enabled") and not value.get("webhook_url"):
        raise InvalidParameter("Missing required parameter AutoCreation.WebhookUrl")
    return json.dumps(value)


async def create_address(
    svc: Conversations, account_sid: str, p: AddressFields
) -> r.AddressConfiguration:
    if p.type is None or not p.address:
        raise InvalidParameter("Missing required parameter Type or Address in the post body")
    now = svc.clock.now_ms()
    row = r.AddressConfiguration(
        sid=sids.new_sid(r.ADDRESS),
        account_sid=account_sid,
        type=p.type,
        address=p.address,
        friendly_name=p.friendly_name,
        auto_creation=_merge_auto(json.dumps({"enabled": False}), p.auto_creation),
        address_country=p.address_country,
        organization=p.organization,
        date_created=now,
        date_updated=now,
    )
    async with svc.store.transaction() as unit:
        unit.add(row)
    return row


async def update_address(
    svc: Conversations, account_sid: str, sid: str, p: AddressFields
) -> r.AddressConfiguration:
    async with svc.store.transaction() as unit:
        row = await access_address(unit, account_sid, sid)
        if p.friendly_name is not None:
            row.friendly_name = p.friendly_name
        if p.organization is not None:
            row.organization = p.organization
        row.auto_creation = _merge_auto(row.auto_creation, p.auto_creation)
        row.date_updated = svc.clock.now_ms()
    return row


async def delete_address(svc: Conversations, account_sid: str, sid: str) -> None:
    async with svc.store.transaction() as unit:
        await unit.delete(await access_address(unit, account_sid, sid))


def addresses_query(account_sid: str, kind: str | None) -> Query[r.AddressConfiguration]:
    where = [eq("account_sid", account_sid)]
    if kind is not None:
        where.append(eq("type", kind))
    return Query(r.AddressConfiguration, tuple(where), (asc("date_created"),))
