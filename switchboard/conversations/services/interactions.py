"""Interactions (Twilio Conversations): create, update, delete, list, backchannels."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.conversations.domain import lifecycle
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import EVERYTHING, Scope
from switchboard.conversations.services import access, webhooks
from switchboard.conversations.services.configuration import configuration_of
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import emit
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq, isin
from switchboard.kernel.ports import Unit


@dataclass(frozen=True)
class InteractionCreate:
    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: str | None = None
    state: str | None = None
    messaging_service_sid: str | None = None
    inactive_ms: int | None = None
    closed_ms: int | None = None
    date_created: int | None = None
    date_updated: int | None = None
    history: str | None = None
    parent_sid: str | None = None
    sequence_sid: str | None = None
    encryption: str | None = None


@dataclass(frozen=True)
class InteractionUpdate:
    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: str | None = None
    state: str | None = None
    messaging_service_sid: str | None = None
    inactive_ms: int | None = None
    closed_ms: int | None = None
    date_created: int | None = None
    date_updated: int | None = None
    history: str | None = None


def settle(row: r.Interaction, now: int) -> None:
    """Store the state the timers say (a write unit's record; nothing happens when equal)."""
    state = lifecycle.effective_state(
        row.state, row.last_activity, row.inactive_after_ms, row.closed_after_ms, now
    )
    if state != row.state:
        row.state = state


def form_of(row: r.Interaction) -> dict[str, str]:
    """The webhook parameters describing an interaction."""
    return {
        "ConversationSid": row.sid,
        "ChatServiceSid": row.chat_service_sid,
        "MessagingServiceSid": row.messaging_service_sid,
        "FriendlyName": row.friendly_name or "",
        "UniqueName": row.unique_name or "",
        "Attributes": row.attributes,
        "State": row.state,
    }


async def create_interaction(
    svc: Conversations, account_sid: str, params: InteractionCreate, *, hooks: bool = False
) -> r.Interaction:
    lifecycle.check_timers(params.inactive_ms, params.closed_ms)
    if hooks:
        async with svc.store.read() as reading:
            await webhooks.pre_action(
                svc,
                reading,
                account_sid,
                "onConversationAdd",
                {"FriendlyName": params.friendly_name or ""},
            )
    async with svc.store.transaction() as unit:
        row = await new_interaction(svc, unit, account_sid, params)
        unit.add(row)
        emit(svc, unit, "onConversationAdded", row.sid, row)
        await webhooks.announce(
            svc, unit, hooks, account_sid, row.sid, "onConversationAdded", form_of(row)
        )
    return row


async def new_interaction(
    svc: Conversations, unit: Unit, account_sid: str, p: InteractionCreate
) -> r.Interaction:
    config = await configuration_of(unit, account_sid)
    now = svc.clock.now_ms()
    state = p.state or r.ACTIVE
    created = p.date_created or now
    sequence = None
    if p.sequence_sid is not None:
        sequence = await access.access_sequence(unit, account_sid, EVERYTHING, p.sequence_sid)
    return r.Interaction(
        sid=sids.new_sid(r.INTERACTION),
        account_sid=account_sid,
        chat_service_sid=config.default_chat_service_sid,
        messaging_service_sid=p.messaging_service_sid or config.default_messaging_service_sid,
        friendly_name=p.friendly_name,
        unique_name=p.unique_name,
        attributes=p.attributes or "{}",
        state=state,
        inactive_after_ms=p.inactive_ms
        if p.inactive_ms is not None
        else config.default_inactive_ms,
        closed_after_ms=p.closed_ms if p.closed_ms is not None else config.default_closed_ms,
        last_activity=now,
        parent_sid=p.parent_sid,
        history=p.history or (r.JOINED if p.parent_sid else r.SHARED),
        sequence_sid=p.sequence_sid,
        conversation_sid=sequence.conversation_sid if sequence else None,
        encryption=p.encryption,
        next_index=0,
        created_by=None,
        date_created=created,
        date_updated=p.date_updated or created,
    )


async def update_interaction(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    params: InteractionUpdate,
    *,
    hooks: bool = False,
) -> r.Interaction:
    lifecycle.check_timers(params.inactive_ms, params.closed_ms)
    async with svc.store.transaction() as unit:
        row = await access.access_interaction(unit, account_sid, scope, key)
        if hooks:
            await webhooks.pre_action(svc, unit, account_sid, "onConversationUpdate", form_of(row))
        now = svc.clock.now_ms()
        settle(row, now)
        before = row.state
        _apply(row, params, now)
        emit(svc, unit, "onConversationUpdated", row.sid, row)
        await webhooks.announce(
            svc, unit, hooks, account_sid, row.sid, "onConversationUpdated", form_of(row)
        )
        if row.state != before:
            form = {**form_of(row), "StateFrom": before, "StateTo": row.state, "Reason": "API"}
            await webhooks.announce(
                svc, unit, hooks, account_sid, row.sid, "onConversationStateUpdated", form
            )
    return row


def _apply(row: r.Interaction, p: InteractionUpdate, now: int) -> None:
    if p.state is not None:
        lifecycle.check_transition(row.state, p.state)
        if p.state == r.ACTIVE and row.state != r.ACTIVE:
            row.last_activity = now  # reopened: the timers count again from now
        row.state = p.state
    for name in ("friendly_name", "unique_name", "attributes", "messaging_service_sid", "history"):
        value = getattr(p, name)
        if value is not None:
            setattr(row, name, value)
    if p.inactive_ms is not None:
        row.inactive_after_ms = p.inactive_ms
    if p.closed_ms is not None:
        row.closed_after_ms = p.closed_ms
    if p.date_created is not None:
        row.date_created = p.date_created
    row.date_updated = p.date_updated or now


async def delete_interaction(
    svc: Conversations, account_sid: str, scope: Scope, key: str, *, hooks: bool = False
) -> None:
    async with svc.store.transaction() as unit:
        row = await access.access_interaction(unit, account_sid, scope, key)
        if hooks:
            await webhooks.pre_action(svc, unit, account_sid, "onConversationRemove", form_of(row))
        await webhooks.announce(
            svc, unit, hooks, account_sid, row.sid, "onConversationRemoved", form_of(row)
        )
        emit(svc, unit, "onConversationRemoved", row.sid, row)
        await unit.delete(row)


async def select_sorted(
    unit: Unit, account_sid: str, query: Query[r.Interaction]
) -> list[r.Interaction]:
    """A user's listing: their interactions by key, sorted here. A user takes part in few,
    so this costs the same however many the account holds. (With the account in the
    criteria or an `ORDER BY`, SQLite's planner walks the account's creation index.)"""
    rows = await unit.select(query.kind, *query.where)
    mine = [row for row in rows if row.account_sid == account_sid]
    return sorted(mine, key=lambda row: (row.date_created, row.sid))


def interactions_query(
    account_sid: str, scope: Scope, states: list[str] | None = None
) -> Query[r.Interaction]:
    """An account's interactions in the reader's view, oldest first (Twilio's order).
    `states` filters on the stored state (timers are applied on reads and writes).
    A user's view is keyed by the interactions' sids alone (see :func:`select_sorted`)."""
    where = (
        [*scope.interaction_criteria()]
        if not scope.everything
        else [eq("account_sid", account_sid)]
    )
    if states:
        where.append(isin("state", states))
    return Query(r.Interaction, tuple(where), (asc("date_created"),))
