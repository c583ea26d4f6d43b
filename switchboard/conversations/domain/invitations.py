"""Invitations to join an interaction: pending, then accepted, rejected or expired."""

from __future__ import annotations

from switchboard.kernel.errors import InvalidParameter

PENDING, ACCEPTED, REJECTED, EXPIRED = "pending", "accepted", "rejected", "expired"
ANSWERS = (ACCEPTED, REJECTED)


def status_at(status: str, expires_at: int, now: int) -> str:
    """A pending invitation past its expiry is expired (no job has to mark it)."""
    if status == PENDING and now >= expires_at:
        return EXPIRED
    return status


def check_answer(current: str, answer: str) -> None:
    """Only a pending invitation is answered, once."""
    if answer not in ANSWERS:
        raise InvalidParameter(f"Invalid Status: {answer!r} is not one of accepted, rejected")
    if current != PENDING:
        raise InvalidParameter(f"Invalid Status: the invitation is already {current}", code=50436)
