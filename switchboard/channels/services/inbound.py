"""Inbound contacts: resolved to their organization, recorded once per carrier id, and
handed to the conversation desk."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from switchboard.channels.domain import records as r
from switchboard.channels.domain.sms import RECEIPT_STATUS, InboundSms, StatusReport
from switchboard.channels.ports import CarrierAccount, Contact, Delivered
from switchboard.channels.services.addresses import resolve
from switchboard.channels.services.context import Channels
from switchboard.channels.services.credentials import check_signer
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import NotFound


async def _claim(
    svc: Channels, address: r.ChannelAddress, external_id: str
) -> r.InboundContact | None:
    """The idempotency key, taken under a lock on it (every process); None: a duplicate."""
    lock = f"channel-inbound:{address.channel}:{external_id}"
    async with svc.store.transaction(lock) as unit:
        if await unit.exists(
            r.InboundContact, eq("channel", address.channel), eq("external_id", external_id)
        ):
            return None
        row = r.InboundContact(
            sid=sids.new_sid(r.INBOUND),
            account_sid=address.account_sid,
            channel=address.channel,
            external_id=external_id,
            address_sid=address.sid,
            conversation_sid=None,
            message_sid=None,
            status="received",
            date_created=svc.clock.now_ms(),
        )
        unit.add(row)
    return row


async def accept_once(
    svc: Channels,
    address: r.ChannelAddress,
    external_id: str,
    hand_over: Callable[[], Awaitable[Delivered]],
) -> r.InboundContact | None:
    """Run `hand_over` once per carrier id; if it fails the key is given back, so the
    carrier's retry is processed (nothing half-stored is kept)."""
    claimed = await _claim(svc, address, external_id)
    if claimed is None:
        return None
    try:
        delivered = await hand_over()
    except BaseException:
        async with svc.store.transaction() as unit:
            await unit.delete_where(r.InboundContact, eq("sid", claimed.sid))
        raise
    async with svc.store.transaction() as unit:
        row = await unit.get(r.InboundContact, claimed.sid)
        if row is not None:
            row.conversation_sid = delivered.conversation_sid
            row.message_sid = delivered.message_sid
            row.status = "delivered"
            claimed = row
    return claimed


def _sms_attributes(sms: InboundSms) -> str:
    media = [{"url": url, "content_type": kind} for url, kind in sms.media]
    return json.dumps({"channel": r.SMS, "carrier_sid": sms.message_sid, "media": media})


async def receive_sms(
    svc: Channels, sms: InboundSms, signer: CarrierAccount | None = None
) -> r.InboundContact | None:
    """An inbound SMS/MMS becomes a message of the customer's conversation (None when this
    MessageSid was processed before). An organization's carrier account (`signer`) speaks
    only for its own numbers."""
    address = await resolve(svc, r.SMS, sms.recipient, sms.sender)
    check_signer(signer, address)
    contact = Contact(
        account_sid=address.account_sid,
        channel=r.SMS,
        customer=sms.sender,
        organization=address.address,
        body=sms.body,
        attributes=_sms_attributes(sms),
        routed_by=address.organization,
    )
    return await accept_once(svc, address, sms.message_sid, lambda: svc.desk.receive(contact))


async def report_status(
    svc: Channels, channel: str, report: StatusReport, signer: CarrierAccount | None = None
) -> r.OutboundContact:
    """A provider's delivery report updates the reply's receipt in its conversation."""
    async with svc.store.transaction() as unit:
        row = await unit.first(
            r.OutboundContact, eq("channel", channel), eq("provider_sid", report.message_sid)
        )
        if row is None:
            raise NotFound(f"No message {report.message_sid} was sent through {channel}")
        address = await unit.get(r.ChannelAddress, row.address_sid)
        if signer is not None and address is None:
            raise NotFound(f"No message {report.message_sid} was sent through {channel}")
        if address is not None:
            check_signer(signer, address)
        row.status = report.status
        row.error_code = report.error_code
        row.date_updated = svc.clock.now_ms()
    await svc.desk.set_receipt(
        row.account_sid,
        row.conversation_sid,
        row.message_sid,
        row.receipt_sid,
        RECEIPT_STATUS[report.status],
        report.error_code,
    )
    return row
