"""The Twilio Conversations v1 routes and Switchboard's extension resources."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.conversations.api import account, conversations, extensions, messages, stream
from switchboard.conversations.services.context import Conversations
from switchboard.wire.deps import Deps


def install(app: FastAPI, registry: Deps, svc: Conversations) -> stream.StreamHub:
    """Extension literals (`/Backchannels`, `/Invitations`) before the generic paths; the
    stream's hub subscribes to the pillar's bus."""
    for module in (extensions, account, messages, conversations):
        app.include_router(module.router)
    hub = stream.StreamHub(svc)
    registry.provide(stream.StreamHub, hub)
    app.add_api_websocket_route(stream.PATH, stream.conversations_stream)
    return hub
