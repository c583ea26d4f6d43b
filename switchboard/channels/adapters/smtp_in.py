"""A real SMTP listener (aiosmtpd) in the server's own event loop.

The handler decides at `RCPT TO` whether a mailbox is ours (550 otherwise, so the
sending server bounces the message to its author instead of it being lost) and at
`DATA` hands the raw message over; the size limit is enforced by the protocol
(552 above it) before anything is parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

# (recipient) -> None when accepted, else an SMTP reply line such as "550 ..."
CheckRecipient = Callable[[str], Awaitable[str | None]]
# (raw message, envelope recipients) -> None when accepted, else an SMTP reply line
Receive = Callable[[bytes, list[str]], Awaitable[str | None]]


class Handler:
    def __init__(self, check: CheckRecipient, receive: Receive) -> None:
        self.check = check
        self.receive = receive

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        refused = await self.check(address)
        if refused is not None:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        refused = await self.receive(raw, list(envelope.rcpt_tos))
        return refused or "250 Message accepted"


async def listen(handler: Handler, host: str, port: int, *, max_bytes: int) -> asyncio.Server:
    """Start listening; port 0 picks a free one (read it from the server's sockets)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
