"""Participants: chat identities and outside addresses joining and leaving interactions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from switchboard.conversations.domain import limits
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access, webhooks
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import emit
from switchboard.conversations.services.interactions import (
    InteractionCreate,
    new_interaction,
    settle,
)
from switchboard.kernel import sids
from switchboard.kernel.criteria import Criterion, Query, asc, eq, is_null, not_null
from switchboard.kernel.errors import Conflict, InvalidParameter
from switchboard.kernel.ports import Unit


@dataclass(frozen=True)
class ParticipantCreate:
    identity: str | None = None
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    attributes: str | None = None
    role_sid: str | None = None
    date_created: int | None = None
    date_updated: int | None = None


@dataclass(frozen=True)
class ParticipantUpdate:
    attributes: str | None = None
    role_sid: str | None = None
    last_read_message_index: int | None = None
    last_read_timestamp: int | None = None
    date_created: int | None = None
    date_updated: int | None = None
    identity: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None


def form_of(row: r.Participant) -> dict[str, str]:
    return {
        "ConversationSid": row.interaction_sid,
        "ParticipantSid": row.sid,
        "Identity": row.identity or "",
        "MessagingBinding.Address": row.address or "",
        "MessagingBinding.ProxyAddress": row.proxy_address or "",
        "Attributes": row.attributes,
    }


def member(
    interaction: r.Interaction,
    identity: str | None,
    now: int,
    *,
    address: str | None = None,
    invited_index: int | None = None,
) -> r.Participant:
    """A new participant joining now: it reads history per the interaction's setting."""
    return r.Participant(
        sid=sids.new_sid(r.PARTICIPANT),
        account_sid=interaction.account_sid,
        interaction_sid=interaction.sid,
        identity=identity,
        address=address,
        proxy_address=None,
        projected_address=None,
        attributes="{}",
        role_sid=None,
        last_read_message_index=None,
        last_read_timestamp=None,
        joined_index=interaction.next_index,
        invited_index=interaction.next_index if invited_index is None else invited_index,
        date_created=now,
        date_updated=now,
    )


def add_member(unit: Unit, interaction: r.Interaction, identity: str, now: int) -> r.Participant:
    row = member(interaction, identity, now)
    unit.add(row)
    return row


async def _check_room(unit: Unit, interaction: r.Interaction, p: ParticipantCreate) -> None:
    chat = await unit.count(
        r.Participant, eq("interaction_sid", interaction.sid), not_null("identity")
    )
    non_chat = await unit.count(
        r.Participant, eq("interaction_sid", interaction.sid), is_null("identity")
    )
    limits.check_room(chat, non_chat, adding_chat=p.identity is not None)
    if p.address is not None and await unit.exists(
        r.Participant, eq("interaction_sid", interaction.sid), eq("address", p.address)
    ):
        raise Conflict(
            f"A participant with address {p.address} is already in the conversation", code=50416
        )


def _check_binding(p: ParticipantCreate) -> None:
    if p.identity is None and p.address is None:
        raise InvalidParameter("Missing required parameter Identity or MessagingBinding.Address")
    if p.identity is not None and p.address is not None:
        raise InvalidParameter("Send either Identity or MessagingBinding.Address, not both")
    if p.address is not None and p.proxy_address is None:
        raise InvalidParameter("Missing required parameter MessagingBinding.ProxyAddress")


async def add_participant(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    p: ParticipantCreate,
    *,
    hooks: bool = False,
) -> r.Participant:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        _check_binding(p)
        if hooks:
            await webhooks.pre_action(
                svc,
                unit,
                account_sid,
                "onParticipantAdd",
                {"ConversationSid": interaction.sid, "Identity": p.identity or ""},
            )
        await _check_room(unit, interaction, p)
        now = svc.clock.now_ms()
        settle(interaction, now)
        row = member(interaction, p.identity, p.date_created or now, address=p.address)
        row.proxy_address = p.proxy_address
        row.projected_address = p.projected_address
        row.attributes = p.attributes or "{}"
        row.role_sid = p.role_sid
        row.date_updated = p.date_updated or row.date_created
        unit.add(row)
        emit(svc, unit, "onParticipantAdded", interaction.sid, row)
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onParticipantAdded", form_of(row)
        )
    return row


async def update_participant(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    participant: str,
    p: ParticipantUpdate,
    *,
    hooks: bool = False,
) -> r.Participant:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_participant(unit, interaction, participant)
        if hooks:
            await webhooks.pre_action(svc, unit, account_sid, "onParticipantUpdate", form_of(row))
        now = svc.clock.now_ms()
        _apply(row, p, interaction, now)
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onParticipantUpdated", form_of(row)
        )
    return row


def _apply(row: r.Participant, p: ParticipantUpdate, interaction: r.Interaction, now: int) -> None:
    if p.last_read_message_index is not None:
        if p.last_read_message_index >= interaction.next_index:
            raise InvalidParameter("Invalid LastReadMessageIndex: no message has that index yet")
        row.last_read_message_index = p.last_read_message_index
        row.last_read_timestamp = p.last_read_timestamp or now
    elif p.last_read_timestamp is not None:
        row.last_read_timestamp = p.last_read_timestamp
    for name in ("attributes", "role_sid", "identity", "proxy_address", "projected_address"):
        value = getattr(p, name)
        if value is not None:
            setattr(row, name, value)
    if p.date_created is not None:
        row.date_created = p.date_created
    row.date_updated = p.date_updated or now


async def remove_participant(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    participant: str,
    *,
    hooks: bool = False,
) -> None:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_participant(unit, interaction, participant)
        if hooks:
            await webhooks.pre_action(svc, unit, account_sid, "onParticipantRemove", form_of(row))
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onParticipantRemoved", form_of(row)
        )
        emit(svc, unit, "onParticipantRemoved", interaction.sid, row)
        await unit.delete(row)


def participants_query(interaction_sid: str) -> Query[r.Participant]:
    return Query(r.Participant, (eq("interaction_sid", interaction_sid),), (asc("date_created"),))


def participations_query(
    account_sid: str, scope: Scope, identity: str | None, address: str | None
) -> Query[r.Participant]:
    """ParticipantConversations: the participations of one identity or address, within
    the reader's view (through the one predicate)."""
    if (identity is None) == (address is None):
        raise InvalidParameter("Send exactly one of Identity or Address")
    where: list[Criterion] = [eq("account_sid", account_sid)]
    where.append(eq("identity", identity) if identity is not None else eq("address", address))
    where.extend(scope.interaction_criteria("interaction_sid"))
    return Query(r.Participant, tuple(where), (asc("date_created"),))


MAX_INITIAL = 10  # Twilio: at most 10 participants in one ConversationWithParticipants


def initial_participants(documents: list[str]) -> list[ParticipantCreate]:
    """`Participant` values of ConversationWithParticipants: JSON objects in the
    Participant resource's vocabulary (`identity`, `messaging_binding`, ...)."""
    if len(documents) > MAX_INITIAL:
        raise InvalidParameter(f"Invalid Participant: at most {MAX_INITIAL} in one request")
    return [_participant_document(document) for document in documents]


def _participant_document(document: str) -> ParticipantCreate:
    try:
        value = json.loads(document)
    except ValueError:
        raise InvalidParameter("Invalid Participant: not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidParameter("Invalid Participant: must be a JSON object")
    binding = value.get("messaging_binding") or {}
    if not isinstance(binding, dict):
        raise InvalidParameter("Invalid Participant: messaging_binding must be an object")
    attributes = value.get("attributes")
    create = ParticipantCreate(
        identity=_text(value.get("identity")),
        address=_text(binding.get("address")),
        proxy_address=_text(binding.get("proxy_address")),
        projected_address=_text(binding.get("projected_address")),
        attributes=attributes if isinstance(attributes, str) else None,
        role_sid=_text(value.get("role_sid")),
    )
    _check_binding(create)
    return create


def _text(value: object) -> str | None:
    return value[: limits.MAX_NAME] if isinstance(value, str) and value else None


async def create_with_participants(
    svc: Conversations,
    account_sid: str,
    create: InteractionCreate,
    members: list[ParticipantCreate],
) -> r.Interaction:
    """The conversation and its first participants, in one transaction: all or nothing."""
    async with svc.store.transaction() as unit:
        interaction = await new_interaction(svc, unit, account_sid, create)
        unit.add(interaction)
        emit(svc, unit, "onConversationAdded", interaction.sid, interaction)
        now = svc.clock.now_ms()
        for p in members:
            await _check_room(unit, interaction, p)
            row = member(interaction, p.identity, now, address=p.address)
            row.proxy_address, row.projected_address = p.proxy_address, p.projected_address
            row.attributes, row.role_sid = p.attributes or "{}", p.role_sid
            unit.add(row)
            await unit.flush()  # the next room check counts this one
            emit(svc, unit, "onParticipantAdded", interaction.sid, row)
    return interaction
