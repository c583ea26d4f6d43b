"""What one outbound callback attempt gives back: the values the CallbackSender port speaks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """What came back, with the body cut at the configured limit."""

    status: int
    content_type: str
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Attempt:
    """One HTTP try: where, when, and what came back (status) or went wrong (error)."""

    url: str
    at: int
    status: int | None = None
    error: str | None = None
    # retrying cannot help (the URL is refused by policy, the account cannot sign)
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300
