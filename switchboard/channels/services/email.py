"""Email: inbound through the SMTP listener, threaded by Message-ID / In-Reply-To /
References; replies through the relay with the organization's address and the thread's
headers. The listener runs beside the server while the channel is on."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict
from email.utils import make_msgid

from switchboard.channels.adapters.imap_in import ImapMailbox
from switchboard.channels.adapters.smtp_in import Handler, listen
from switchboard.channels.domain import records as r
from switchboard.channels.domain.addresses import email_address
from switchboard.channels.domain.email import (
    InboundEmail,
    OutboundEmail,
    header_recipients,
    parse_email,
    reply_subject,
)
from switchboard.channels.ports import Contact, ProviderError, Reply
from switchboard.channels.services.addresses import UnknownAddress, record_event, resolve
from switchboard.channels.services.context import Channels
from switchboard.channels.services.inbound import accept_once
from switchboard.kernel.criteria import desc, eq
from switchboard.kernel.errors import InvalidParameter

log = logging.getLogger(__name__)


async def _thread(svc: Channels, account_sid: str, references: tuple[str, ...]) -> str | None:
    """The conversation the newest referenced message belongs to (ours or theirs)."""
    async with svc.store.read() as unit:
        for ref in references:
            found = await unit.first(
                r.InboundContact,
                eq("channel", r.EMAIL),
                eq("external_id", ref),
                eq("account_sid", account_sid),
            )
            if found is not None and found.conversation_sid is not None:
                return found.conversation_sid
            sent = await unit.first(
                r.OutboundContact,
                eq("channel", r.EMAIL),
                eq("provider_sid", ref),
                eq("account_sid", account_sid),
            )
            if sent is not None:
                return sent.conversation_sid
    return None


def _attributes(mail: InboundEmail) -> str:
    attachments = [asdict(a) for a in mail.attachments]
    return json.dumps(
        {
            "channel": r.EMAIL,
            "message_id": mail.message_id,
            "subject": mail.subject,
            "attachments": attachments,
        }
    )


async def receive_email(svc: Channels, mail: InboundEmail) -> r.InboundContact | None:
    """The message goes to the first of its recipients an organization configured, into the
    thread it answers (a new conversation when it answers none); once per Message-ID."""
    address = None
    for recipient in mail.recipients:
        try:
            address = await resolve(svc, r.EMAIL, recipient, mail.sender)
            break
        except UnknownAddress:
            continue
    if address is None:
        raise UnknownAddress(f"No organization has any of {', '.join(mail.recipients)}")
    thread = await _thread(svc, address.account_sid, mail.references)
    contact = Contact(
        account_sid=address.account_sid,
        channel=r.EMAIL,
        customer=mail.sender,
        organization=address.address,
        body=mail.text or "(no text)",
        attributes=_attributes(mail),
        thread=thread,
        reuse_open=False,
        routed_by=address.organization,
    )
    row = await accept_once(svc, address, mail.message_id, lambda: svc.desk.receive(contact))
    if row is not None:
        async with svc.store.transaction() as unit:
            stored = await unit.get(r.InboundContact, row.sid)
            if stored is not None:
                stored.subject = mail.subject
    return row


async def compose_reply(svc: Channels, reply: Reply) -> OutboundEmail:
    """The reply answers the conversation's newest inbound email (its subject and id)."""
    async with svc.store.read() as unit:
        last = await unit.first(
            r.InboundContact,
            eq("channel", r.EMAIL),
            eq("conversation_sid", reply.conversation_sid),
            order=[desc("date_created")],
        )
    domain = reply.sender.rsplit("@", 1)[-1]
    parent = last.external_id if last is not None else None
    return OutboundEmail(
        sender=reply.sender,
        recipient=reply.recipient,
        subject=reply_subject(last.subject or "" if last is not None else ""),
        body=reply.body,
        message_id=make_msgid(domain=domain),
        in_reply_to=parent,
        references=(parent,) if parent is not None else (),
    )


async def send_email(svc: Channels, reply: Reply) -> str:
    if svc.email is None:
        raise ProviderError("the email channel is not enabled", retry=False)
    return await svc.email.send(await compose_reply(svc, reply))


class EmailListener:
    """The SMTP listener of the email channel, started and stopped with the server."""

    def __init__(self, svc: Channels, host: str, port: int, max_bytes: int) -> None:
        self.svc, self.host, self.port, self.max_bytes = svc, host, port, max_bytes
        self.server: asyncio.Server | None = None

    @property
    def bound_port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def check(self, recipient: str) -> str | None:
        try:
            await resolve(self.svc, r.EMAIL, email_address(recipient), "(smtp)")
        except (UnknownAddress, InvalidParameter):
            return "550 5.1.1 No such mailbox here"
        return None

    async def receive(self, raw: bytes, recipients: list[str]) -> str | None:
        try:
            await receive_email(self.svc, parse_email(raw, recipients))
        except InvalidParameter as exc:
            return f"550 5.6.0 {exc.message}"
        except UnknownAddress:
            return "550 5.1.1 No such mailbox here"
        except Exception:
            log.exception("inbound email could not be stored")
            return "451 4.3.0 Try again later"
        return None

    async def start(self) -> None:
        handler = Handler(self.check, self.receive)
        self.server = await listen(handler, self.host, self.port, max_bytes=self.max_bytes)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


class ImapPoller:
    """Hosted mailboxes: every `interval` seconds the unseen messages are read and stored
    like SMTP ones, then marked seen. A message that can never be stored (no Message-ID, no
    known recipient) is marked seen too, after an event; a failure of the store leaves it
    unseen for the next poll."""

    def __init__(self, svc: Channels, mailbox: ImapMailbox, interval: float) -> None:
        self.svc, self.mailbox, self.interval = svc, mailbox, interval
        self._task: asyncio.Task[None] | None = None

    async def poll(self) -> int:
        """One round; how many messages were marked seen."""
        done = []
        for uid, raw in await self.mailbox.unseen():
            if await self._store(uid, raw):
                done.append(uid)
        await self.mailbox.mark_seen(done)
        return len(done)

    async def _store(self, uid: str, raw: bytes) -> bool:
        recipients = header_recipients(raw)
        try:
            await receive_email(self.svc, parse_email(raw, recipients))
        except (InvalidParameter, UnknownAddress) as exc:
            detail = f"IMAP message {uid} cannot be stored: {exc}"
            await record_event(
                self.svc, None, r.EMAIL, "channel.email.refused", ",".join(recipients)[:320], detail
            )
        except Exception:
            log.exception("storing IMAP message %s failed; it stays unseen", uid)
            return False
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:
                log.exception("polling the IMAP mailbox failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="imap-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
