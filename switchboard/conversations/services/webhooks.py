"""Webhooks of the conversations pillar, Twilio's way.

Pre-action webhooks (`onMessageAdd`, ...) go to the account's `PreWebhookUrl` before
anything is written; any answer but a 2xx blocks the action. Post-action webhooks
(`onMessageAdded`, ...) go after commit to the account's `PostWebhookUrl` and to every
conversation-scoped webhook whose filters name the event. Actions taken through the
REST API fire them only when the request says `X-Twilio-Webhook-Enabled: true`.
Every request is signed with the account's token (`X-Twilio-Signature`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from switchboard.conversations.domain import records as r
from switchboard.conversations.services.context import Conversations
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import SwitchboardError
from switchboard.kernel.ports import Unit

log = logging.getLogger(__name__)
PRE_EVENTS = (
    "onConversationAdd", "onConversationUpdate", "onConversationRemove", "onMessageAdd",
    "onMessageUpdate", "onMessageRemove", "onParticipantAdd", "onParticipantUpdate",
    "onParticipantRemove",
)  # fmt: skip
POST_EVENTS = (
    "onConversationAdded", "onConversationUpdated", "onConversationRemoved",
    "onConversationStateUpdated", "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
    "onParticipantAdded", "onParticipantUpdated", "onParticipantRemoved", "onDeliveryUpdated",
)  # fmt: skip
EVENTS = PRE_EVENTS + POST_EVENTS


class Blocked(SwitchboardError):
    """The pre-action webhook did not answer 2xx: the action is not taken."""

    status = 400
    code = 50703


@dataclass(frozen=True)
class Post:
    """One post-action webhook request to send after commit."""

    account_sid: str
    url: str
    form: dict[str, str]


def _filters(text: str) -> list[str]:
    value = json.loads(text or "[]")
    return [str(item) for item in value] if isinstance(value, list) else []


async def pre_action(
    svc: Conversations, unit: Unit, account_sid: str, event: str, form: Mapping[str, str]
) -> None:
    """Ask the account's pre-action webhook; raise :class:`Blocked` unless it answers 2xx."""
    config = await unit.get(r.Configuration, account_sid)
    if svc.sender is None or config is None or not config.pre_webhook_url:
        return
    if event not in _filters(config.webhook_filters):
        return
    payload = {**form, "EventType": event, "AccountSid": account_sid, "Source": "API"}
    attempt, _answer = await svc.sender.post_form(
        account_sid, config.pre_webhook_url, payload, svc.webhook_timeout
    )
    if not attempt.ok:
        raise Blocked(f"The pre-action webhook blocked {event} ({attempt.status or attempt.error})")


async def post_actions(
    unit: Unit, account_sid: str, interaction_sid: str | None, event: str, form: Mapping[str, str]
) -> list[Post]:
    """Every post-action request `event` calls for (read inside the writing unit)."""
    payload = {**form, "EventType": event, "AccountSid": account_sid, "Source": "API"}
    posts: list[Post] = []
    config = await unit.get(r.Configuration, account_sid)
    if config is not None and config.post_webhook_url and event in _filters(config.webhook_filters):
        posts.append(Post(account_sid, config.post_webhook_url, payload))
    if interaction_sid is not None:
        scoped = await unit.select(r.Webhook, eq("interaction_sid", interaction_sid))
        posts.extend(
            Post(account_sid, hook.url, payload)
            for hook in scoped
            if hook.target == "webhook" and hook.url and event in _filters(hook.filters)
        )
    return posts


def send_after_commit(svc: Conversations, unit: Unit, posts: list[Post]) -> None:
    """Send the posts once the unit has committed (never after a rollback)."""
    if svc.sender is None or not posts:
        return
    sender = svc.sender

    async def send_all() -> None:
        for post in posts:
            attempt, _ = await sender.post_form(
                post.account_sid, post.url, post.form, svc.webhook_timeout
            )
            if not attempt.ok:
                log.warning(
                    "post-action webhook to %s failed: %s",
                    post.url,
                    attempt.error or attempt.status,
                )

    unit.after_commit(lambda: svc.spawn(send_all()))


async def announce(
    svc: Conversations,
    unit: Unit,
    hooks: bool,
    account_sid: str,
    interaction_sid: str | None,
    event: str,
    form: Mapping[str, str],
) -> None:
    """Queue the post-action webhooks of `event` when webhooks are enabled for the action."""
    if not hooks:
        return
    send_after_commit(
        svc, unit, await post_actions(unit, account_sid, interaction_sid, event, form)
    )
