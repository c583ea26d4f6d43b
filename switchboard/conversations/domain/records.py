"""The stored records of the conversations pillar (plain dataclasses, times in epoch ms).

Vocabulary (docs/explanation/conversations.md): an outer **Conversation** (one outside
party and one organization) holds **Sequences** (one request each, a *case* on the desk),
which hold **Interactions** (message exchanges; a Twilio *Conversation*, `CH` sid). An
interaction with a `parent_sid` is a **backchannel**. Members of an interaction are
**Participants**; what they exchange are **Messages** (notes are messages of kind `note`).
"""

from __future__ import annotations

from dataclasses import dataclass

# sid prefixes: Twilio's for the Conversations v1 resources, X* for Switchboard's extensions
INTERACTION = "CH"
PARTICIPANT = "MB"
MESSAGE = "IM"
RECEIPT = "DY"
WEBHOOK = "WH"
USER = "US"
ROLE = "RL"
CHAT_SERVICE = "IS"
MESSAGING_SERVICE = "MG"
OUTER_CONVERSATION = "XC"
SEQUENCE = "XS"
INVITATION = "XI"
GRANT = "XG"
AUDIT = "XA"
ADDRESS = "IG"
ADDRESS_TYPES = ("sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat")

ACTIVE, INACTIVE, CLOSED = "active", "inactive", "closed"
STATES = (ACTIVE, INACTIVE, CLOSED)
# who may read the messages sent before a participant joined
SHARED, JOINED, INVITED = "shared", "joined", "invited"
HISTORY = (SHARED, JOINED, INVITED)
MESSAGE_KINDS = ("message", "note")


@dataclass
class OuterConversation:
    """One outside party's relationship with one organization (an extension resource)."""

    sid: str
    account_sid: str
    organization: str
    outside_party: str
    friendly_name: str | None
    state: str
    tags: str  # JSON list
    aliases: str  # JSON list
    encryption: str | None
    merged_into_sid: str | None
    date_created: int
    date_updated: int
    date_ended: int | None


@dataclass
class Sequence:
    """One request of the outside party: the desk calls it a case (`case_number`)."""

    sid: str
    account_sid: str
    conversation_sid: str
    case_number: int
    subject: str
    category: str | None
    tags: str  # JSON list
    state: str
    primary_participant: str | None
    owner: str | None
    merged_into_sid: str | None
    date_opened: int
    date_closed: int | None
    date_created: int
    date_updated: int


@dataclass
class Interaction:
    """A message exchange among a set of participants: Twilio's Conversation resource."""

    sid: str
    account_sid: str
    chat_service_sid: str
    messaging_service_sid: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    state: str
    inactive_after_ms: int | None  # Timers.Inactive, from the last activity
    closed_after_ms: int | None  # Timers.Closed, from the last activity
    last_activity: int
    parent_sid: str | None  # set: a backchannel of that interaction
    history: str  # shared | joined | invited
    sequence_sid: str | None
    conversation_sid: str | None  # the outer conversation
    encryption: str | None  # "account": bodies sealed at rest with the account's key
    next_index: int  # the index the next message takes (monotonic, never reused)
    created_by: str | None
    date_created: int
    date_updated: int


@dataclass
class Participant:
    """A member of an interaction: a chat `identity`, or an outside `address` (SMS...)."""

    sid: str
    account_sid: str
    interaction_sid: str
    identity: str | None
    address: str | None
    proxy_address: str | None
    projected_address: str | None
    attributes: str
    role_sid: str | None
    last_read_message_index: int | None
    last_read_timestamp: int | None
    joined_index: int  # the interaction's next index when they joined
    invited_index: int  # ... when they were invited (the same when added directly)
    date_created: int
    date_updated: int


@dataclass
class Message:
    """One message (or note) of an interaction; `index` is monotonic within it."""

    sid: str
    account_sid: str
    interaction_sid: str
    index: int
    kind: str
    author: str
    body: str | None  # sealed text when the interaction is encrypted
    media: str | None  # JSON list of media descriptors
    attributes: str
    participant_sid: str | None
    date_created: int
    date_updated: int


@dataclass
class Receipt:
    """The delivery of one message to one non-chat participant."""

    sid: str
    account_sid: str
    interaction_sid: str
    message_sid: str
    participant_sid: str
    status: str  # sent | delivered | read | failed | undelivered
    channel_message_sid: str | None
    error_code: int | None
    date_created: int
    date_updated: int


@dataclass
class Webhook:
    """A conversation-scoped webhook (target `webhook`: Configuration.Url and Filters)."""

    sid: str
    account_sid: str
    interaction_sid: str
    target: str
    url: str | None
    method: str
    filters: str  # JSON list of event names
    triggers: str  # JSON list
    flow_sid: str | None
    date_created: int
    date_updated: int


@dataclass
class User:
    """A chat identity of the account; `admin` users see every interaction."""

    sid: str
    account_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str | None
    admin: bool
    date_created: int
    date_updated: int


@dataclass
class Role:
    sid: str
    account_sid: str
    friendly_name: str
    type: str  # conversation | service
    permissions: str  # JSON list
    date_created: int
    date_updated: int


@dataclass
class Configuration:
    """The account's conversation defaults and global webhooks (one row per account)."""

    account_sid: str
    default_chat_service_sid: str
    default_messaging_service_sid: str
    default_inactive_ms: int | None
    default_closed_ms: int | None
    webhook_method: str
    webhook_filters: str  # JSON list
    pre_webhook_url: str | None
    post_webhook_url: str | None
    webhook_target: str


@dataclass
class Invitation:
    """An invitation to join an interaction: pending, then accepted, rejected or expired."""

    sid: str
    account_sid: str
    interaction_sid: str
    identity: str
    status: str
    invited_index: int
    expires_at: int
    date_created: int
    date_updated: int


@dataclass
class Grant:
    """A rule that widens a point of view: `viewer` sees what `subject` sees (a supervisor
    over a team member)."""

    sid: str
    account_sid: str
    viewer: str
    subject: str
    date_created: int


@dataclass
class AuditEntry:
    """One change to the shape of history (a merge, a split): who did what, to what."""

    sid: str
    account_sid: str
    action: str  # merge | split
    subject_sid: str  # the sequence merged or split
    target_sid: str  # the sequence merged into, or made by the split
    detail: str  # JSON: the interactions moved
    actor: str | None  # the identity that asked (None: the account)
    date_created: int


@dataclass
class AddressConfiguration:
    """An address of the account (a number, an email...) and what a message to it does:
    with auto-creation on, an inbound message opens a conversation. `organization`
    (extension) names the group that answers at this address."""

    sid: str
    account_sid: str
    type: str
    address: str
    friendly_name: str | None
    auto_creation: str  # JSON object, as Twilio renders it
    address_country: str | None
    organization: str | None
    date_created: int
    date_updated: int
