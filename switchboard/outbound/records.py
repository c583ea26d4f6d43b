"""The delivery ledger's record: one outbound callback and how each attempt went."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class CallbackDelivery:
    """Written before the first attempt, so a restart resumes whatever was not sent."""

    sid: str
    account_sid: str
    # no foreign key: `workspace.deleted` is delivered after its workspace is gone
    workspace_sid: str
    kind: str  # event | assignment
    event_sid: str
    event_type: str
    reservation_sid: str | None = None
    url: str
    fallback_url: str | None = None
    # JSON object of the form parameters, frozen when the event happened
    payload: str
    status: str  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: int
    # a sender's claim: another process leaves the row alone until this instant
    locked_until: int | None = None
    response_status: int | None = None
    error: str | None = None
    # JSON list: one {at, url, status, error} per attempt
    attempt_log: str = "[]"
    # what an assignment callback answered (its instruction), and how applying it went
    instruction: str | None = None
    date_created: int
    date_updated: int
