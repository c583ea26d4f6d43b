"""A hosted mailbox read over IMAP (the standard library's client, in a thread): the
unseen messages, and marking one seen once it is stored."""

from __future__ import annotations

import asyncio
import imaplib
import re

_UID = re.compile(rb"UID (\d+)")


class ImapMailbox:
    """One mailbox of an IMAP account; a connection per poll (hosted servers drop idle ones)."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        mailbox: str = "INBOX",
        ssl: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.mailbox, self.ssl, self.timeout = mailbox, ssl, timeout

    def _connect(self) -> imaplib.IMAP4:
        if self.ssl:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.host, self.port, timeout=self.timeout)
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        client.login(self.username, self.password)
        client.select(self.mailbox)
        return client

    def _unseen(self, limit: int) -> list[tuple[str, bytes]]:
        client = self._connect()
        try:
            _status, found = client.uid("SEARCH", "UNSEEN")
            uids = (found[0] or b"").split()[:limit]
            messages = []
            for uid in uids:
                _status, parts = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
                for part in parts:
                    if isinstance(part, tuple):
                        messages.append((uid.decode(), bytes(part[1])))
            return messages
        finally:
            client.logout()

    def _seen(self, uids: list[str]) -> None:
        client = self._connect()
        try:
            for uid in uids:
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        finally:
            client.logout()

    async def unseen(self, limit: int = 50) -> list[tuple[str, bytes]]:
        """(uid, raw message) of up to `limit` unseen messages (left unseen by reading)."""
        return await asyncio.to_thread(self._unseen, limit)

    async def mark_seen(self, uids: list[str]) -> None:
        if uids:
            await asyncio.to_thread(self._seen, uids)
