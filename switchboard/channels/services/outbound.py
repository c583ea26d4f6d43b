"""Replies out through the provider of their channel, from the address the customer wrote to.

A reply is written to the delivery ledger (switchboard.outbound) in the same transaction
as its outbound record, so a restart or a provider outage never loses it; a sender lane
claims it, tries the provider, and on a retryable failure puts it back with a doubling
backoff. When the attempts run out the message's receipt turns `failed` (an event too).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from switchboard.channels.domain import records as r
from switchboard.channels.domain.backoff import retry_delay_ms
from switchboard.channels.ports import Line, ProviderError, Reply
from switchboard.channels.services import credentials
from switchboard.channels.services.addresses import announce_event, channel_event
from switchboard.channels.services.chat import deliver_reply
from switchboard.channels.services.context import Channels
from switchboard.channels.services.email import send_email
from switchboard.kernel import sids
from switchboard.kernel.callbacks import Attempt
from switchboard.kernel.criteria import eq
from switchboard.outbound import ledger
from switchboard.outbound.records import CallbackDelivery
from switchboard.outbound.settings import OutboundSettings

log = logging.getLogger(__name__)
KIND = "channel"  # the ledger lane of every channel's replies
FAILED_CODE = 30008  # Twilio's "unknown error" for a message that could not be delivered
SENDING_CHANNELS = (r.SMS, r.EMAIL, r.CHAT)


async def queue_reply(
    svc: Channels,
    account_sid: str,
    conversation_sid: str,
    message_sid: str,
    receipt_sid: str,
    recipient: str,
    sender: str,
    body: str,
    line: Line | None = None,
) -> Reply | None:
    """Queue a conversation message for an outside participant whose proxy address is one of
    the account's channel addresses (None: not ours to send, or the channel is off)."""
    async with svc.store.read() as unit:
        found = await unit.select(
            r.ChannelAddress, eq("account_sid", account_sid), eq("address", sender)
        )
    address = next((row for row in found if row.channel in SENDING_CHANNELS), None)
    if address is None or not svc.enabled(address.channel):
        return None
    reply = Reply(
        account_sid,
        address.channel,
        conversation_sid,
        message_sid,
        receipt_sid,
        recipient,
        sender,
        body,
    )
    if address.channel == r.CHAT:
        if line is not None:  # pushed at once to the visitor's open sockets (no provider)
            await deliver_reply(svc, reply, line)
        return reply
    now = svc.clock.now_ms()
    async with svc.store.transaction() as unit:
        unit.add(_outbound_row(reply, address, now))
        unit.add(_delivery(reply, address, now))
    svc.wake()
    return reply


def _outbound_row(reply: Reply, address: r.ChannelAddress, now: int) -> r.OutboundContact:
    return r.OutboundContact(
        sid=sids.new_sid(r.OUTBOUND),
        account_sid=reply.account_sid,
        channel=reply.channel,
        provider_sid=None,
        address_sid=address.sid,
        recipient=reply.recipient,
        conversation_sid=reply.conversation_sid,
        message_sid=reply.message_sid,
        receipt_sid=reply.receipt_sid,
        status="queued",
        error_code=None,
        date_created=now,
        date_updated=now,
    )


def _delivery(reply: Reply, address: r.ChannelAddress, now: int) -> CallbackDelivery:
    return CallbackDelivery(
        sid=sids.new_sid("EC"),
        account_sid=reply.account_sid,
        workspace_sid=address.sid,  # the ledger's owner column: the sending address
        kind=KIND,
        event_sid=reply.receipt_sid,
        event_type=f"channel.{reply.channel}.reply",
        url=f"{reply.channel}:{reply.recipient}",
        payload=json.dumps(asdict(reply)),
        status="pending",
        next_attempt_at=now,
        date_created=now,
        date_updated=now,
    )


async def deliver(
    svc: Channels, settings: OutboundSettings, row: CallbackDelivery
) -> ledger.Outcome:
    """One try of one queued reply; the ledger row says how it ended."""
    reply = Reply(**json.loads(row.payload))
    at = svc.clock.now_ms()
    try:
        provider_sid = await _send(svc, reply)
    except ProviderError as exc:
        attempt = Attempt(row.url, at, error=str(exc)[:500], final=not exc.retry)
        outcome = _after_failure(settings, row, exc, svc.clock.now_ms())
        await ledger.finish(svc.store, svc.clock, row.sid, [attempt], outcome)
        if outcome.status == "failed":
            await _failed(svc, reply, exc)
        return outcome
    outcome = ledger.Outcome("delivered")
    await ledger.finish(svc.store, svc.clock, row.sid, [Attempt(row.url, at, status=200)], outcome)
    await _sent(svc, reply, provider_sid)
    return outcome


async def _send(svc: Channels, reply: Reply) -> str:
    """Hand the reply to its channel's provider; the provider's id for it."""
    if reply.channel == r.EMAIL:
        return await send_email(svc, reply)
    if svc.sms is None or svc.sms_settings is None:
        raise ProviderError(f"the {reply.channel} channel is not enabled", retry=False)
    async with svc.store.read() as unit:
        address = await unit.first(
            r.ChannelAddress, eq("channel", reply.channel), eq("address", reply.sender)
        )
    organization = None if address is None else address.organization
    account = await credentials.sending_account(svc, reply.account_sid, organization)
    return await svc.sms.send(reply, svc.sms_settings.status_callback(), account)


def _after_failure(
    settings: OutboundSettings, row: CallbackDelivery, exc: ProviderError, now: int
) -> ledger.Outcome:
    made = row.attempts + 1
    if not exc.retry or made >= settings.event_attempts:
        return ledger.Outcome("failed", note=f"gave up after {made} attempt(s)")
    delay = retry_delay_ms(settings.backoff_initial, settings.backoff_max, made)
    return ledger.Outcome("pending", next_attempt_at=now + delay)


async def _sent(svc: Channels, reply: Reply, provider_sid: str) -> None:
    async with svc.store.transaction() as unit:
        row = await unit.first(r.OutboundContact, eq("receipt_sid", reply.receipt_sid))
        if row is not None:
            row.provider_sid = provider_sid
            row.status = "sent" if row.status == "queued" else row.status
            row.date_updated = svc.clock.now_ms()


async def _failed(svc: Channels, reply: Reply, exc: ProviderError) -> None:
    """The contact row and the operator's event in one transaction (neither without the
    other), then the receipt the conversation shows: once a receipt says failed, the
    event that explains it is there."""
    code = exc.code or FAILED_CODE
    detail = f"reply {reply.message_sid} to {reply.recipient} failed: {exc}"
    event = channel_event(
        svc, reply.account_sid, reply.channel, "channel.reply.failed", reply.sender, detail
    )
    async with svc.store.transaction() as unit:
        row = await unit.first(r.OutboundContact, eq("receipt_sid", reply.receipt_sid))
        if row is not None:
            row.status = "failed"
            row.error_code = code
            row.date_updated = svc.clock.now_ms()
        unit.add(event)
    await announce_event(svc, event)
    await svc.desk.set_receipt(
        reply.account_sid,
        reply.conversation_sid,
        reply.message_sid,
        reply.receipt_sid,
        "failed",
        code,
    )
