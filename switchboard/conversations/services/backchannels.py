"""Backchannels: an interaction started from an existing one, excluding some of its
parties and possibly adding new ones. It is an interaction of its own (`parent_sid` set),
so its members read nothing of the parent through it."""

from __future__ import annotations

from dataclasses import dataclass, field

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import emit
from switchboard.conversations.services.interactions import InteractionCreate, new_interaction
from switchboard.conversations.services.participants import add_member
from switchboard.kernel.criteria import eq, notin
from switchboard.kernel.errors import InvalidParameter


@dataclass(frozen=True)
class Backchannel:
    """Start an interaction from an existing one: its participants minus `exclude`, plus
    `include` (identities), reading history as `history` (joined by default)."""

    exclude: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    friendly_name: str | None = None
    history: str = r.JOINED


async def start_backchannel(
    svc: Conversations, account_sid: str, scope: Scope, key: str, params: Backchannel
) -> r.Interaction:
    """A new interaction with `parent_sid` set; its participants read only its own history."""
    if params.history not in r.HISTORY:
        raise InvalidParameter(f"Invalid History: {params.history!r}")
    async with svc.store.transaction() as unit:
        parent = await access.access_interaction(unit, account_sid, scope, key)
        create = InteractionCreate(
            friendly_name=params.friendly_name,
            history=params.history,
            parent_sid=parent.sid,
            sequence_sid=parent.sequence_sid,
            encryption=parent.encryption,
        )
        row = await new_interaction(svc, unit, account_sid, create)
        unit.add(row)
        emit(svc, unit, "onConversationAdded", row.sid, row)
        kept = await unit.values(
            r.Participant,
            "identity",
            eq("interaction_sid", parent.sid),
            notin("identity", params.exclude),
        )
        for identity in dict.fromkeys([*(i for i in kept if i), *params.include]):
            joined = add_member(unit, row, identity, svc.clock.now_ms())
            emit(svc, unit, "onParticipantAdded", row.sid, joined)
    return row
