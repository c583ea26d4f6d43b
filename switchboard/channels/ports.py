"""The channels pillar's ports: the conversation desk inbound contacts are handed to, and
the providers replies leave through. The composition root supplies the adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from switchboard.channels.domain.email import OutboundEmail


@dataclass(frozen=True)
class Contact:
    """An inbound message from a customer, already resolved to its organization."""

    account_sid: str
    channel: str
    customer: str  # the customer's address (their phone number, mailbox, visitor id)
    organization: str  # the organization's address it was sent to
    body: str
    attributes: str  # JSON object (media, subject, carrier ids)
    thread: str | None = None  # a conversation the carrier's threading names (email)
    # join the customer's open conversation with this address (SMS); email without a
    # known thread starts a new one
    reuse_open: bool = True
    # the conversations organization the address belongs to: a new request of the
    # customer becomes a routed task through its request router (None: a message only)
    routed_by: str | None = None


@dataclass(frozen=True)
class Delivered:
    """Where the desk put an inbound contact."""

    conversation_sid: str
    message_sid: str


@dataclass(frozen=True)
class Reply:
    """A message of a conversation to be sent to one outside participant."""

    account_sid: str
    channel: str
    conversation_sid: str
    message_sid: str
    receipt_sid: str
    recipient: str  # the customer's address
    sender: str  # the organization's address the customer wrote to
    body: str


class ConversationDesk(Protocol):
    """Where inbound contacts go (the conversations pillar, through the composition root)."""

    async def receive(self, contact: Contact) -> Delivered:
        """Append the contact to the customer's open conversation with this address (a new
        one when there is none) and return where it went."""
        ...

    async def set_receipt(
        self,
        account_sid: str,
        conversation_sid: str,
        message_sid: str,
        receipt_sid: str,
        status: str,
        error_code: int | None,
    ) -> None:
        """Record a provider's delivery report on the message's receipt."""
        ...


@dataclass(frozen=True)
class Line:
    """One message of a conversation as an outside participant sees it."""

    index: int
    author: str
    body: str
    date_created: int


class ChatDesk(Protocol):
    """What web chat needs beyond the desk: a visitor's history and read position."""

    async def history(self, account_sid: str, conversation_sid: str) -> list[Line]:
        """Every message of the conversation, oldest first."""
        ...

    async def mark_read(
        self, account_sid: str, conversation_sid: str, address: str, index: int
    ) -> None:
        """The outside participant with `address` has read up to `index` (a read receipt)."""
        ...

    async def typing(self, account_sid: str, conversation_sid: str, address: str) -> None:
        """The outside participant with `address` started typing (members see it)."""
        ...


class TaskIntake(Protocol):
    """Where a waiting call becomes work (the distribution pillar, via the composition root)."""

    async def open_task(
        self, account_sid: str, workspace_sid: str, workflow_sid: str, attributes: str
    ) -> str:
        """Create a task with these attributes in the workflow; its sid."""
        ...

    async def cancel_waiting(
        self, account_sid: str, workspace_sid: str, task_sid: str, reason: str
    ) -> bool:
        """Cancel the task if it still waits (pending or reserved); whether it did."""
        ...


class ProviderError(Exception):
    """The provider did not take the message. `retry` says whether trying later can help
    (an outage, a 5xx, a timeout) or not (a rejected number)."""

    def __init__(self, message: str, *, retry: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code


@dataclass(frozen=True)
class CarrierAccount:
    """An organization's own account at the carrier (unsealed for one use)."""

    account_sid: str  # the carrier's account id (Twilio's AC...)
    auth_token: str
    tenant: str  # the Switchboard account it belongs to
    organization: str

    def __repr__(self) -> str:  # never print the token
        return f"CarrierAccount({self.account_sid!r}, organization={self.organization!r})"


class SmsProvider(Protocol):
    """Sends a text message from one of the organization's numbers."""

    async def send(
        self, reply: Reply, status_callback: str | None, account: CarrierAccount | None = None
    ) -> str:
        """The provider's id for the accepted message (sent with the organization's own
        carrier `account` when it has one); raises ProviderError otherwise."""
        ...


class SecretSealer(Protocol):
    """Seals secrets at rest with a key of each tenant's own."""

    def seal(self, account_sid: str, secret: str) -> str: ...

    def unseal(self, account_sid: str, sealed: str) -> str: ...


class EmailProvider(Protocol):
    """Sends an email from one of the organization's addresses."""

    async def send(self, message: OutboundEmail) -> str:
        """The Message-ID it went out with; raises ProviderError otherwise."""
        ...
