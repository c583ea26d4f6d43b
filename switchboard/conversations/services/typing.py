"""Typing indicators: a participant started typing in an interaction. Nothing is stored;
the event (`onTypingStarted`) goes on the pillar's bus, so the members' streams and the
channels (a web chat visitor's widget) hear it, each as its reader may see it."""

from __future__ import annotations

from typing import Any

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import InvalidParameter

TYPING = "onTypingStarted"


async def started(
    svc: Conversations, account_sid: str, scope: Scope, key: str, who: str | None
) -> dict[str, Any]:
    """`who` (a participant's identity, or an outside participant's address) is typing in
    the interaction `key`; the published event."""
    async with svc.store.read() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        if not who:  # after the access check: another tenant's sid answers 404
            raise InvalidParameter("Missing required parameter Identity in the post body")
        member = await unit.first(
            r.Participant, eq("interaction_sid", interaction.sid), eq("identity", who)
        ) or await unit.first(
            r.Participant, eq("interaction_sid", interaction.sid), eq("address", who)
        )
    if member is None:
        raise InvalidParameter(f"{who} is not a participant of {interaction.sid}")
    event = {
        "type": TYPING,
        "account_sid": account_sid,
        "conversation_sid": interaction.sid,
        "index": None,
        "record": {
            "participant_sid": member.sid,
            "identity": member.identity,
            "address": member.address,
        },
        "body": None,
    }
    await svc.bus.publish(event)
    return event
