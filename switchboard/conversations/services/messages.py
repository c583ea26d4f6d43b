"""Messages and notes: each takes the interaction's next index (monotonic, never reused);
non-chat participants get a delivery receipt for every message they did not write."""

from __future__ import annotations

import json
from dataclasses import dataclass

from switchboard.conversations.domain import limits
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.lifecycle import check_transition
from switchboard.conversations.domain.pov import Scope
from switchboard.conversations.services import access, webhooks
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.events import emit
from switchboard.conversations.services.interactions import settle
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, desc, eq, is_null
from switchboard.kernel.errors import InvalidParameter, SwitchboardError
from switchboard.kernel.ports import Unit

RECEIPT_STATUSES = ("sent", "delivered", "read", "failed", "undelivered")


class Closed(SwitchboardError):
    """Nothing is posted to a closed conversation."""

    status = 400
    code = 50353


@dataclass(frozen=True)
class MessageCreate:
    author: str | None = None
    body: str | None = None
    attributes: str | None = None
    media_sids: tuple[str, ...] = ()
    date_created: int | None = None
    date_updated: int | None = None
    kind: str = "message"
    media: str | None = None  # JSON list of attachments already stored (notes)


@dataclass(frozen=True)
class MessageUpdate:
    author: str | None = None
    body: str | None = None
    attributes: str | None = None
    date_created: int | None = None
    date_updated: int | None = None


def body_of(svc: Conversations, interaction: r.Interaction, row: r.Message) -> str | None:
    """The readable body (unsealed when the interaction keeps bodies encrypted)."""
    if row.body is None or interaction.encryption is None or svc.sealer is None:
        return row.body
    return svc.sealer.unseal(row.account_sid, row.body)


def _stored_body(svc: Conversations, interaction: r.Interaction, body: str | None) -> str | None:
    if body is None or interaction.encryption is None or svc.sealer is None:
        return body
    return svc.sealer.seal(interaction.account_sid, body)


def form_of(row: r.Message, body: str | None) -> dict[str, str]:
    return {
        "ConversationSid": row.interaction_sid,
        "MessageSid": row.sid,
        "Index": str(row.index),
        "Author": row.author,
        "Body": body or "",
        "Attributes": row.attributes,
        "ParticipantSid": row.participant_sid or "",
    }


def _media(p: MessageCreate) -> str | None:
    if p.media is not None:
        return p.media
    if not p.media_sids:
        return None
    return json.dumps([{"sid": sid, "category": "media"} for sid in p.media_sids])


async def post_message(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    p: MessageCreate,
    *,
    hooks: bool = False,
) -> r.Message:
    limits.check_body(p.body)
    # one writer per interaction at a time (every process), so indexes never collide
    async with svc.store.transaction(f"conversation:{key}") as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        if p.body is None and not p.media_sids and p.media is None:
            raise InvalidParameter("Missing required parameter Body or MediaSid")
        if hooks:
            await webhooks.pre_action(
                svc,
                unit,
                account_sid,
                "onMessageAdd",
                {
                    "ConversationSid": interaction.sid,
                    "Body": p.body or "",
                    "Author": p.author or "system",
                },
            )
        row = await _append(svc, unit, interaction, p)
        emit(svc, unit, "onMessageAdded", interaction.sid, row, row.index, p.body)
        body = body_of(svc, interaction, row)
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onMessageAdded", form_of(row, body)
        )
    return row


async def _append(
    svc: Conversations, unit: Unit, interaction: r.Interaction, p: MessageCreate
) -> r.Message:
    now = svc.clock.now_ms()
    settle(interaction, now)
    if interaction.state == r.CLOSED:
        raise Closed(f"Conversation {interaction.sid} is closed")
    author = p.author or "system"
    sender = await unit.first(
        r.Participant, eq("interaction_sid", interaction.sid), eq("identity", author)
    ) or await unit.first(  # an outside participant writes as its address (SMS, email)
        r.Participant, eq("interaction_sid", interaction.sid), eq("address", author)
    )
    index = interaction.next_index
    interaction.next_index = index + 1
    interaction.last_activity = now
    if interaction.state == r.INACTIVE:
        check_transition(r.INACTIVE, r.ACTIVE)
        interaction.state = r.ACTIVE  # a new message wakes an inactive conversation
    created = p.date_created or now
    row = r.Message(
        sid=sids.new_sid(r.MESSAGE),
        account_sid=interaction.account_sid,
        interaction_sid=interaction.sid,
        index=index,
        kind=p.kind,
        author=author,
        body=_stored_body(svc, interaction, p.body),
        media=_media(p),
        attributes=p.attributes or "{}",
        participant_sid=sender.sid if sender else None,
        date_created=created,
        date_updated=p.date_updated or created,
    )
    unit.add(row)
    await _receipts(unit, interaction, row, now)
    await unit.flush()  # the index is taken now: a concurrent writer fails on the unique key
    return row


async def _receipts(unit: Unit, interaction: r.Interaction, message: r.Message, now: int) -> None:
    """A `sent` receipt for each non-chat participant the message goes out to."""
    outside = await unit.select(
        r.Participant, eq("interaction_sid", interaction.sid), is_null("identity")
    )
    for participant in outside:
        if participant.sid == message.participant_sid:
            continue
        unit.add(
            r.Receipt(
                sid=sids.new_sid(r.RECEIPT),
                account_sid=interaction.account_sid,
                interaction_sid=interaction.sid,
                message_sid=message.sid,
                participant_sid=participant.sid,
                status="sent",
                channel_message_sid=sids.new_sid("SM"),
                error_code=None,
                date_created=now,
                date_updated=now,
            )
        )


async def update_message(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    message: str,
    p: MessageUpdate,
    *,
    hooks: bool = False,
) -> r.Message:
    limits.check_body(p.body)
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        if p.body is not None:
            row.body = _stored_body(svc, interaction, p.body)
        if p.author is not None:
            row.author = p.author
        if p.attributes is not None:
            row.attributes = p.attributes
        if p.date_created is not None:
            row.date_created = p.date_created
        row.date_updated = p.date_updated or svc.clock.now_ms()
        emit(
            svc,
            unit,
            "onMessageUpdated",
            interaction.sid,
            row,
            row.index,
            body_of(svc, interaction, row),
        )
        form = form_of(row, body_of(svc, interaction, row))
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onMessageUpdated", form
        )
    return row


async def delete_message(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    message: str,
    *,
    hooks: bool = False,
) -> None:
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        form = form_of(row, body_of(svc, interaction, row))
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onMessageRemoved", form
        )
        emit(svc, unit, "onMessageRemoved", interaction.sid, row, row.index, None)
        await unit.delete(row)


def messages_query(
    interaction_sid: str, scope: Scope, newest_first: bool = False
) -> Query[r.Message]:
    """The messages the reader may see, by index (`Order=desc` for newest first)."""
    order = desc("index") if newest_first else asc("index")
    return Query(r.Message, tuple(scope.message_criteria(interaction_sid)), (order,))


def receipts_query(message_sid: str) -> Query[r.Receipt]:
    return Query(r.Receipt, (eq("message_sid", message_sid),), (asc("date_created"),))


def _share(count: int, total: int) -> str:
    return "all" if count == total else "none" if count == 0 else "some"


async def delivery_summary(unit: Unit, message_sid: str) -> dict[str, int | str] | None:
    """Twilio's `delivery` object: whether all, some or none of the receipts are in each
    status (None when the message has no receipt)."""
    statuses = await unit.values(r.Receipt, "status", eq("message_sid", message_sid))
    if not statuses:
        return None
    total = len(statuses)
    shares = {status: _share(statuses.count(status), total) for status in RECEIPT_STATUSES}
    return {"total": total, **shares}


async def update_receipt(
    svc: Conversations,
    account_sid: str,
    scope: Scope,
    key: str,
    message: str,
    receipt: str,
    status: str | None,
    error_code: int | None,
    *,
    hooks: bool = False,
) -> r.Receipt:
    """A channel reports progress (extension: Twilio sets receipts from carrier reports)."""
    async with svc.store.transaction() as unit:
        interaction = await access.access_interaction(unit, account_sid, scope, key)
        row = await access.access_message(unit, interaction, scope, message)
        found = await access.access_receipt(unit, row, receipt)
        if status is None:
            raise InvalidParameter("Missing required parameter Status in the post body")
        found.status = status
        found.error_code = error_code
        found.date_updated = svc.clock.now_ms()
        form = {
            "ConversationSid": interaction.sid,
            "MessageSid": row.sid,
            "DeliveryReceiptSid": found.sid,
            "Status": status,
            "ParticipantSid": found.participant_sid,
        }
        await webhooks.announce(
            svc, unit, hooks, account_sid, interaction.sid, "onDeliveryUpdated", form
        )
    return found
