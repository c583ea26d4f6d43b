"""Notes: text, photo or video posted as events of an interaction, visible under the
same point of view as messages. Attachments are checked (type, size) and stored
through an :class:`AttachmentStore`; the note's `media` lists them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access
from switchboard.conversations.services.context import AttachmentStore, Conversations
from switchboard.conversations.services.messages import MessageCreate, post_message
from switchboard.kernel import sids
from switchboard.kernel.errors import InvalidParameter
from switchboard.kernel.ports import Unit

MEDIA = "ME"
TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime",
     "video/webm", "text/plain"}
)  # fmt: skip
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


def check_uploads(uploads: Sequence[Upload], max_bytes: int) -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidParameter(f"Invalid Media: at most {MAX_ATTACHMENTS} attachments")
    for upload in uploads:
        if upload.content_type not in TYPES:
            raise InvalidParameter(
                f"Invalid Media: {upload.content_type!r} is not one of {', '.join(sorted(TYPES))}"
            )
        if len(upload.content) > max_bytes:
            raise InvalidParameter(f"Invalid Media: an attachment is at most {max_bytes} bytes")


async def post_note(
    svc: Conversations,
    store: AttachmentStore | None,
    account_sid: str,
    scope: Scope,
    key: str,
    author: str | None,
    body: str | None,
    uploads: Sequence[Upload],
) -> r.Message:
    """Attachments first, then the note; the files go again if the note is refused."""
    async with svc.store.read() as unit:
        await access.access_interaction(unit, account_sid, scope, key)
    media = [(sids.new_sid(MEDIA), upload) for upload in uploads]
    assert store is not None or not media
    for sid, upload in media:
        assert store is not None
        await store.save(account_sid, sid, upload.content)
    described = [
        {"sid": sid, "content_type": u.content_type, "filename": u.filename, "size": len(u.content)}
        for sid, u in media
    ]
    stored = json.dumps(described) if described else None
    create = MessageCreate(author=author, body=body, kind="note", media=stored)
    try:
        return await post_message(svc, account_sid, scope, key, create)
    except BaseException:
        for sid, _upload in media:
            assert store is not None
            await store.remove(account_sid, sid)
        raise


def attachment_of(message: r.Message, media_sid: str) -> dict[str, object] | None:
    for item in json.loads(message.media or "[]"):
        if item.get("sid") == media_sid and "content_type" in item:
            return dict(item)
    return None


async def read_attachment(
    svc: Conversations,
    store: AttachmentStore,
    unit: Unit,
    account_sid: str,
    scope: Scope,
    key: str,
    message_sid: str,
    media_sid: str,
) -> tuple[str, bytes]:
    """(content type, bytes) of an attachment the reader may see; 404 otherwise."""
    interaction = await access.access_interaction(unit, account_sid, scope, key)
    message = await access.access_message(unit, interaction, scope, message_sid)
    item = attachment_of(message, media_sid)
    content = await store.read(account_sid, media_sid) if item is not None else None
    if item is None or content is None:
        raise access.missing(f"Conversations/{key}/Messages/{message_sid}/Media", media_sid)
    return str(item["content_type"]), content
