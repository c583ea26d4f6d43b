"""The channels' HTTP adapters: address configuration and the carriers' webhooks."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.channels.api import addresses, chat, credentials, sms, voice


def install(app: FastAPI) -> None:
    for module in (addresses, credentials, chat, sms, voice):
        app.include_router(module.router)
    app.add_api_websocket_route(chat.STREAM, chat.chat_stream)
