"""Twilio Conversations' documented limits, checked before anything is written."""

from __future__ import annotations

from switchboard.kernel.errors import InvalidParameter

MAX_BODY = 1600
MAX_CHAT_PARTICIPANTS = 1000
MAX_NON_CHAT_PARTICIPANTS = 50
MAX_ATTRIBUTES = 16_384
MAX_NAME = 256


def check_body(body: str | None) -> None:
    if body is not None and len(body) > MAX_BODY:
        raise InvalidParameter(
            f"Invalid Body: a message body is at most {MAX_BODY} characters", code=50008
        )


def check_room(chat: int, non_chat: int, adding_chat: bool) -> None:
    """Room for one more participant of the given kind (chat: an identity)."""
    if adding_chat and chat >= MAX_CHAT_PARTICIPANTS:
        raise InvalidParameter(
            f"Too many participants: a conversation has at most {MAX_CHAT_PARTICIPANTS} "
            "chat participants",
            code=50420,
        )
    if not adding_chat and non_chat >= MAX_NON_CHAT_PARTICIPANTS:
        raise InvalidParameter(
            f"Too many participants: a conversation has at most {MAX_NON_CHAT_PARTICIPANTS} "
            "non-chat participants",
            code=50420,
        )
