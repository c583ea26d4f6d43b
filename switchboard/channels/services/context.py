"""What the channels services need, built once by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.channels.domain.records import CHAT, EMAIL, SMS
from switchboard.channels.ports import (
    ChatDesk,
    ConversationDesk,
    EmailProvider,
    SecretSealer,
    SmsProvider,
    TaskIntake,
)
from switchboard.kernel.bus import EventBus
from switchboard.kernel.ports import Clock, Store


class ChatHubPort(Protocol):
    """The visitors' open websockets (services/chat.py `ChatHub`)."""

    async def push(
        self, visitor_sid: str, frame: dict[str, Any], receipt: dict[str, Any] | None = None
    ) -> int:
        """Send the frame to every socket of the visitor (in every process); how many here
        got it (another process that delivers it marks `receipt` delivered)."""
        ...

    def join(
        self, visitor_sid: str, push: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> Callable[[], None]:
        """Register a socket of the visitor; the returned function unregisters it."""
        ...


SMS_STATUS_PATH = "/v1/Channels/Sms/Status"


@dataclass(frozen=True)
class TwilioSettings:
    """The SMS channel: the provider's auth token signs its webhooks to us."""

    auth_token: str
    # the public root the provider posts to (`https://sb.example.org`); None: the
    # request's own URL (and no status callbacks are asked for)
    public_url: str | None = None

    def status_callback(self) -> str | None:
        return None if self.public_url is None else self.public_url.rstrip("/") + SMS_STATUS_PATH


@dataclass
class Channels:
    """The pillar's services: the store, the clock, the desk inbound contacts go to, and the
    providers of the enabled channels (None: the channel is off and its webhooks answer 404)."""

    store: Store
    clock: Clock
    desk: ConversationDesk
    sms: SmsProvider | None = None
    sms_settings: TwilioSettings | None = None
    email: EmailProvider | None = None
    # web chat: the per-process hub of visitors' websockets, and the desk's history reads
    chat: ChatHubPort | None = None
    chat_desk: ChatDesk | None = None
    # the voice channel answers Twilio's Voice webhooks (signed with the same token)
    voice_settings: TwilioSettings | None = None
    # where a waiting call becomes a task (None: Twilio's own TaskRouter makes it)
    tasks: TaskIntake | None = None
    # seals organizations' carrier tokens (None: no per-organization credentials)
    sealer: SecretSealer | None = None
    # the pillar's own bus (unknown addresses, failed replies)
    bus: EventBus = field(default_factory=EventBus)
    # rings the reply sender when a reply is queued (set by the sender when it starts)
    wake: Callable[[], None] = lambda: None

    def enabled(self, channel: str) -> bool:
        if channel == EMAIL:
            return self.email is not None
        if channel == CHAT:
            return self.chat is not None and self.chat_desk is not None
        return channel == SMS and self.sms is not None and self.sms_settings is not None
