"""Inbound calls: resolved to their organization by the number called, recorded once per
CallSid, answered with the organization's greeting and queue. With a workspace and a
workflow in the number's settings, Switchboard creates the task that holds the call, and
cancels it when the caller hangs up while still waiting."""

from __future__ import annotations

from switchboard.channels.domain import records as r
from switchboard.channels.domain.voice import (
    ENDED,
    InboundCall,
    VoiceSetup,
    call_attributes,
    voice_setup,
)
from switchboard.channels.ports import CarrierAccount
from switchboard.channels.services.addresses import resolve
from switchboard.channels.services.context import Channels
from switchboard.channels.services.credentials import check_signer
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq


async def _record(
    svc: Channels, address: r.ChannelAddress, call_sid: str
) -> r.InboundContact | None:
    """The call's record, made once (None: Twilio asked again for the same call)."""
    lock = f"channel-inbound:{r.VOICE}:{call_sid}"
    async with svc.store.transaction(lock) as unit:
        if await unit.exists(r.InboundContact, eq("channel", r.VOICE), eq("external_id", call_sid)):
            return None
        row = r.InboundContact(
            sid=sids.new_sid(r.INBOUND),
            account_sid=address.account_sid,
            channel=r.VOICE,
            external_id=call_sid,
            address_sid=address.sid,
            conversation_sid=None,
            message_sid=None,
            status="received",
            date_created=svc.clock.now_ms(),
        )
        unit.add(row)
    return row


async def receive_call(
    svc: Channels, call: InboundCall, signer: CarrierAccount | None = None
) -> tuple[r.ChannelAddress, VoiceSetup]:
    """The number's setup; the call is recorded (once, however often Twilio retries) and,
    when Switchboard owns the routing, a task holding the CallSid is created. An
    organization's carrier account (`signer`) speaks only for its own numbers."""
    address = await resolve(svc, r.VOICE, call.called, call.caller)
    check_signer(signer, address)
    setup = voice_setup(address.attributes)
    row = await _record(svc, address, call.call_sid)
    if row is None or svc.tasks is None or not setup.own_task:
        return address, setup
    if not setup.is_open(svc.clock.now_ms()):
        return address, setup
    assert setup.workspace_sid is not None and setup.workflow_sid is not None
    task_sid = await svc.tasks.open_task(
        address.account_sid,
        setup.workspace_sid,
        setup.workflow_sid,
        call_attributes(call, address.organization),
    )
    async with svc.store.transaction() as unit:
        stored = await unit.get(r.InboundContact, row.sid)
        if stored is not None:
            stored.task_sid = task_sid
    return address, setup


async def call_status(svc: Channels, call_sid: str, status: str) -> bool:
    """A call ended (hung up, busy, no answer...): its task is canceled if it still waits.
    Whether a task was canceled."""
    if status not in ENDED or svc.tasks is None:
        return False
    async with svc.store.read() as unit:
        row = await unit.first(
            r.InboundContact, eq("channel", r.VOICE), eq("external_id", call_sid)
        )
        address = None if row is None else await unit.get(r.ChannelAddress, row.address_sid)
    if row is None or row.task_sid is None or address is None:
        return False
    setup = voice_setup(address.attributes)
    if setup.workspace_sid is None:
        return False
    reason = f"the caller's call ended ({status}) while waiting"
    return await svc.tasks.cancel_waiting(
        row.account_sid, setup.workspace_sid, row.task_sid, reason
    )


async def hold_setup(svc: Channels, address_sid: str) -> VoiceSetup:
    async with svc.store.read() as unit:
        address = await unit.get(r.ChannelAddress, address_sid)
    return VoiceSetup() if address is None else voice_setup(address.attributes)
