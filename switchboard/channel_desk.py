"""The conversation desk and the task intake of the channels pillar: the conversations and
distribution pillars' services, joined here because pillars never import each other
(part of the composition root).

Inbound: a contact goes to the customer's open interaction with the organization's
address (Twilio's rule: one open conversation per address pair), a new one if none.
Outbound: every message added to an interaction is offered to the channels pillar for
each outside participant it got a receipt for; the pillar sends it when the
participant's proxy address is one of the account's channel addresses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any

from switchboard.channels.ports import Contact, Delivered, Line
from switchboard.channels.services import chat, outbound
from switchboard.channels.services.context import Channels
from switchboard.conversations.domain import records as cr
from switchboard.conversations.domain.lifecycle import effective_state
from switchboard.conversations.domain.pov import EVERYTHING
from switchboard.conversations.domain.routing import RoutingProfile
from switchboard.conversations.services import interactions, messages, participants, typing
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.routing import Inbound, Router
from switchboard.distribution.domain.records import Task
from switchboard.distribution.work import tasks
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import asc, eq, isin
from switchboard.kernel.errors import SwitchboardError

log = logging.getLogger(__name__)


class ConversationsDesk:
    """:class:`~switchboard.channels.ports.ConversationDesk` over the conversations pillar.

    A contact to an address that names an organization with a routing profile goes through
    its request router (issue 19): a new request opens a case, an interaction whose
    customer participant has the carrier address as proxy (so replies leave through it)
    and a TaskRouter task; a follow-up joins the open request. A web-chat visitor writing
    to a widget that an organization's routing profile names as its `ProxyAddress` is
    routed the same way (issue 16's "an agent answers a web chat"). Other contacts only
    become a message of the address pair's open conversation."""

    def __init__(self, conversations: Conversations, router: Router | None = None) -> None:
        self.conversations = conversations
        self.router = router
        # one hand-over at a time per address pair in this process, so two first texts of
        # a new customer arriving together open one conversation, not two
        self._pairs: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _pair_lock(self, contact: Contact) -> asyncio.Lock:
        key = f"{contact.account_sid}:{contact.customer}:{contact.organization}"
        lock = self._pairs.get(key)
        if lock is None:
            lock = self._pairs[key] = asyncio.Lock()
        return lock

    async def _open_interaction(self, contact: Contact) -> str | None:
        """The newest interaction of the customer with this address that is not closed: the
        thread the carrier named (email), else the open one of the address pair (SMS)."""
        svc = self.conversations
        async with svc.store.read() as unit:
            if contact.thread is not None:
                wanted = [contact.thread]
            elif contact.reuse_open:
                found = await unit.select(
                    cr.Participant,
                    eq("account_sid", contact.account_sid),
                    eq("address", contact.customer),
                    eq("proxy_address", contact.organization),
                )
                wanted = sorted({p.interaction_sid for p in found})
            else:
                return None
            rows = await unit.select(
                cr.Interaction, isin("sid", wanted), eq("account_sid", contact.account_sid)
            )
        now = svc.clock.now_ms()
        for row in sorted(rows, key=lambda i: i.date_created, reverse=True):
            state = effective_state(
                row.state, row.last_activity, row.inactive_after_ms, row.closed_after_ms, now
            )
            if state != cr.CLOSED:
                return row.sid
        return None

    async def _new_interaction(self, contact: Contact) -> str:
        svc, account = self.conversations, contact.account_sid
        attributes = {
            "channel": contact.channel,
            "customer": contact.customer,
            "organization": contact.organization,
        }
        fields = interactions.InteractionCreate(
            friendly_name=f"{contact.channel} {contact.customer}",
            attributes=json.dumps(attributes),
        )
        row = await interactions.create_interaction(svc, account, fields)
        binding = participants.ParticipantCreate(
            address=contact.customer, proxy_address=contact.organization
        )
        await participants.add_participant(svc, account, EVERYTHING, row.sid, binding)
        return row.sid

    async def _widget_organization(self, contact: Contact) -> str | None:
        """A chat widget that a routing profile names as its proxy address: that
        organization routes the visitor's requests."""
        if self.router is None or contact.channel != "chat":
            return None
        async with self.conversations.store.read() as unit:
            profile = await unit.first(
                RoutingProfile,
                eq("account_sid", contact.account_sid),
                eq("proxy_address", contact.organization),
            )
        return profile.organization if profile is not None else None

    async def _routed(self, contact: Contact) -> bool:
        if self.router is None or contact.routed_by is None:
            return False
        async with self.conversations.store.read() as unit:
            profile = await self.router.profile(
                unit, contact.account_sid, contact.routed_by, required=False
            )
        if profile is None:
            log.warning(
                "%s address %s names organization %r, which has no routing profile: "
                "the contact becomes a message only",
                contact.channel, contact.organization, contact.routed_by,
            )  # fmt: skip
        return profile is not None

    async def receive(self, contact: Contact) -> Delivered:
        widget_of = None if contact.routed_by else await self._widget_organization(contact)
        if widget_of is not None:
            assert self.router is not None
            inbound = Inbound(widget_of, contact.customer, contact.body, contact.channel,
                              attributes=contact.attributes)  # fmt: skip
            request, message_sid = await self.router.receive(contact.account_sid, inbound)
            return Delivered(request.interaction_sid, message_sid)
        if await self._routed(contact):
            assert self.router is not None and contact.routed_by is not None
            inbound = Inbound(
                organization=contact.routed_by,
                address=contact.customer,
                body=contact.body,
                channel=contact.channel,
                proxy_address=contact.organization,
                attributes=contact.attributes,
                subject=_subject(contact),
            )
            request, message_sid = await self.router.receive(contact.account_sid, inbound)
            return Delivered(request.interaction_sid, message_sid)
        async with self._pair_lock(contact):
            sid = await self._open_interaction(contact)
            if sid is None:
                sid = await self._new_interaction(contact)
        fields = messages.MessageCreate(
            author=contact.customer, body=contact.body, attributes=contact.attributes
        )
        row = await messages.post_message(
            self.conversations, contact.account_sid, EVERYTHING, sid, fields
        )
        return Delivered(sid, row.sid)

    async def set_receipt(
        self,
        account_sid: str,
        conversation_sid: str,
        message_sid: str,
        receipt_sid: str,
        status: str,
        error_code: int | None,
    ) -> None:
        await messages.update_receipt(
            self.conversations,
            account_sid,
            EVERYTHING,
            conversation_sid,
            message_sid,
            receipt_sid,
            status,
            error_code,
        )

    async def history(self, account_sid: str, conversation_sid: str) -> list[Line]:
        svc = self.conversations
        async with svc.store.read() as unit:
            interaction = await unit.get(cr.Interaction, conversation_sid)
            if interaction is None or interaction.account_sid != account_sid:
                return []
            rows = await unit.select(
                cr.Message,
                eq("interaction_sid", conversation_sid),
                eq("kind", "message"),
                order=[asc("index")],
            )
        return [
            Line(
                row.index,
                row.author,
                messages.body_of(svc, interaction, row) or "",
                row.date_created,
            )
            for row in rows
        ]

    async def mark_read(
        self, account_sid: str, conversation_sid: str, address: str, index: int
    ) -> None:
        svc = self.conversations
        async with svc.store.read() as unit:
            member = await unit.first(
                cr.Participant, eq("interaction_sid", conversation_sid), eq("address", address)
            )
        if member is None or member.account_sid != account_sid:
            return
        update = participants.ParticipantUpdate(last_read_message_index=index)
        await participants.update_participant(
            svc, account_sid, EVERYTHING, conversation_sid, member.sid, update
        )

    async def typing(self, account_sid: str, conversation_sid: str, address: str) -> None:
        await typing.started(self.conversations, account_sid, EVERYTHING, conversation_sid, address)


class DistributionIntake:
    """:class:`~switchboard.channels.ports.TaskIntake` over the distribution pillar: a
    waiting call becomes a task; a caller who hangs up cancels it while it still waits."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def open_task(
        self, account_sid: str, workspace_sid: str, workflow_sid: str, attributes: str
    ) -> str:
        fields = tasks.TaskCreate(attributes=attributes, workflow_sid=workflow_sid)
        task = await tasks.create_task(self.services, account_sid, workspace_sid, fields)
        return task.sid

    async def cancel_waiting(
        self, account_sid: str, workspace_sid: str, task_sid: str, reason: str
    ) -> bool:
        async with self.services.store.read() as unit:
            task = await unit.get(Task, task_sid)
        if task is None or task.assignment_status not in ("pending", "reserved"):
            return False
        update = tasks.TaskUpdate(assignment_status="canceled", reason=reason)
        try:
            await tasks.update_task(self.services, account_sid, workspace_sid, task_sid, update)
        except SwitchboardError:
            return False  # assigned in the meantime: the call was answered
        return True


async def _typing_out(
    conversations: Conversations, channels: Channels, event: dict[str, Any]
) -> None:
    """A member typing: shown on the widget of each web chat visitor of the conversation."""
    who = event["record"]
    if not who.get("identity"):
        return  # the visitor's own typing
    async with conversations.store.read() as unit:
        members = await unit.select(
            cr.Participant, eq("interaction_sid", event["conversation_sid"])
        )
    for member in members:
        if member.address and member.proxy_address:
            await chat.typing_to(
                channels, event["account_sid"], member.address, member.proxy_address,
                who["identity"],
            )  # fmt: skip


def send_replies(conversations: Conversations, channels: Channels) -> None:
    """Offer each added message to the channels pillar, once per outside participant (and
    members' typing to web chat visitors)."""

    async def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == typing.TYPING:
            await _typing_out(conversations, channels, event)
            return
        if event.get("type") != "onMessageAdded" or event["record"].get("kind") != "message":
            return
        message = event["record"]
        async with conversations.store.read() as unit:
            receipts = await unit.select(cr.Receipt, eq("message_sid", message["sid"]))
            members = await unit.select(
                cr.Participant, isin("sid", sorted(r.participant_sid for r in receipts))
            )
        by_sid = {member.sid: member for member in members}
        for receipt in receipts:
            member = by_sid.get(receipt.participant_sid)
            if member is None or not member.address or not member.proxy_address:
                continue
            body = event.get("body") or ""
            line = Line(message["index"], message["author"], body, message["date_created"])
            await outbound.queue_reply(
                channels,
                message["account_sid"],
                message["interaction_sid"],
                message["sid"],
                receipt.sid,
                member.address,
                member.proxy_address,
                body,
                line,
            )

    conversations.bus.subscribe(on_event)


def _subject(contact: Contact) -> str | None:
    """An email's Subject names its case (other channels: the first message does)."""
    try:
        attributes = json.loads(contact.attributes or "{}")
    except ValueError:
        return None
    subject = attributes.get("subject") if isinstance(attributes, dict) else None
    return subject if isinstance(subject, str) and subject.strip() else None
