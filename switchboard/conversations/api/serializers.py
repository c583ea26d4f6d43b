"""Twilio Conversations v1 JSON for each record, and Switchboard's extension fields.

Extension fields are added beside Twilio's (the SDK ignores what it does not know). A
backchannel shows its `parent_sid` only to a reader who sees the parent too.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.conversations.domain import invitations as inv
from switchboard.conversations.domain import lifecycle
from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Scope
from switchboard.kernel.clock import iso

JSON = dict[str, Any]


def _dates(row: Any) -> JSON:
    return {"date_created": iso(row.date_created), "date_updated": iso(row.date_updated)}


def timers(row: r.Interaction, now: int) -> JSON:
    state = lifecycle.effective_state(
        row.state, row.last_activity, row.inactive_after_ms, row.closed_after_ms, now
    )
    inactive = lifecycle.date_inactive(state, row.last_activity, row.inactive_after_ms)
    closed = lifecycle.date_closed(state, row.last_activity, row.closed_after_ms)
    found = {"date_inactive": iso(inactive), "date_closed": iso(closed)}
    return {key: value for key, value in found.items() if value is not None}


def state_of(row: r.Interaction, now: int) -> str:
    return lifecycle.effective_state(
        row.state, row.last_activity, row.inactive_after_ms, row.closed_after_ms, now
    )


def interaction(row: r.Interaction, base: str, scope: Scope, now: int) -> JSON:
    url = f"{base}/Conversations/{row.sid}"
    return {
        "account_sid": row.account_sid,
        "chat_service_sid": row.chat_service_sid,
        "messaging_service_sid": row.messaging_service_sid,
        "sid": row.sid,
        "friendly_name": row.friendly_name,
        "unique_name": row.unique_name,
        "attributes": row.attributes,
        "state": state_of(row, now),
        **_dates(row),
        "timers": timers(row, now),
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "messages": f"{url}/Messages",
            "webhooks": f"{url}/Webhooks",
        },
        "bindings": None,
        # extension fields
        "parent_sid": row.parent_sid
        if row.parent_sid and scope.sees_interaction(row.parent_sid)
        else None,
        "history": row.history,
        "sequence_sid": row.sequence_sid,
        "relationship_sid": row.conversation_sid,
    }


def _binding(row: r.Participant) -> JSON | None:
    if row.address is None:
        return None
    return {
        "type": "sms",
        "address": row.address,
        "proxy_address": row.proxy_address,
        "projected_address": row.projected_address,
    }


def participant(row: r.Participant, base: str) -> JSON:
    return {
        "account_sid": row.account_sid,
        "conversation_sid": row.interaction_sid,
        "sid": row.sid,
        "identity": row.identity,
        "attributes": row.attributes,
        "messaging_binding": _binding(row),
        "role_sid": row.role_sid,
        **_dates(row),
        "url": f"{base}/Conversations/{row.interaction_sid}/Participants/{row.sid}",
        "last_read_message_index": row.last_read_message_index,
        "last_read_timestamp": iso(row.last_read_timestamp),
    }


def message(row: r.Message, body: str | None, delivery: JSON | None, base: str) -> JSON:
    url = f"{base}/Conversations/{row.interaction_sid}/Messages/{row.sid}"
    return {
        "account_sid": row.account_sid,
        "conversation_sid": row.interaction_sid,
        "sid": row.sid,
        "index": row.index,
        "author": row.author,
        "body": body,
        "media": json.loads(row.media) if row.media else None,
        "attributes": row.attributes,
        "participant_sid": row.participant_sid,
        **_dates(row),
        "url": url,
        "delivery": delivery,
        "links": {
            "delivery_receipts": f"{url}/Receipts",
            "channel_metadata": f"{url}/ChannelMetadata",
        },
        "content_sid": None,
        "kind": row.kind,  # extension: message | note
    }


def receipt(row: r.Receipt, base: str) -> JSON:
    return {
        "account_sid": row.account_sid,
        "conversation_sid": row.interaction_sid,
        "sid": row.sid,
        "message_sid": row.message_sid,
        "channel_message_sid": row.channel_message_sid,
        "participant_sid": row.participant_sid,
        "status": row.status,
        "error_code": row.error_code,
        **_dates(row),
        "url": (
            f"{base}/Conversations/{row.interaction_sid}/Messages/{row.message_sid}"
            f"/Receipts/{row.sid}"
        ),
    }


def webhook(row: r.Webhook, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "conversation_sid": row.interaction_sid,
        "target": row.target,
        "url": f"{base}/Conversations/{row.interaction_sid}/Webhooks/{row.sid}",
        "configuration": {
            "url": row.url,
            "method": row.method,
            "filters": json.loads(row.filters),
            "triggers": json.loads(row.triggers),
            "flow_sid": row.flow_sid,
        },
        **_dates(row),
    }


def participant_conversation(
    part: r.Participant, row: r.Interaction, user_sid: str | None, base: str, now: int
) -> JSON:
    return {
        "account_sid": row.account_sid,
        "chat_service_sid": row.chat_service_sid,
        "participant_sid": part.sid,
        "participant_user_sid": user_sid,
        "participant_identity": part.identity,
        "participant_messaging_binding": _binding(part),
        "conversation_sid": row.sid,
        "conversation_unique_name": row.unique_name,
        "conversation_friendly_name": row.friendly_name,
        "conversation_attributes": row.attributes,
        "conversation_date_created": iso(row.date_created),
        "conversation_date_updated": iso(row.date_updated),
        "conversation_created_by": row.created_by,
        "conversation_state": state_of(row, now),
        "conversation_timers": timers(row, now),
        "links": {
            "participant": f"{base}/Conversations/{row.sid}/Participants/{part.sid}",
            "conversation": f"{base}/Conversations/{row.sid}",
        },
    }


def user(row: r.User, chat_service_sid: str, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "chat_service_sid": chat_service_sid,
        "role_sid": row.role_sid,
        "identity": row.identity,
        "friendly_name": row.friendly_name,
        "attributes": row.attributes,
        "is_online": None,
        "is_notifiable": None,
        **_dates(row),
        "url": f"{base}/Users/{row.sid}",
        "links": {"user_conversations": f"{base}/Users/{row.sid}/Conversations"},
        "admin": row.admin,  # extension: sees every interaction
    }


def role(row: r.Role, chat_service_sid: str, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "chat_service_sid": chat_service_sid,
        "friendly_name": row.friendly_name,
        "type": row.type,
        "permissions": json.loads(row.permissions),
        **_dates(row),
        "url": f"{base}/Roles/{row.sid}",
    }


def configuration(row: r.Configuration, base: str) -> JSON:
    return {
        "account_sid": row.account_sid,
        "default_chat_service_sid": row.default_chat_service_sid,
        "default_messaging_service_sid": row.default_messaging_service_sid,
        "default_inactive_timer": lifecycle.format_duration(row.default_inactive_ms),
        "default_closed_timer": lifecycle.format_duration(row.default_closed_ms),
        "url": f"{base}/Configuration",
        "links": {
            "service": f"{base}/Services/{row.default_chat_service_sid}",
            "webhooks": f"{base}/Configuration/Webhooks",
        },
    }


def configuration_webhooks(row: r.Configuration, base: str) -> JSON:
    return {
        "account_sid": row.account_sid,
        "method": row.webhook_method,
        "filters": json.loads(row.webhook_filters),
        "pre_webhook_url": row.pre_webhook_url,
        "post_webhook_url": row.post_webhook_url,
        "target": row.webhook_target,
        "url": f"{base}/Configuration/Webhooks",
    }


def relationship(row: r.OuterConversation, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "organization": row.organization,
        "outside_party": row.outside_party,
        "friendly_name": row.friendly_name,
        "state": row.state,
        "tags": json.loads(row.tags),
        "aliases": json.loads(row.aliases),
        "encryption": row.encryption,
        "merged_into_sid": row.merged_into_sid,
        **_dates(row),
        "date_ended": iso(row.date_ended),
        "url": f"{base}/Relationships/{row.sid}",
        "links": {"sequences": f"{base}/Relationships/{row.sid}/Sequences"},
    }


def sequence(row: r.Sequence, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "relationship_sid": row.conversation_sid,
        "case_number": row.case_number,
        "subject": row.subject,
        "category": row.category,
        "tags": json.loads(row.tags),
        "state": row.state,
        "primary_participant": row.primary_participant,
        "owner": row.owner,
        "merged_into_sid": row.merged_into_sid,
        "date_opened": iso(row.date_opened),
        "date_closed": iso(row.date_closed),
        **_dates(row),
        "url": f"{base}/Sequences/{row.sid}",
    }


def invitation(row: r.Invitation, base: str, now: int) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "conversation_sid": row.interaction_sid,
        "identity": row.identity,
        "status": inv.status_at(row.status, row.expires_at, now),
        "date_expires": iso(row.expires_at),
        **_dates(row),
        "url": f"{base}/Conversations/{row.interaction_sid}/Invitations/{row.sid}",
    }


def user_conversation(
    user: r.User, part: r.Participant, row: r.Interaction, base: str, now: int
) -> JSON:
    """`/Users/{US}/Conversations` item: the user's participation, with unread count."""
    read = part.last_read_message_index
    unread = row.next_index - (read + 1 if read is not None else 0)
    return {
        "account_sid": row.account_sid,
        "chat_service_sid": row.chat_service_sid,
        "conversation_sid": row.sid,
        "unread_messages_count": max(unread, 0),
        "last_read_message_index": read,
        "participant_sid": part.sid,
        "user_sid": user.sid,
        "friendly_name": row.friendly_name,
        "conversation_state": state_of(row, now),
        "timers": timers(row, now),
        "attributes": row.attributes,
        "date_created": iso(row.date_created),
        "date_updated": iso(row.date_updated),
        "created_by": row.created_by,
        "notification_level": "default",
        "unique_name": row.unique_name,
        "url": f"{base}/Users/{user.sid}/Conversations/{row.sid}",
        "links": {
            "participant": f"{base}/Conversations/{row.sid}/Participants/{part.sid}",
            "conversation": f"{base}/Conversations/{row.sid}",
        },
    }


def audit(row: r.AuditEntry, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "action": row.action,
        "sequence_sid": row.subject_sid,  # or the relationship's, for a relationship's trail
        "target_sequence_sid": row.target_sid,
        "interactions": json.loads(row.detail)["interactions"],
        "actor": row.actor,
        "date_created": iso(row.date_created),
        "url": f"{base}/{_container(row.subject_sid)}/{row.subject_sid}/Audit",
    }


def address(row: r.AddressConfiguration, base: str) -> JSON:
    return {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "type": row.type,
        "address": row.address,
        "friendly_name": row.friendly_name,
        "auto_creation": json.loads(row.auto_creation),
        **_dates(row),
        "url": f"{base}/Configuration/Addresses/{row.sid}",
        "address_country": row.address_country,
        "organization": row.organization,  # extension: the group answering here
    }


def _container(sid: str) -> str:
    return "Relationships" if sid.startswith(r.OUTER_CONVERSATION) else "Sequences"
