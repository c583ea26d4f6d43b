"""Conversation-scoped webhooks: create, update, delete, list (delivery is in `webhooks`)."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.webhooks import EVENTS
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.errors import InvalidParameter

TARGETS = ("webhook", "trigger", "studio")
MAX_PER_CONVERSATION = 5  # Twilio: up to five conversation-scoped webhooks

__all__ = ["EVENTS", "TARGETS", "WebhookFields"]


@dataclass(frozen=True)
class WebhookFields:
    target: str | None = None
    url: str | None = None
    method: str | None = None
    filters: str | None = None  # JSON list
    triggers: str | None = None  # JSON list
    flow_sid: str | None = None


def _check(target: str, url: str | None, flow_sid: str | None) -> None:
    if target in ("webhook", "trigger") and not url:
        raise InvalidParameter("Missing required parameter Configuration.Url for this Target")
    if target == "studio" and not flow_sid:
        raise InvalidParameter("Missing required parameter Configuration.FlowSid for Target studio")


async def create_webhook(
    svc: Conversations, account_sid: str, scope: Scope, key: str, p: WebhookFields
) -> r.Webhook:
    now = svc.clock.now_ms()
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        if p.target is None:
            raise InvalidParameter("Missing required parameter Target in the post body")
        _check(p.target, p.url, p.flow_sid)
        if (
            await unit.count(r.Webhook, eq("interaction_sid", interaction.sid))
            >= MAX_PER_CONVERSATION
        ):
            raise InvalidParameter("A conversation has at most 5 webhooks", code=50362)
        row = r.Webhook(
            sid=sids.new_sid(r.WEBHOOK),
            account_sid=account_sid,
            interaction_sid=interaction.sid,
            target=p.target,
            url=p.url,
            method=(p.method or "POST").upper(),
            filters=p.filters or "[]",
            triggers=p.triggers or "[]",
            flow_sid=p.flow_sid,
            date_created=now,
            date_updated=now,
        )
        unit.add(row)
    return row


async def update_webhook(
    svc: Conversations, account_sid: str, scope: Scope, key: str, sid: str, p: WebhookFields
) -> r.Webhook:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_webhook(unit, interaction, sid)
        if p.url is not None:
            row.url = p.url
        if p.method is not None:
            row.method = p.method.upper()
        if p.filters is not None:
            row.filters = p.filters
        if p.triggers is not None:
            row.triggers = p.triggers
        if p.flow_sid is not None:
            row.flow_sid = p.flow_sid
        _check(row.target, row.url, row.flow_sid)
        row.date_updated = svc.clock.now_ms()
    return row


async def delete_webhook(
    svc: Conversations, account_sid: str, scope: Scope, key: str, sid: str
) -> None:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        await unit.delete(await access.access_webhook(unit, interaction, sid))


def webhooks_query(interaction_sid: str) -> Query[r.Webhook]:
    return Query(r.Webhook, (eq("interaction_sid", interaction_sid),), (asc("date_created"),))
