"""Committed changes of the pillar, published on its bus after commit (never before).

Each event names its interaction and, for messages, the index, so a subscriber (the
websocket stream) can ask the point-of-view scope whether a reader may see it. The
record travels as its plain fields: every event survives a JSON round trip.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from switchboard.conversations.services.context import Conversations
from switchboard.kernel.ports import Unit

# events after which a reader's scope may have changed (membership, history setting)
SCOPE_CHANGES = frozenset(
    {"onParticipantAdded", "onParticipantRemoved", "onConversationUpdated", "onConversationRemoved"}
)


def event(
    kind: str,
    account_sid: str,
    interaction_sid: str,
    record: Any,
    index: int | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """`body` is a message's readable text (its record may hold it sealed)."""
    return {
        "type": kind,
        "account_sid": account_sid,
        "conversation_sid": interaction_sid,
        "index": index,
        "record": dataclasses.asdict(record),
        "body": body,
    }


def emit(
    svc: Conversations,
    unit: Unit,
    kind: str,
    interaction_sid: str,
    record: Any,
    index: int | None = None,
    body: str | None = None,
) -> None:
    """Publish the event once `unit` commits (its record as it is at commit time)."""

    async def publish() -> None:
        found = event(kind, record.account_sid, interaction_sid, record, index, body)
        await svc.bus.publish(found)

    unit.after_commit(publish)
