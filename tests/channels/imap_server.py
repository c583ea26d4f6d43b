"""A tiny IMAP4rev1 server for tests: the subset the standard library's client speaks when
the IMAP poller reads a mailbox (LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH, UID STORE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    username: str
    password: str
    messages: dict[int, bytes] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    logins: int = 0

    def add(self, raw: bytes) -> int:
        uid = len(self.messages) + 1
        self.messages[uid] = raw
        return uid

    def unseen(self) -> list[int]:
        return [uid for uid in sorted(self.messages) if uid not in self.seen]


def _args(line: str) -> list[str]:
    return [part.strip('"') for part in line.split(" ")]


async def _session(
    box: Mailbox, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(b"* OK IMAP4rev1 test server ready\r\n")
    while line := (await reader.readline()).decode().rstrip("\r\n"):
        tag, command, *rest = _args(line)
        command = command.upper()
        if command == "CAPABILITY":
            writer.write(b"* CAPABILITY IMAP4rev1\r\n")
        elif command == "LOGIN":
            if rest[:2] != [box.username, box.password]:
                writer.write(f"{tag} NO LOGIN failed\r\n".encode())
                continue
            box.logins += 1
        elif command == "SELECT":
            writer.write(f"* {len(box.messages)} EXISTS\r\n".encode())
        elif command == "UID" and rest[0].upper() == "SEARCH":
            writer.write(("* SEARCH " + " ".join(map(str, box.unseen())) + "\r\n").encode())
        elif command == "UID" and rest[0].upper() == "FETCH":
            uid = int(rest[1])
            raw = box.messages[uid]
            writer.write(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
            writer.write(raw + b")\r\n")
        elif command == "UID" and rest[0].upper() == "STORE":
            box.seen.add(int(rest[1]))
            writer.write(f"* {rest[1]} FETCH (UID {rest[1]} FLAGS (\\Seen))\r\n".encode())
        elif command == "LOGOUT":
            writer.write(b"* BYE\r\n" + f"{tag} OK LOGOUT completed\r\n".encode())
            break
        writer.write(f"{tag} OK {command} completed\r\n".encode())
        await writer.drain()
    await writer.drain()
    writer.close()


@asynccontextmanager
async def imap_server(box: Mailbox) -> AsyncIterator[int]:
    """Serve `box` on a free 127.0.0.1 port for the block; yields the port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _session(box, reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
