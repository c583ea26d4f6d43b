"""Checks shared by several services (the API layer checks types; these check meaning)."""

from __future__ import annotations

from typing import Any

from switchboard.kernel import limits
from switchboard.kernel.errors import InvalidParameter, PreconditionFailed

MAX_ATTRIBUTES = 4096


def attributes_text(text: str | None, name: str = "Attributes") -> str:
    """A JSON object of at most 4096 characters (Twilio's limit); returns the text as sent."""
    if text is None:
        return "{}"
    if len(text) > MAX_ATTRIBUTES:
        raise InvalidParameter(f"{name} must be at most {MAX_ATTRIBUTES} characters")
    try:
        value: Any = limits.loads(text)
    except limits.InputError as error:
        raise InvalidParameter(f"{name} {error}") from None
    if not isinstance(value, dict):
        raise InvalidParameter(f"{name} must be a JSON object")
    return text


def check_if_match(if_match: str | None, version: int, sid: str) -> None:
    """Optimistic concurrency: `If-Match` must carry the current ETag (or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return
    if if_match.strip().strip('"').removeprefix("W/").strip('"') != str(version):
        raise PreconditionFailed(
            f'The resource {sid} has changed: ETag is "{version}", If-Match was {if_match}'
        )
