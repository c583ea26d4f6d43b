"""The stored records of the channels pillar (plain dataclasses, times in epoch ms)."""

from __future__ import annotations

from dataclasses import dataclass

# sid prefixes (Switchboard extensions)
ADDRESS = "XA"
INBOUND = "XN"
OUTBOUND = "XO"
CHANNEL_EVENT = "XE"
VISITOR = "XV"
CREDENTIAL = "XK"
TWILIO = "twilio"  # the provider whose account sid and token an organization may bring

SMS, EMAIL, CHAT, VOICE = "sms", "email", "chat", "voice"
CHANNELS = (SMS, EMAIL, CHAT, VOICE)


@dataclass
class ChannelAddress:
    """A carrier identifier an organization owns: a phone number, an email address or a
    widget id. Unique per channel across the deployment, so it names one organization."""

    sid: str
    account_sid: str
    channel: str
    address: str  # normalised (E.164, lower-case email, widget id as given)
    friendly_name: str | None
    attributes: str  # JSON object: what routing may read (workflow, queue, ...)
    date_created: int
    date_updated: int
    # the conversations organization whose request router a new contact goes through
    # (None: the contact only becomes a conversation message)
    organization: str | None = None


@dataclass
class InboundContact:
    """One inbound carrier message, recorded once per carrier id (idempotency)."""

    sid: str
    account_sid: str
    channel: str
    external_id: str  # MessageSid, Message-ID, ...
    address_sid: str
    conversation_sid: str | None
    message_sid: str | None
    status: str  # received | delivered
    date_created: int
    subject: str | None = None  # email: the subject replies answer
    task_sid: str | None = None  # voice: the task that holds the waiting call


@dataclass
class OutboundContact:
    """One reply that left through a provider: its provider id maps status callbacks back
    to the conversation message's delivery receipt."""

    sid: str
    account_sid: str
    channel: str
    provider_sid: str | None
    address_sid: str
    recipient: str
    conversation_sid: str
    message_sid: str
    receipt_sid: str
    status: str  # queued | sent | delivered | undelivered | failed | read
    error_code: int | None
    date_created: int
    date_updated: int


@dataclass
class ChannelEvent:
    """Something an operator must be able to see: an inbound contact to an unknown address,
    a reply that failed for good. Never a silent drop."""

    sid: str
    account_sid: str | None
    channel: str
    event_type: str
    address: str
    detail: str
    date_created: int


@dataclass
class Visitor:
    """A web chat visitor of one widget: its token (stored hashed) opens the websocket, and
    its conversation is where its messages go and its history comes from."""

    sid: str
    account_sid: str
    address_sid: str
    token_hash: str
    conversation_sid: str | None
    date_created: int


@dataclass
class CarrierCredential:
    """An organization's own account at a carrier (Twilio's account sid and auth token):
    its webhooks are verified with that token and its replies sent with that account.
    The token is stored sealed with the account's derived key."""

    sid: str
    account_sid: str
    organization: str
    provider: str
    provider_account: str
    sealed_token: str
    date_created: int
    date_updated: int
