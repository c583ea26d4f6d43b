"""What the conversations services need, built once by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol

from switchboard.conversations.services.search import MessageIndex, ScanIndex
from switchboard.kernel.bus import EventBus
from switchboard.kernel.ports import CallbackSender, Clock, SigningKeys, Store

INVITATION_TTL_MS = 24 * 3_600_000


class BodySealer(Protocol):
    """Encrypts message bodies at rest, with a key of each account's own."""

    def seal(self, account_sid: str, secret: str) -> str:
        """The sealed form of `secret` (safe to store)."""
        ...

    def unseal(self, account_sid: str, sealed: str) -> str:
        """The text `seal` was given for the same account."""
        ...


class AttachmentStore(Protocol):
    """Where attachment bytes live (a directory on disk)."""

    async def save(self, account_sid: str, media_sid: str, content: bytes) -> None:
        """Keep `content` under the sid (durably, before the note's row is written)."""
        ...

    async def remove(self, account_sid: str, media_sid: str) -> None:
        """Forget the bytes (nothing happens when they are not there)."""
        ...

    async def read(self, account_sid: str, media_sid: str) -> bytes | None:
        """The bytes, or None."""
        ...


@dataclass
class Conversations:
    """The pillar's services: the store, the clock, the signed webhook sender, the sealer."""

    store: Store
    clock: Clock
    sender: CallbackSender | None = None
    sealer: BodySealer | None = None
    keys: SigningKeys | None = None  # verify stream access tokens
    index: MessageIndex = field(default_factory=ScanIndex)  # full-text search
    attachments: AttachmentStore | None = None  # note attachments (None: notes are text)
    media_max_bytes: int = 16_777_216
    webhook_timeout: float = 5.0
    invitation_ttl_ms: int = INVITATION_TTL_MS
    # the pillar's own bus: its events never reach the distribution pillar's subscribers
    bus: EventBus = field(default_factory=EventBus)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Awaitable[None]) -> None:
        """Run post-action work (webhooks) beside the request, keeping a reference."""

        async def run() -> None:
            await work

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for post-action work in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
