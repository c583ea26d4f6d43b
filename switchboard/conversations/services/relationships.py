"""Merging and splitting outer conversations (Relationships), keeping history.

A merge moves every sequence (and so every interaction) of the source into the target;
the source stays, closed, pointing at the target. A split moves named sequences into a
new relationship of the same organization and outside party. Both are refused across
organizations (across accounts, the other sid is simply not found), and both leave an
entry in the audit trail.
"""

from __future__ import annotations

import json

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import EVERYTHING
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.sequences import record_audit
from switchboard.kernel import sids
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.errors import Conflict, InvalidParameter


async def merge_relationships(
    svc: Conversations,
    account_sid: str,
    source_sid: str,
    target_sid: str | None,
    actor: str | None = None,
) -> r.OuterConversation:
    async with svc.store.transaction() as unit:
        source = await access.access_relationship(unit, account_sid, EVERYTHING, source_sid)
        if target_sid is None:
            raise InvalidParameter("Missing required parameter Into in the post body")
        if source_sid == target_sid:
            raise InvalidParameter("A relationship cannot be merged into itself")
        target = await access.access_relationship(unit, account_sid, EVERYTHING, target_sid)
        if source.organization != target.organization:
            raise InvalidParameter(
                "Relationships of different organizations cannot be merged", code=50438
            )
        if source.merged_into_sid is not None:
            raise Conflict(f"Relationship {source.sid} was already merged", code=50437)
        now = svc.clock.now_ms()
        moved = await unit.values(r.Interaction, "sid", eq("conversation_sid", source.sid))
        await unit.update_where(
            r.Sequence, {"conversation_sid": target.sid}, eq("conversation_sid", source.sid)
        )
        await unit.update_where(
            r.Interaction, {"conversation_sid": target.sid}, eq("conversation_sid", source.sid)
        )
        aliases = json.loads(target.aliases)
        target.aliases = json.dumps(
            [*aliases, *(a for a in json.loads(source.aliases) if a not in aliases)]
        )
        source.merged_into_sid, source.state, source.date_ended = target.sid, "closed", now
        source.date_updated = target.date_updated = now
        record_audit(unit, account_sid, "merge", source.sid, target.sid, moved, actor, now)
    return target


async def split_relationship(
    svc: Conversations,
    account_sid: str,
    sid: str,
    sequences: list[str],
    actor: str | None = None,
) -> r.OuterConversation:
    async with svc.store.transaction() as unit:
        source = await access.access_relationship(unit, account_sid, EVERYTHING, sid)
        if not sequences:
            raise InvalidParameter("Missing required parameter Sequences in the post body")
        moving = await unit.count(r.Sequence, eq("conversation_sid", sid), isin("sid", sequences))
        if moving != len(set(sequences)):
            raise InvalidParameter("Invalid Sequences: each must belong to the relationship split")
        now = svc.clock.now_ms()
        row = r.OuterConversation(
            sid=sids.new_sid(r.OUTER_CONVERSATION),
            account_sid=account_sid,
            organization=source.organization,
            outside_party=source.outside_party,
            friendly_name=source.friendly_name,
            state="active",
            tags=source.tags,
            aliases=source.aliases,
            encryption=source.encryption,
            merged_into_sid=None,
            date_created=now,
            date_updated=now,
            date_ended=None,
        )
        unit.add(row)
        await unit.flush()
        moved = await unit.values(r.Interaction, "sid", isin("sequence_sid", sequences))
        await unit.update_where(r.Sequence, {"conversation_sid": row.sid}, isin("sid", sequences))
        await unit.update_where(
            r.Interaction, {"conversation_sid": row.sid}, isin("sequence_sid", sequences)
        )
        record_audit(unit, account_sid, "split", source.sid, row.sid, moved, actor, now)
    return row
