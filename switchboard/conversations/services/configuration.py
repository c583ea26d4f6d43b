"""The account's conversation configuration: default services, timers and global webhooks."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.conversations.domain import lifecycle
from switchboard.conversations.domain import records as r
from switchboard.conversations.services.context import Conversations
from switchboard.kernel import sids
from switchboard.kernel.ports import Unit


def default_configuration(account_sid: str) -> r.Configuration:
    """What an account starts with; the service sids are stable once stored."""
    return r.Configuration(
        account_sid=account_sid,
        default_chat_service_sid=sids.new_sid(r.CHAT_SERVICE),
        default_messaging_service_sid=sids.new_sid(r.MESSAGING_SERVICE),
        default_inactive_ms=None,
        default_closed_ms=None,
        webhook_method="POST",
        webhook_filters="[]",
        pre_webhook_url=None,
        post_webhook_url=None,
        webhook_target="webhook",
    )


async def configuration_of(unit: Unit, account_sid: str) -> r.Configuration:
    """The stored configuration; a write unit stores the default on first use."""
    row = await unit.get(r.Configuration, account_sid)
    if row is not None:
        return row
    row = default_configuration(account_sid)
    if unit.writable:
        unit.add(row)
    return row


@dataclass(frozen=True)
class ConfigurationUpdate:
    default_inactive_ms: int | None = None
    default_closed_ms: int | None = None
    default_messaging_service_sid: str | None = None


@dataclass(frozen=True)
class WebhookConfigurationUpdate:
    method: str | None = None
    filters: str | None = None  # JSON list
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    target: str | None = None


async def update_configuration(
    svc: Conversations, account_sid: str, p: ConfigurationUpdate
) -> r.Configuration:
    lifecycle.check_timers(p.default_inactive_ms, p.default_closed_ms)
    async with svc.store.transaction(None) as unit:
        row = await configuration_of(unit, account_sid)
        if p.default_inactive_ms is not None:
            row.default_inactive_ms = p.default_inactive_ms
        if p.default_closed_ms is not None:
            row.default_closed_ms = p.default_closed_ms
        if p.default_messaging_service_sid is not None:
            row.default_messaging_service_sid = p.default_messaging_service_sid
    return row


async def update_webhooks(
    svc: Conversations, account_sid: str, p: WebhookConfigurationUpdate
) -> r.Configuration:
    """An empty URL clears it, as Twilio does."""
    async with svc.store.transaction(None) as unit:
        row = await configuration_of(unit, account_sid)
        if p.method is not None:
            row.webhook_method = p.method
        if p.filters is not None:
            row.webhook_filters = p.filters
        if p.pre_webhook_url is not None:
            row.pre_webhook_url = p.pre_webhook_url or None
        if p.post_webhook_url is not None:
            row.post_webhook_url = p.post_webhook_url or None
        if p.target is not None:
            row.webhook_target = p.target
    return row
