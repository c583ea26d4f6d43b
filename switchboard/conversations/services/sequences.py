"""Switchboard's extension resources: outer conversations (Relationships), their sequences
(cases) with merge and split, and invitations to join an interaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from switchboard.conversations.domain import invitations as inv
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import EVERYTHING, Scope, Viewer
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import emit
from switchboard.conversations.services.participants import member
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, any_of, asc, eq, isin, largest
from switchboard.kernel.errors import Conflict, InvalidParameter
from switchboard.kernel.ports import Unit

SEQUENCE_STATES = ("open", "pending", "need_info", "closed")


@dataclass(frozen=True)
class RelationshipCreate:
    organization: str
    outside_party: str
    friendly_name: str | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    encryption: str | None = None


async def create_relationship(
    svc: Conversations, account_sid: str, p: RelationshipCreate
) -> r.OuterConversation:
    now = svc.clock.now_ms()
    row = r.OuterConversation(
        sid=sids.new_sid(r.OUTER_CONVERSATION),
        account_sid=account_sid,
        organization=p.organization,
        outside_party=p.outside_party,
        friendly_name=p.friendly_name,
        state="active",
        tags=json.dumps(list(p.tags)),
        aliases=json.dumps(list(p.aliases)),
        encryption=p.encryption,
        merged_into_sid=None,
        date_created=now,
        date_updated=now,
        date_ended=None,
    )
    async with svc.store.transaction() as unit:
        unit.add(row)
    return row


def relationships_query(account_sid: str, visible: list[str] | None) -> Query[r.OuterConversation]:
    where = [eq("account_sid", account_sid)]
    if visible is not None:
        where.append(isin("sid", visible))
    return Query(r.OuterConversation, tuple(where), (asc("date_created"),))


@dataclass(frozen=True)
class SequenceFields:
    subject: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    state: str | None = None
    primary_participant: str | None = None
    owner: str | None = None


def _check_state(state: str | None) -> None:
    """The four states plus custom ones (`custom:` names), as the desk configures them."""
    if state is not None and state not in SEQUENCE_STATES and not state.startswith("custom:"):
        raise InvalidParameter(
            f"Invalid State: {state!r} is not one of {', '.join(SEQUENCE_STATES)} or custom:<name>"
        )


async def _next_case_number(unit: Unit, account_sid: str) -> int:
    rows = await unit.aggregate(
        r.Sequence, [], eq("account_sid", account_sid), top=largest("case_number")
    )
    top = rows[0]["top"] if rows else None
    return int(top or 0) + 1


async def open_sequence(
    svc: Conversations, account_sid: str, relationship_sid: str, p: SequenceFields
) -> r.Sequence:
    _check_state(p.state)
    now = svc.clock.now_ms()
    async with svc.store.transaction(f"cases:{account_sid}") as unit:
        await access.access_relationship(unit, account_sid, EVERYTHING, relationship_sid)
        if not p.subject:
            raise InvalidParameter("Missing required parameter Subject in the post body")
        row = r.Sequence(
            sid=sids.new_sid(r.SEQUENCE),
            account_sid=account_sid,
            conversation_sid=relationship_sid,
            case_number=await _next_case_number(unit, account_sid),
            subject=p.subject,
            category=p.category,
            tags=json.dumps(list(p.tags or ())),
            state=p.state or "open",
            primary_participant=p.primary_participant,
            owner=p.owner,
            merged_into_sid=None,
            date_opened=now,
            date_closed=now if p.state == "closed" else None,
            date_created=now,
            date_updated=now,
        )
        unit.add(row)
    return row


async def update_sequence(
    svc: Conversations, account_sid: str, scope: Scope, sid: str, p: SequenceFields
) -> r.Sequence:
    _check_state(p.state)
    async with svc.store.transaction() as unit:
        row = await access.access_sequence(unit, account_sid, scope, sid)
        now = svc.clock.now_ms()
        if p.state is not None and p.state != row.state:
            row.date_closed = now if p.state == "closed" else None
            row.state = p.state
        for name in ("subject", "category", "primary_participant", "owner"):
            value = getattr(p, name)
            if value is not None:
                setattr(row, name, value)
        if p.tags is not None:
            row.tags = json.dumps(list(p.tags))
        row.date_updated = now
    return row


def sequences_query(account_sid: str, visible: list[str] | None) -> Query[r.Sequence]:
    where = [eq("account_sid", account_sid)]
    if visible is not None:
        where.append(isin("sid", visible))
    return Query(r.Sequence, tuple(where), (asc("case_number"),))


async def visible_containers(unit: Unit, scope: Scope, field: str) -> list[str] | None:
    """Sequences (`sequence_sid`) or relationships (`conversation_sid`) holding an
    interaction the reader sees (None: all of them)."""
    if scope.everything:
        return None
    values = await unit.values(r.Interaction, field, *scope.interaction_criteria(), distinct=True)
    return sorted(v for v in values if v is not None)


def record_audit(
    unit: Unit, account_sid: str, action: str, subject: str, target: str, moved: list[str],
    actor: str | None, now: int,
) -> None:  # fmt: skip
    detail = json.dumps({"interactions": sorted(moved)})
    sid = sids.new_sid(r.AUDIT)
    unit.add(r.AuditEntry(sid, account_sid, action, subject, target, detail, actor, now))


def audit_query(sequence_sid: str) -> Query[r.AuditEntry]:
    """What happened to a sequence (or a relationship): merges and splits from or into it."""
    where = any_of([eq("subject_sid", sequence_sid)], [eq("target_sid", sequence_sid)])
    return Query(r.AuditEntry, (where,), (asc("date_created"),))


async def merge_sequences(
    svc: Conversations,
    account_sid: str,
    source_sid: str,
    target_sid: str | None,
    actor: str | None = None,
) -> r.Sequence:
    """Move every interaction of `source` into `target`; `source` stays, closed, pointing at
    `target` (the history is kept). Refused across relationships of different
    organizations (and across accounts: the other account's sid is simply not found)."""
    async with svc.store.transaction() as unit:
        source = await access.access_sequence(unit, account_sid, EVERYTHING, source_sid)
        if target_sid is None:
            raise InvalidParameter("Missing required parameter Into in the post body")
        if source_sid == target_sid:
            raise InvalidParameter("A sequence cannot be merged into itself")
        target = await access.access_sequence(unit, account_sid, EVERYTHING, target_sid)
        await _same_organization(unit, source.conversation_sid, target.conversation_sid)
        if source.merged_into_sid is not None:
            raise Conflict(f"Sequence {source.sid} was already merged", code=50437)
        now = svc.clock.now_ms()
        moved = await unit.values(r.Interaction, "sid", eq("sequence_sid", source.sid))
        await unit.update_where(
            r.Interaction,
            {"sequence_sid": target.sid, "conversation_sid": target.conversation_sid},
            eq("sequence_sid", source.sid),
        )
        record_audit(unit, account_sid, "merge", source.sid, target.sid, moved, actor, now)
        source.merged_into_sid, source.state = target.sid, "closed"
        source.date_closed = source.date_updated = target.date_updated = now
    return target


async def _same_organization(unit: Unit, first_sid: str, second_sid: str) -> None:
    first = await unit.get(r.OuterConversation, first_sid)
    second = await unit.get(r.OuterConversation, second_sid)
    if first is None or second is None or first.organization != second.organization:
        raise InvalidParameter("Sequences of different organizations cannot be merged", code=50438)


async def split_sequence(
    svc: Conversations,
    account_sid: str,
    sid: str,
    interactions: list[str],
    subject: str | None,
    actor: str | None = None,
) -> r.Sequence:
    """A new sequence of the same relationship takes the listed interactions."""
    async with svc.store.transaction(f"cases:{account_sid}") as unit:
        source = await access.access_sequence(unit, account_sid, EVERYTHING, sid)
        if not interactions or not subject:
            raise InvalidParameter("Missing required parameter Interactions or Subject")
        moving = await unit.count(r.Interaction, eq("sequence_sid", sid), isin("sid", interactions))
        if moving != len(set(interactions)):
            raise InvalidParameter("Invalid Interactions: each must belong to the sequence split")
        now = svc.clock.now_ms()
        row = r.Sequence(
            sid=sids.new_sid(r.SEQUENCE),
            account_sid=account_sid,
            conversation_sid=source.conversation_sid,
            case_number=await _next_case_number(unit, account_sid),
            subject=subject,
            category=source.category,
            tags=source.tags,
            state="open",
            primary_participant=source.primary_participant,
            owner=source.owner,
            merged_into_sid=None,
            date_opened=now,
            date_closed=None,
            date_created=now,
            date_updated=now,
        )
        unit.add(row)
        await unit.flush()
        await unit.update_where(r.Interaction, {"sequence_sid": row.sid}, isin("sid", interactions))
        record_audit(unit, account_sid, "split", source.sid, row.sid, interactions, actor, now)
    return row


async def invite(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    identity: str | None,
    ttl_ms: int | None,
) -> r.Invitation:
    now = svc.clock.now_ms()
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        if not identity:
            raise InvalidParameter("Missing required parameter Identity in the post body")
        row = r.Invitation(
            sid=sids.new_sid(r.INVITATION),
            account_sid=account_sid,
            interaction_sid=interaction.sid,
            identity=identity,
            status=inv.PENDING,
            invited_index=interaction.next_index,
            expires_at=now + (ttl_ms or svc.invitation_ttl_ms),
            date_created=now,
            date_updated=now,
        )
        unit.add(row)
    return row


async def answer_invitation(
    svc: Conversations, account_sid: str, viewer: Viewer, key: str, sid: str, answer: str | None
) -> r.Invitation:
    """Accepting adds the invitee, reading history from the invitation on (`invited`).
    A user answers only their own invitations (anyone else's answers 404)."""
    async with svc.store.transaction(f"conversation:{key}") as unit:
        interaction = await access.access_interaction(unit, account_sid, EVERYTHING, key)
        row = await access.access_invitation(unit, interaction, sid)
        if not viewer.everything and viewer.identity != row.identity:
            raise access.missing(f"Conversations/{key}/Invitations", sid)
        now = svc.clock.now_ms()
        if answer is None:
            raise InvalidParameter("Missing required parameter Status in the post body")
        inv.check_answer(inv.status_at(row.status, row.expires_at, now), answer)
        row.status, row.date_updated = answer, now
        if answer == inv.ACCEPTED:
            joined = member(interaction, row.identity, now, invited_index=row.invited_index)
            unit.add(joined)
            emit(svc, unit, "onParticipantAdded", interaction.sid, joined)
    return row


def invitations_query(interaction_sid: str) -> Query[r.Invitation]:
    return Query(r.Invitation, (eq("interaction_sid", interaction_sid),), (asc("date_created"),))
