"""Web chat: visitors of a widget, their messages into a conversation, and the replies of
the organization's members pushed to every open websocket of the visitor.

A visitor's token is shown once and stored as its SHA-256, like an auth token. The hub
holds the sockets open in this process; with a relay (PostgreSQL LISTEN/NOTIFY) a frame
pushed in one process reaches the visitor's sockets in every other, and the process whose
socket got a reply marks it delivered. Every socket gets the whole history when it
(re)connects, so nothing is missed for long. Typing indicators travel both ways: the
visitor's into the conversation (members' streams), members' to the visitor's sockets.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Protocol

from switchboard.channels.domain import records as r
from switchboard.channels.domain.sms import MAX_BODY
from switchboard.channels.ports import ChatDesk, Contact, Line, Reply
from switchboard.channels.services.addresses import resolve
from switchboard.channels.services.context import Channels
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import InvalidParameter, Unauthorized

Push = Callable[[dict[str, Any]], Awaitable[None]]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Relay(Protocol):
    """Carries frames to the other processes (adapters/pg_chat.py on PostgreSQL)."""

    heard: Callable[[dict[str, Any]], Awaitable[None]] | None

    async def publish(self, message: dict[str, Any]) -> None: ...


Delivered = Callable[[dict[str, Any]], Awaitable[None]]


class ChatHub:
    """The open websockets of each visitor in this process, and the relay to the others."""

    def __init__(self, relay: Relay | None = None) -> None:
        self._sockets: dict[str, set[Push]] = {}
        self.relay = relay
        # marks a relayed reply delivered (set by the composition root)
        self.on_delivered: Delivered | None = None
        if relay is not None:
            relay.heard = self.heard

    def join(self, visitor_sid: str, push: Push) -> Callable[[], None]:
        self._sockets.setdefault(visitor_sid, set()).add(push)
        return lambda: self._sockets.get(visitor_sid, set()).discard(push)

    async def _local(self, visitor_sid: str, frame: dict[str, Any]) -> int:
        pushes = list(self._sockets.get(visitor_sid, ()))
        for push in pushes:
            await push(frame)
        return len(pushes)

    async def push(
        self, visitor_sid: str, frame: dict[str, Any], receipt: dict[str, Any] | None = None
    ) -> int:
        """Send to every socket of the visitor here, and through the relay to the other
        processes (which mark `receipt` delivered when one of theirs got it); how many
        sockets here got it."""
        count = await self._local(visitor_sid, frame)
        if self.relay is not None:
            relayed = {"visitor": visitor_sid, "frame": frame, "receipt": None}
            if count == 0:
                relayed["receipt"] = receipt
            await self.relay.publish(relayed)
        return count

    async def heard(self, message: dict[str, Any]) -> None:
        """A frame another process pushed: to this process's sockets of the visitor."""
        count = await self._local(str(message["visitor"]), dict(message["frame"]))
        receipt = message.get("receipt")
        if count and receipt and self.on_delivered is not None:
            await self.on_delivered(dict(receipt))


async def create_visitor(svc: Channels, widget: str) -> tuple[r.Visitor, str]:
    """A new visitor of the widget and its token (returned once, stored hashed)."""
    address = await resolve(svc, r.CHAT, widget, "(web chat visitor)")
    token = secrets.token_urlsafe(32)
    row = r.Visitor(
        sid=sids.new_sid(r.VISITOR),
        account_sid=address.account_sid,
        address_sid=address.sid,
        token_hash=token_hash(token),
        conversation_sid=None,
        date_created=svc.clock.now_ms(),
    )
    async with svc.store.transaction() as unit:
        unit.add(row)
    return row, token


async def visitor_of(svc: Channels, token: str | None) -> tuple[r.Visitor, r.ChannelAddress]:
    if not token:
        raise Unauthorized("Missing visitor token")
    async with svc.store.read() as unit:
        visitor = await unit.first(r.Visitor, eq("token_hash", token_hash(token)))
        address = None if visitor is None else await unit.get(r.ChannelAddress, visitor.address_sid)
    if visitor is None or address is None:
        raise Unauthorized("Unknown visitor token")
    return visitor, address


def line_frame(line: Line, visitor_sid: str) -> dict[str, Any]:
    return {**asdict(line), "type": "message", "mine": line.author == visitor_sid}


async def history(svc: Channels, desk: ChatDesk, visitor: r.Visitor) -> list[dict[str, Any]]:
    if visitor.conversation_sid is None:
        return []
    lines = await desk.history(visitor.account_sid, visitor.conversation_sid)
    return [line_frame(line, visitor.sid) for line in lines]


async def say(
    svc: Channels, visitor: r.Visitor, address: r.ChannelAddress, body: Any
) -> dict[str, Any]:
    """The visitor's message into its conversation (a new one for its first)."""
    if not isinstance(body, str) or not body.strip():
        raise InvalidParameter("a message needs a body")
    if len(body) > MAX_BODY:
        raise InvalidParameter(f"a message is at most {MAX_BODY} characters")
    contact = Contact(
        account_sid=visitor.account_sid,
        channel=r.CHAT,
        customer=visitor.sid,
        organization=address.address,
        body=body,
        attributes=json.dumps({"channel": r.CHAT, "widget": address.address}),
        thread=visitor.conversation_sid,
        routed_by=address.organization,
    )
    delivered = await svc.desk.receive(contact)
    if visitor.conversation_sid != delivered.conversation_sid:
        async with svc.store.transaction() as unit:
            row = await unit.get(r.Visitor, visitor.sid)
            if row is not None:
                row.conversation_sid = delivered.conversation_sid
        visitor.conversation_sid = delivered.conversation_sid
    return {"type": "sent", "message_sid": delivered.message_sid}


async def deliver_reply(svc: Channels, reply: Reply, line: Line) -> None:
    """Push a member's message to the visitor's sockets; `delivered` when one got it (here,
    or in another process, which marks it)."""
    if svc.chat is None:
        return
    receipt = {
        "account_sid": reply.account_sid,
        "conversation_sid": reply.conversation_sid,
        "message_sid": reply.message_sid,
        "receipt_sid": reply.receipt_sid,
    }
    if await svc.chat.push(reply.recipient, line_frame(line, reply.recipient), receipt):
        await mark_delivered(svc, receipt)


async def mark_delivered(svc: Channels, receipt: dict[str, Any]) -> None:
    """A visitor's socket got the reply: its receipt turns `delivered`."""
    await svc.desk.set_receipt(
        receipt["account_sid"],
        receipt["conversation_sid"],
        receipt["message_sid"],
        receipt["receipt_sid"],
        "delivered",
        None,
    )


async def typing(svc: Channels, visitor: r.Visitor) -> None:
    """The visitor started typing: the members of its conversation see it (none yet: no one
    to tell)."""
    if visitor.conversation_sid is None or svc.chat_desk is None:
        return
    await svc.chat_desk.typing(visitor.account_sid, visitor.conversation_sid, visitor.sid)


async def typing_to(
    svc: Channels, account_sid: str, recipient: str, sender: str, author: str
) -> bool:
    """A member started typing in a conversation whose outside participant `recipient`
    writes to `sender`: when that is one of the account's widgets, the visitor's widget
    shows it. Whether it was a web chat visitor."""
    if svc.chat is None:
        return False
    async with svc.store.read() as unit:
        found = await unit.first(
            r.ChannelAddress,
            eq("account_sid", account_sid),
            eq("channel", r.CHAT),
            eq("address", sender),
        )
    if found is None:
        return False
    await svc.chat.push(recipient, {"type": "typing", "author": author})
    return True


async def read(svc: Channels, visitor: r.Visitor, index: Any) -> dict[str, Any]:
    """The visitor has read up to `index`: its participant's read position (a read receipt)."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise InvalidParameter("read needs a message index")
    if visitor.conversation_sid is None or svc.chat_desk is None:
        raise InvalidParameter("nothing to read yet")
    await svc.chat_desk.mark_read(visitor.account_sid, visitor.conversation_sid, visitor.sid, index)
    return {"type": "read", "index": index}
