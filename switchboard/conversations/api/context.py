"""What every conversations route shares: the request context with the reader's view."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from switchboard.conversations.domain.pov import Scope, Viewer
from switchboard.conversations.services.access import scope_for, viewer_of
from switchboard.conversations.services.context import Conversations
from switchboard.kernel import sids
from switchboard.wire import context as wire
from switchboard.wire.auth import authenticated_account
from switchboard.wire.deps import deps
from switchboard.wire.params import read_params

# Switchboard's extension header: read as this user (their point of view), not as the account
IDENTITY_HEADER = "X-Switchboard-Identity"
WEBHOOK_HEADER = "X-Twilio-Webhook-Enabled"
MAX_IDENTITY = 256

wire.register_sid_convertors("CH", "MB", "IM", "DY", "WH", "US", "RL", "XC", "XS", "XI", "ME", "IG")


@dataclass(frozen=True)
class Ctx(wire.Ctx):
    """The authenticated request, the pillar's services, and who reads."""

    svc: Conversations

    @property
    def identity(self) -> str | None:
        value = self.request.headers.get(IDENTITY_HEADER)
        return value[:MAX_IDENTITY] if value else None

    @property
    def hooks(self) -> bool:
        """Twilio fires webhooks for REST actions only when the request asks for it."""
        return self.request.headers.get(WEBHOOK_HEADER, "").lower() == "true"

    async def viewer(self) -> Viewer:
        async with self.svc.store.read() as unit:
            return await viewer_of(unit, self.account_sid, self.identity)

    async def scope(self) -> Scope:
        """The reader's scope (everything for the account's own credentials)."""
        async with self.svc.store.read() as unit:
            viewer = await viewer_of(unit, self.account_sid, self.identity)
            return await scope_for(unit, self.account_sid, viewer)


async def context(request: Request) -> Ctx:
    # called here, not declared as sub-dependencies: FastAPI's resolution of nested
    # dependencies cost more CPU per request than the two calls
    account_sid = await authenticated_account(request)
    params = await read_params(request)
    return Ctx(request, account_sid, params, deps(request).get(Conversations))


__all__ = ["Ctx", "context", "sids"]
