"""Carrier addresses: which organization a number, mailbox or widget belongs to."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from switchboard.channels.domain import records as r
from switchboard.channels.domain.addresses import check_channel, normalise
from switchboard.channels.domain.voice import voice_setup
from switchboard.channels.services.context import Channels
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.errors import Conflict, InvalidParameter, NotFound, SwitchboardError

log = logging.getLogger(__name__)
MAX_NAME = 256


class UnknownAddress(SwitchboardError):
    """Inbound traffic to an address no organization configured (recorded as an event)."""

    status = 404
    code = 21211


@dataclass(frozen=True)
class AddressCreate:
    channel: str | None
    address: str | None
    friendly_name: str | None = None
    attributes: str | None = None
    organization: str | None = None


def _attributes(value: str | None) -> str:
    if value is None:
        return "{}"
    try:
        parsed = json.loads(value)
    except ValueError:
        raise InvalidParameter("Attributes must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise InvalidParameter("Attributes must be a JSON object")
    return value


def _organization(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_NAME:
        raise InvalidParameter(f"Organization is longer than {MAX_NAME} characters")
    return value


async def create_address(svc: Channels, account_sid: str, p: AddressCreate) -> r.ChannelAddress:
    channel = check_channel(p.channel)
    address = normalise(channel, p.address)
    if p.friendly_name is not None and len(p.friendly_name) > MAX_NAME:
        raise InvalidParameter(f"FriendlyName is longer than {MAX_NAME} characters")
    attributes = _attributes(p.attributes)
    if channel == r.VOICE:
        voice_setup(attributes)  # greeting, queue and hours are checked when saved
    now = svc.clock.now_ms()
    row = r.ChannelAddress(
        sid=sids.new_sid(r.ADDRESS),
        account_sid=account_sid,
        channel=channel,
        address=address,
        friendly_name=p.friendly_name,
        attributes=attributes,
        date_created=now,
        date_updated=now,
        organization=_organization(p.organization),
    )
    # one lock per address: two organizations racing for one number, one wins
    async with svc.store.transaction(f"channel-address:{channel}:{address}") as unit:
        if await unit.exists(r.ChannelAddress, eq("channel", channel), eq("address", address)):
            raise Conflict(f"The {channel} address {address} is already configured", code=21422)
        unit.add(row)
    return row


async def access_address(svc: Channels, account_sid: str, sid: str) -> r.ChannelAddress:
    """The address, or 404 (also for another account's)."""
    async with svc.store.read() as unit:
        row = await unit.get(r.ChannelAddress, sid)
    if row is None or row.account_sid != account_sid:
        raise NotFound(f"The requested resource /Channels/Addresses/{sid} was not found")
    return row


@dataclass(frozen=True)
class AddressUpdate:
    """What may change on an address (None: unchanged; an empty Organization: none)."""

    friendly_name: str | None = None
    attributes: str | None = None
    organization: str | None = None


async def update_address(
    svc: Channels, account_sid: str, sid: str, p: AddressUpdate
) -> r.ChannelAddress:
    found = await access_address(svc, account_sid, sid)
    if p.friendly_name is not None and len(p.friendly_name) > MAX_NAME:
        raise InvalidParameter(f"FriendlyName is longer than {MAX_NAME} characters")
    attributes = None if p.attributes is None else _attributes(p.attributes)
    if attributes is not None and found.channel == r.VOICE:
        voice_setup(attributes)
    organization = _organization(p.organization)
    async with svc.store.transaction(f"channel-address:{found.channel}:{found.address}") as unit:
        row = await unit.get(r.ChannelAddress, sid)
        if row is None:
            raise NotFound(f"The requested resource /Channels/Addresses/{sid} was not found")
        if p.friendly_name is not None:
            row.friendly_name = p.friendly_name
        if attributes is not None:
            row.attributes = attributes
        if p.organization is not None:
            row.organization = organization
        row.date_updated = svc.clock.now_ms()
    return row


async def delete_address(svc: Channels, account_sid: str, sid: str) -> None:
    found = await access_address(svc, account_sid, sid)
    async with svc.store.transaction(f"channel-address:{found.channel}:{found.address}") as unit:
        row = await unit.get(r.ChannelAddress, sid)
        if row is not None:
            await unit.delete(row)


def addresses_query(account_sid: str, channel: str | None) -> Query[r.ChannelAddress]:
    criteria = [eq("account_sid", account_sid)]
    if channel is not None:
        criteria.append(eq("channel", check_channel(channel)))
    return Query(r.ChannelAddress, tuple(criteria), (asc("date_created"), asc("sid")))


def channel_event(
    svc: Channels, account_sid: str | None, channel: str, kind: str, address: str, detail: str
) -> r.ChannelEvent:
    """The event's row, for a transaction to add beside what it reports."""
    return r.ChannelEvent(
        sid=sids.new_sid(r.CHANNEL_EVENT),
        account_sid=account_sid,
        channel=channel,
        event_type=kind,
        address=address,
        detail=detail,
        date_created=svc.clock.now_ms(),
    )


async def announce_event(svc: Channels, row: r.ChannelEvent) -> None:
    """Log a committed event and publish it on the pillar's bus (an operator sees every
    drop)."""
    log.warning(
        "channel event %s on %s %s: %s", row.event_type, row.channel, row.address, row.detail
    )
    await svc.bus.publish(
        {
            "event_type": row.event_type,
            "sid": row.sid,
            "channel": row.channel,
            "address": row.address,
            "account_sid": row.account_sid,
            "detail": row.detail,
        }
    )


async def record_event(
    svc: Channels, account_sid: str | None, channel: str, kind: str, address: str, detail: str
) -> r.ChannelEvent:
    """Store the event in a transaction of its own, then announce it."""
    row = channel_event(svc, account_sid, channel, kind, address, detail)
    async with svc.store.transaction() as unit:
        unit.add(row)
    await announce_event(svc, row)
    return row


async def resolve(svc: Channels, channel: str, address: str, sender: str) -> r.ChannelAddress:
    """The organization's address inbound traffic was sent to; an unknown one is an event
    (`channel.address.unknown`) and a 404, never a silent drop."""
    async with svc.store.read() as unit:
        row = await unit.first(r.ChannelAddress, eq("channel", channel), eq("address", address))
    if row is not None:
        return row
    detail = f"inbound {channel} from {sender} to {address}, which no organization configured"
    await record_event(svc, None, channel, "channel.address.unknown", address, detail)
    raise UnknownAddress(f"No organization has the {channel} address {address}")
