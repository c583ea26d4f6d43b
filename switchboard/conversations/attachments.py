"""Note attachments on disk: one file per attachment, under the account's sid.

The file is written before the note's row, and removed again when the row cannot be
written, so a row never names a missing file. Names are sids (`ME` + 32 hex), never
anything the client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from switchboard.kernel import sids


class DiskAttachments:
    """:class:`~switchboard.conversations.services.notes.AttachmentStore` on a directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, account_sid: str, media_sid: str) -> Path:
        if not sids.is_sid(account_sid, sids.ACCOUNT) or not sids.is_sid(media_sid, "ME"):
            raise ValueError("not an attachment of an account")
        return self.root / account_sid / media_sid

    async def save(self, account_sid: str, media_sid: str, content: bytes) -> None:
        target = self.path(account_sid, media_sid)
        await asyncio.to_thread(_write, target, content)

    async def remove(self, account_sid: str, media_sid: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(account_sid, media_sid).unlink)

    async def read(self, account_sid: str, media_sid: str) -> bytes | None:
        target = self.path(account_sid, media_sid)
        try:
            return await asyncio.to_thread(target.read_bytes)
        except FileNotFoundError:
            return None


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(target)
